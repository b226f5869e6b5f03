"""Call-detail records: any center's call log read into one canonical table.

Every switch writes its own log. One has a date column and clock times ``7:41:16`` that wrap
past midnight, writes ``0:00:00`` for "never queued" and ``NO_SERVER`` for "no agent"; another
has full timestamps and codes its outcomes ``ANS``/``ABN``. A small mapping (a dict, or a YAML
file) says which column holds what, how times are written and which values mean served,
abandoned or "not a call at all"; :func:`read_cdr` turns any such log into the same table:

- ``call``, ``date`` (the day the call arrived), ``arrival``, ``queue_entry``, ``queue_exit``,
  ``wait``, ``service_start``, ``service_end``, ``service_time``, ``outcome`` (served,
  abandoned, ignored or other), ``outcome_raw``, ``agent``, ``customer``, ``call_type``,
  ``priority``, and where each row came from: ``source`` (file name) and ``line``.
- Times are seconds after midnight of ``date``: a call arriving at 23:58 and answered at 00:01
  is answered at 86 460 s. ``wait`` is 0 for a call answered without queueing and missing for
  one that never reached the queue (hung up in the IVR).

Rows that cannot be read (a wrong number of fields, a time that is not a time) stop the
reading with a :class:`ScenarioError` naming the file, line and column, or with
``skip_bad_rows=True`` are skipped and listed. The public "Anonymous Bank" log (Israel, 1999)
is built in: ``read_cdr(folder, "anonymous_bank")``.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..errors import ScenarioError
from .cdr_format import (  # noqa: F401 (the formats are part of this module's interface)
    BANK_FORMAT,
    CLOCKS,
    COLUMNS,
    DURATIONS,
    FORMATS,
    OUTCOMES,
    RENAMED,
    CdrFormat,
    Outcomes,
    load_cdr_format,
)

_SHOWN = 10  # bad rows listed in an error message


class BadRow(NamedTuple):
    """One unreadable row: where it is, which column, and what is wrong and allowed."""

    file: str
    line: int
    column: str
    problem: str


def read_cdr(
    paths: str | Path | Iterable[str | Path],
    mapping: str | Path | dict[str, Any] | CdrFormat,
    *,
    skip_bad_rows: bool = False,
    chunksize: int = 16 << 20,
) -> pd.DataFrame:
    """Every call of the log files in the canonical layout (module docstring), in file order.

    Args:
        paths: a file, a folder (its files matching the format's ``files`` glob, by name), or a
            list of files.
        mapping: the log's format: ``"anonymous_bank"``, a YAML file, a dict or a CdrFormat.
        skip_bad_rows: skip unreadable rows (listed in a warning and in
            ``frame.attrs["skipped_rows"]`` as :class:`BadRow`\\ s) instead of stopping.
        chunksize: bytes of text parsed at a time (pyarrow's block size), so that logs of
            millions of rows are read in bounded memory.

    Raises:
        ScenarioError: a bad mapping, no files, a mapped column missing from a file, or
            (without ``skip_bad_rows``) unreadable rows: the first few, by file and line.
    """
    fmt = load_cdr_format(mapping)
    files = _files(paths, fmt)
    frames, skipped = [], []
    for path in files:
        frame, bad = _read_file(path, fmt, chunksize, stop_at_bad=not skip_bad_rows)
        if bad and not skip_bad_rows:
            problems = [(f"line {b.line}", f"{b.column}: {b.problem}") for b in bad[:_SHOWN]]
            more = f"{len(bad) - _SHOWN} more unreadable rows; " if len(bad) > _SHOWN else ""
            problems.append(("(reading stopped)", f"{more}fix the rows, or read with skip_bad_rows=True to "
                             "skip and list them"))
            raise ScenarioError(problems, str(path))
        frames.append(frame)
        skipped += bad
    calls = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if skipped:
        rows = len({(b.file, b.line) for b in skipped})
        shown = "\n".join(f"  {b.file}:{b.line}: {b.column}: {b.problem}" for b in skipped[:_SHOWN])
        more = f"\n  ... and {len(skipped) - _SHOWN} more" if len(skipped) > _SHOWN else ""
        warnings.warn(f"skipped {rows} unreadable call-log rows:\n{shown}{more}", stacklevel=2)
    calls.attrs["skipped_rows"] = skipped
    return calls


def _files(paths: str | Path | Iterable[str | Path], fmt: CdrFormat) -> list[Path]:
    if isinstance(paths, (str, Path)):
        path = Path(paths)
        if path.is_dir():
            found = sorted(p for p in path.glob(fmt.files) if p.is_file())
            if not found:
                raise ScenarioError([("files", f"no call-log files matching '{fmt.files}' in this folder")], str(path))
            return found
        paths = [path]
    files = [Path(p) for p in paths]
    missing = [("(top level)", f"no such call-log file: {p}") for p in files if not p.is_file()]
    if missing or not files:
        raise ScenarioError(missing or [("(top level)", "no call-log files given")])
    return files


def _read_file(path: Path, fmt: CdrFormat, chunksize: int, stop_at_bad: bool) -> tuple[pd.DataFrame, list[BadRow]]:
    """One file: its canonical rows and its bad rows (with stop_at_bad, those of the first bad chunk)."""
    header = fmt.column_names or _header(path, fmt)
    wanted = sorted(set(fmt.columns.values()))
    absent = [c for c in wanted if c not in header]
    if absent:
        raise ScenarioError([(f"columns.{f}", f"no column '{c}' in the file; its columns: {', '.join(header)}")
                             for f, c in fmt.columns.items() if c in absent], str(path))
    malformed: list[tuple[str, int]] = []

    def invalid(row: Any) -> str:  # a row with too many or too few fields
        malformed.append((row.text, row.actual_columns))
        return "skip"

    chunks, value_bad, first_row = [], [], 0
    try:
        reader = pa_csv.open_csv(
            pa.input_stream(str(path), compression="detect"),
            read_options=pa_csv.ReadOptions(block_size=max(chunksize, 1 << 16), encoding=fmt.encoding,
                                            column_names=fmt.column_names, use_threads=False),
            parse_options=pa_csv.ParseOptions(delimiter=fmt.separator, invalid_row_handler=invalid,
                                              ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types={c: pa.string() for c in wanted},
                                                  include_columns=wanted, strings_can_be_null=False),
        )
        for batch in reader:
            chunk, bad = _canonical(batch, fmt, first_row)
            chunks.append(chunk)
            value_bad += bad
            first_row += batch.num_rows
            if stop_at_bad and (value_bad or malformed):
                break
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:  # e.g. text that is not in the encoding
        raise ScenarioError([(f"after line {first_row + 1}", f"cannot be read: {exc} (is the encoding "
                                                             f"{fmt.encoding!r}?)")], str(path)) from None
    frame = pd.concat(chunks, ignore_index=True) if chunks else _empty()
    bad_lines = _locate(path, fmt, [text for text, _ in malformed]) if malformed else np.zeros(0, dtype=np.int64)
    # Parsed row k sits on line k + first data line, pushed down by the malformed lines above it.
    first_line = 1 if fmt.column_names else 2
    found = bad_lines[bad_lines > 0]
    shift = found - first_line - np.arange(len(found))

    def to_line(rows):
        return rows + first_line + np.searchsorted(shift, rows, side="right")

    frame["line"] = to_line(frame["line"].to_numpy())
    frame["source"] = path.name
    bad = [BadRow(path.name, int(n), "(whole row)", f"has {fields} fields; allowed: {len(header)} fields, "
                  f"separated by {fmt.separator!r}") for n, (_, fields) in zip(bad_lines, malformed, strict=True)]
    bad += [BadRow(path.name, int(to_line(np.int64(k))), column, problem) for k, column, problem in value_bad]
    bad.sort(key=lambda b: b.line)
    return frame[frame["arrival"].notna()].reset_index(drop=True), bad


def _header(path: Path, fmt: CdrFormat) -> list[str]:
    with pa.input_stream(str(path), compression="detect") as stream:
        first = stream.read(1 << 16).split(b"\n", 1)[0].decode(fmt.encoding, errors="replace").rstrip("\r")
    return [c.strip('"') for c in first.split(fmt.separator)]


def _locate(path: Path, fmt: CdrFormat, texts: list[str]) -> np.ndarray:
    """Line numbers of the malformed rows (in order; 0 if not found): pyarrow hands over their
    text but not their place."""
    lines = np.zeros(len(texts), dtype=np.int64)
    found = 0
    with io.TextIOWrapper(pa.input_stream(str(path), compression="detect"), encoding=fmt.encoding,
                          errors="replace") as text:
        for number, line in enumerate(text, start=1):
            if line.rstrip("\r\n") == texts[found].rstrip("\r\n"):
                lines[found] = number
                found += 1
                if found == len(texts):
                    break
    return lines


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS})


def _canonical(batch: pa.RecordBatch, fmt: CdrFormat, first_row: int) -> tuple[pd.DataFrame, list[tuple]]:
    """One parsed chunk in the canonical layout, and its unreadable values (row, column, problem)."""
    n = batch.num_rows
    raw = {f: pc.utf8_trim_whitespace(batch.column(c)) for f, c in fmt.columns.items()}
    for f, names in fmt.rename.items():
        if f in raw:
            text = pd.Series(raw[f].to_numpy(zero_copy_only=False), dtype=object).replace(names)
            raw[f] = pa.array(text.to_numpy(), pa.string())
    blank = np.ones(n, dtype=bool)  # an empty line: not a call, not an error
    for column in raw.values():
        blank &= pc.equal(column, "").to_numpy(zero_copy_only=False)
    absent = {f: _is_missing(col, fmt.missing.get(f, [])) | blank for f, col in raw.items()}
    bad: list[tuple] = []
    out: dict[str, Any] = {}

    def report(field: str, wrong: np.ndarray, what: str) -> None:
        if not wrong.any():
            return
        values = raw[field].to_numpy(zero_copy_only=False)
        for k in np.flatnonzero(wrong):
            bad.append((first_row + k, fmt.columns[field], f"{values[k]!r} {what}"))
        wrong_rows[wrong] = True

    wrong_rows = np.zeros(n, dtype=bool)
    if fmt.clock:
        date = pc.strptime(raw["date"], format=fmt.date_format or "%Y-%m-%d", unit="s", error_is_null=True)
        date_np = date.to_numpy(zero_copy_only=False).astype("datetime64[s]")
        report("date", np.isnat(date_np) & ~blank,
               f"is not a date; allowed: dates written as {fmt.date_format or '%Y-%m-%d'}")
        for f in CLOCKS:
            if f in raw:
                parsed = pc.strptime(raw[f], format="%H:%M:%S", unit="s", error_is_null=True)
                sec = pc.cast(parsed, pa.int64()).to_numpy(zero_copy_only=False).astype(float) % 86400
                report(f, np.isnan(sec) & ~absent[f], "is not a clock time; allowed: H:MM:SS from 0:00:00 to 23:59:59")
                out[f] = np.where(absent[f], np.nan, sec)
        day = date_np.astype("datetime64[D]")
    else:
        stamps = {}
        for f in CLOCKS:
            if f in raw:
                text = pd.Series(raw[f].to_numpy(zero_copy_only=False), dtype=object)
                stamps[f] = pd.to_datetime(text.mask(absent[f]), format=fmt.time_format, errors="coerce")
                report(f, stamps[f].isna().to_numpy() & ~absent[f], f"is not a timestamp; allowed: {fmt.time_format}")
        day = stamps["arrival"].dt.tz_localize(None).dt.floor("D").to_numpy().astype("datetime64[D]")
        if "date" in raw:
            given = pc.strptime(raw["date"], format=fmt.date_format or "%Y-%m-%d", unit="s", error_is_null=True)
            day = given.to_numpy(zero_copy_only=False).astype("datetime64[D]")
            report("date", np.isnat(day) & ~blank, f"is not a date; allowed: {fmt.date_format or '%Y-%m-%d'}")
        midnight = pd.to_datetime(day)
        for f, stamp in stamps.items():
            out[f] = (stamp.dt.tz_localize(None) - midnight).dt.total_seconds().to_numpy()
    report("arrival", absent["arrival"] & ~blank, "is missing; every call needs its arrival time")
    for f in (*DURATIONS, "priority"):
        if f in raw:
            out[f] = _numbers(raw[f], absent[f])
            report(f, np.isnan(out[f]) & ~absent[f], "is not a number; allowed: seconds (e.g. 42) or H:MM:SS"
                   if f != "priority" else "is not a number; allowed: whole numbers")
    out = _wrap_and_derive(out, fmt)
    outcome, outcome_raw = _outcomes(raw, fmt, out, n)
    frame = pd.DataFrame({
        "call": _text(raw, absent, "call"),
        "date": pd.to_datetime(day).astype("datetime64[ns]"),
        **{f: out.get(f, np.full(n, np.nan)) for f in (*CLOCKS[:3], "wait", *CLOCKS[3:], "service_time")},
        "outcome": outcome,
        "outcome_raw": outcome_raw,
        **{f: _text(raw, absent, f) for f in ("agent", "customer", "call_type")},
    })
    priority = out.get("priority", np.full(n, np.nan))
    frame["priority"] = pd.array(np.where(np.isnan(priority), None, priority), dtype="Int64")
    frame["source"] = ""
    frame["line"] = np.arange(first_row, first_row + n, dtype=np.int64)
    frame.loc[wrong_rows | blank, "arrival"] = np.nan  # dropped at the end of the file
    return frame, bad


def _is_missing(column: pa.Array, markers: list[str]) -> np.ndarray:
    missing = pc.or_(pc.equal(column, ""), pc.is_in(column, value_set=pa.array(markers, pa.string())))
    return missing.to_numpy(zero_copy_only=False)


def _numbers(column: pa.Array, absent: np.ndarray) -> np.ndarray:
    """Seconds (``42``, ``42.5``) or durations written as ``H:MM:SS``; NaN where neither."""
    numeric = pc.match_substring_regex(column, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
    number = pc.cast(pc.if_else(numeric, column, pa.scalar(None, pa.string())), pa.float64())
    number = number.to_numpy(zero_copy_only=False).astype(float)
    clock = pc.match_substring(column, ":").to_numpy(zero_copy_only=False) & ~absent
    if clock.any():
        parsed = pc.strptime(column, format="%H:%M:%S", unit="s", error_is_null=True)
        seconds = pc.cast(parsed, pa.int64()).to_numpy(zero_copy_only=False).astype(float) % 86400
        number = np.where(clock, seconds, number)
    return np.where(absent, np.nan, number)


def _wrap_and_derive(out: dict[str, np.ndarray], fmt: CdrFormat) -> dict[str, np.ndarray]:
    """Clock times after midnight belong to the next day; wait and service from what is given."""
    arrival = out["arrival"]
    if fmt.clock:
        for f in CLOCKS[1:]:
            if f in out:  # more than 12 h before the arrival: the clock passed midnight
                out[f] = np.where(out[f] < arrival - 43_200, out[f] + 86_400, out[f])
    n = len(arrival)
    nan = np.full(n, np.nan)
    entry, exit_ = out.get("queue_entry", nan), out.get("queue_exit", nan)
    start, end = out.get("service_start", nan), out.get("service_end", nan)
    wait = out.get("wait", exit_ - entry)
    wait = np.where(np.isnan(wait) & ~np.isnan(entry), start - entry, wait)
    out["queue_entry"] = np.where(np.isnan(entry) & (wait > 0), exit_ - wait, entry)
    out["wait"] = wait
    duration = out.get("service_time", end - start)
    out["service_end"] = np.where(np.isnan(end), start + duration, end)
    duration = np.where(np.isnan(duration), out["service_end"] - start, duration)
    # A log that gives service starts: no start, no service (whatever its duration column says).
    out["service_time"] = np.where(np.isnan(start), np.nan, duration) if "service_start" in out else duration
    return out


def _outcomes(raw: dict[str, pa.Array], fmt: CdrFormat, out: dict[str, np.ndarray], n: int):
    """Canonical outcome per call; wait becomes NaN for calls that never reached the queue."""
    if "outcome" in raw:
        value = pd.Series(raw["outcome"].to_numpy(zero_copy_only=False), dtype=object)
        outcome = np.select(
            [value.isin(fmt.outcomes.served), value.isin(fmt.outcomes.abandoned), value.isin(fmt.outcomes.ignored)],
            ["served", "abandoned", "ignored"], "other",
        )
    else:  # no outcome column: served when a service started, abandoned when it queued without one
        value = pd.Series([None] * n, dtype=object)
        queued = ~np.isnan(out["queue_entry"]) | (out["wait"] > 0)
        started = ~np.isnan(out.get("service_start", np.full(n, np.nan)))
        outcome = np.where(started, "served", np.where(queued, "abandoned", "other"))
    queued = ~np.isnan(out["queue_entry"]) | (np.nan_to_num(out["wait"]) > 0)
    # A call answered without queueing waited 0 s; one that never queued and was not answered
    # (hung up in the IVR) never reached the queue: no wait at all.
    wait = np.where(queued, out["wait"], np.where(outcome == "served", 0.0, np.nan))
    out["wait"] = wait
    return pd.Categorical(outcome, categories=OUTCOMES), value.astype("string")


def _text(raw: dict[str, pa.Array], absent: dict[str, np.ndarray], field: str) -> pd.Series:
    if field not in raw:
        return pd.Series([None] * len(next(iter(raw.values()))), dtype="string")
    return pd.Series(raw[field].to_numpy(zero_copy_only=False), dtype="string").mask(absent[field])
