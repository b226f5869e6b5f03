"""Reading a forecast file: calls and handle time per queue and interval, as WFM tools write them.

A planner's forecast comes out of the workforce-management tool or a spreadsheet as one row
per queue and interval::

    queue;interval;offered;aht;acw
    PS;07:00;35,2;156;12
    PS;08:00;56,6;184;12
    NE;07:00;1,1;308;20

Column names are matched case-insensitively with their usual aliases (``split`` for queue,
``offered`` or ``calls`` for volume, ``handle_time`` for AHT, ...); the separator (comma,
semicolon, tab) is sniffed from the header, and with semicolons a decimal comma is accepted.
Intervals are clock times (``08:00``, ``08:00:00``), date-times (``2026-12-07 08:00``) or a
clock time with a ``date`` column; a clock-time day may cross midnight (22:00 ... 01:30).
Every problem is reported with the file, the line as an editor counts it, the column as the
file names it, what is wrong and what is allowed, as a :class:`ccsim.errors.ScenarioError`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ScenarioError

MAX_ROWS = 1_000_000
MAX_BYTES = 200_000_000
MAX_SHOWN = 20  # problems listed before "... and N more"

#: field -> the column names (after lower-casing, spaces and dashes as _) that mean it
FIELDS: dict[str, tuple[str, ...]] = {
    "queue": ("queue", "skill", "split", "queue_name"),
    "date": ("date", "day"),
    "start": ("start", "interval", "interval_start", "time", "datetime", "start_time"),
    "end": ("end", "interval_end", "end_time"),
    "volume": ("volume", "offered", "calls", "contacts", "forecast"),
    "aht_seconds": ("aht", "handle_time", "aht_seconds"),
    "acw_seconds": ("acw", "wrap", "wrapup", "after_call_work", "acw_seconds"),
    "patience_seconds": ("patience", "patience_seconds"),
}
_ALIAS = {alias: field for field, aliases in FIELDS.items() for alias in aliases}
_WHAT = {"queue": "the queue", "date": "the date", "start": "the interval start", "end": "the interval end",
         "volume": "the volume (calls)", "aht_seconds": "the average handle time (s)",
         "acw_seconds": "the after-call work (s)", "patience_seconds": "the callers' mean patience (s)"}
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
TIME_FORMS = "a clock time 08:00 or 08:00:00, or a date and time 2026-12-07 08:00"
_DAY = 1440.0


class _Problems:
    """Problems found in a file, kept as (line, column, message) and raised together."""

    def __init__(self, source: str, row_word: str):
        self.source, self.row_word, self.items = source, row_word, []

    def add(self, line: int | None, column: str | None, message: str) -> None:
        self.items.append((line, column, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        items = sorted(self.items, key=lambda x: (x[0] or 0))
        problems = []
        for line, column, message in items[:MAX_SHOWN]:
            where = [f"{self.row_word} {line}"] if line is not None else []
            where += [f"column '{column}'"] if column is not None else []
            problems.append((", ".join(where) or "(file)", message))
        if len(items) > MAX_SHOWN:
            problems.append(("(file)", f"... and {len(items) - MAX_SHOWN:,} more problems like these"))
        raise ScenarioError(problems, source=self.source)


def read_forecast(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """A forecast file (or a table with the same columns) as one row per queue and interval.

    Args:
        source: a CSV file (comma, semicolon or tab separated; header row required), or a
            DataFrame with the same columns (problems then name its rows, counted from 1).

    Returns:
        Columns ``queue``, ``start`` and ``end`` (labels ``08:00`` or ``2026-12-07 08:00``),
        ``minute`` (the start in minutes from midnight of the first day), ``volume``,
        ``aht_seconds``, ``acw_seconds`` and ``patience_seconds`` when given (NaN where a row
        without calls leaves them empty), and ``line`` (of the file). ``attrs`` hold
        ``source``, ``interval_minutes``, ``dated`` (date-times given) and ``columns`` (field ->
        the column name as written). A file without a queue column is one queue named after
        the file.

    Raises:
        ScenarioError: every problem, each naming its line and column.
    """
    if isinstance(source, pd.DataFrame):
        header = [str(c) for c in source.columns]
        rows = source.astype(object).where(source.notna(), "").astype(str).values.tolist()
        lines = list(range(1, len(rows) + 1))
        return _build(header, rows, lines, _Problems("forecast table", "row"), ",", "forecast")
    path = Path(source)
    header, rows, lines, separator = _read_rows(path)
    return _build(header, rows, lines, _Problems(str(path), "line"), separator, path.stem)


def _read_rows(path: Path) -> tuple[list[str], list[list[str]], list[int], str]:
    """The header, the data rows (padded to the header's width) and their line numbers."""
    bad = _Problems(str(path), "line")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            bad.add(None, None, f"is {size / 1e6:,.0f} MB; a forecast file may be at most {MAX_BYTES // 1_000_000} MB")
            bad.raise_if_any()
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError([("(file)", "no such file")], source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([("(file)", f"is not UTF-8 text (byte {exc.start:,}); save it as CSV UTF-8")],
                            source=str(path)) from None
    except OSError as exc:
        raise ScenarioError([("(file)", f"cannot be read: {exc.strerror or exc}")], source=str(path)) from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    separator = max(counts, key=lambda s: counts[s])
    if not first:
        bad.add(None, None, "is empty; a forecast needs a header row (e.g. queue,interval,volume,aht) and a row "
                            "per queue and interval")
    elif counts[separator] == 0:
        bad.add(1, None, f"the header '{first[:60]}' has one column; separate the columns (interval, volume, aht, "
                         "...) with commas, semicolons or tabs")
    bad.raise_if_any()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header: list[str] | None = None
    rows, lines, previous = [], [], 0
    try:
        for record in reader:
            line, previous = previous + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip() for cell in record]
                continue
            if len(record) < len(header) or any(cell.strip() for cell in record[len(header):]):
                bad.add(line, None, f"has {len(record)} fields; the header has {len(header)} (separator "
                                    f"{'tab' if separator == chr(9) else repr(separator)})")
                if len(bad.items) > MAX_SHOWN:
                    break
                continue
            rows.append(record[: len(header)])
            lines.append(line)
            if len(rows) > MAX_ROWS:
                bad.add(None, None, f"has more than {MAX_ROWS:,} rows; a forecast may have at most {MAX_ROWS:,} "
                                    "(queues x intervals); split it or aggregate to longer intervals")
                break
    except csv.Error as exc:
        bad.add(reader.line_num, None, f"cannot be read as CSV: {exc}")
    bad.raise_if_any()
    assert header is not None
    return header, rows, lines, separator


def _columns(header: Sequence[str], bad: _Problems) -> dict[str, int]:
    """field -> position in the header; unknown, doubled and missing columns are problems."""
    found: dict[str, int] = {}
    allowed = "; ".join(f"{_WHAT[f]}: {', '.join(a)}" for f, a in FIELDS.items())
    for i, name in enumerate(header):
        key = re.sub(r"[\s\-]+", "_", name.strip().lower())
        field = _ALIAS.get(key)
        if field is None:
            bad.add(1 if bad.row_word == "line" else None, name,
                    f"unknown column; the columns a forecast may have (any case): {allowed}")
        elif field in found:
            bad.add(None, name, f"means {_WHAT[field]}, as column '{header[found[field]]}' does; keep one of them")
        else:
            found[field] = i
    for field in ("start", "volume", "aht_seconds"):
        if field not in found:
            bad.add(None, None, f"no column for {_WHAT[field]}; name it one of: {', '.join(FIELDS[field])}")
    if "date" in found and "start" not in found:
        bad.add(None, header[found["date"]], "a date column goes with a clock-time interval column (e.g. 08:00)")
    return found


def _build(header: list[str], rows: list[list[str]], lines: list[int], bad: _Problems, separator: str,
           default_queue: str) -> pd.DataFrame:
    """The forecast table from the raw text cells, or every problem in them."""
    found = _columns(header, bad)
    bad.raise_if_any()
    if not rows:
        bad.add(None, None, "has a header but no rows; give one row per queue and interval")
        bad.raise_if_any()
    table = pd.DataFrame(rows, columns=range(len(header)), dtype=object)
    table = table.apply(lambda c: c.astype(str).str.strip().astype(object))
    line = np.asarray(lines, dtype=np.int64)
    name = {f: header[i] for f, i in found.items()}
    numbers = {f: _numbers(table[found[f]], line, name[f], f, separator == ";", bad)
               for f in ("volume", "aht_seconds", "acw_seconds", "patience_seconds") if f in found}
    volume = numbers["volume"]
    calls = volume > 0
    for f, values in numbers.items():
        empty = (table[found[f]] == "").to_numpy()
        for k in np.flatnonzero(empty & (calls | (f == "volume"))):
            bad.add(int(line[k]), name[f], "is empty; " + ("every row needs its volume (0 if no calls)" if f == "volume"
                                                            else f"this interval has calls, so it needs {_WHAT[f]}"))
        if f in ("aht_seconds", "patience_seconds"):
            for k in np.flatnonzero((values == 0) & calls):
                bad.add(int(line[k]), name[f], f"is 0 with {volume[k]:g} calls; allowed: > 0 where there are calls "
                                               "(0 or empty only in intervals without calls)")
    if "queue" in found:
        queue = table[found["queue"]].to_numpy(dtype=object)
        for k in np.flatnonzero(queue == ""):
            bad.add(int(line[k]), name["queue"], "is empty; every row needs its queue (e.g. PS)")
    else:
        queue = np.full(len(table), default_queue, dtype=object)
    start, span, origin = _interval_times(table, found, name, line, bad)
    bad.raise_if_any()
    frame = pd.DataFrame({"queue": queue, "minute": start, "volume": volume})
    for f in ("aht_seconds", "acw_seconds", "patience_seconds"):
        if f in numbers:
            frame[f] = numbers[f]
    frame["line"] = line
    length = _interval_length(frame, span, name.get("end"), origin, bad)
    bad.raise_if_any()
    _check_grid(frame, length, origin, name["start"], bad)
    bad.raise_if_any()
    codes = pd.factorize(frame["queue"])[0]  # queues in the order of the file
    frame = frame.iloc[np.lexsort((frame["minute"].to_numpy(), codes))].reset_index(drop=True)
    times, at = np.unique(frame["minute"].to_numpy(), return_inverse=True)  # label each time once
    frame.insert(1, "start", np.asarray(minute_labels(times, origin), dtype=object)[at])
    frame.insert(2, "end", np.asarray(minute_labels(times + length, origin, end=True), dtype=object)[at])
    frame.attrs.update(source=bad.source, interval_minutes=float(length), dated=origin is not None,
                       origin=None if origin is None else str(origin.date()), columns=name)
    return frame


def _numbers(text: pd.Series, line: np.ndarray, column: str, field: str, decimal_comma: bool,
             bad: _Problems) -> np.ndarray:
    """Numbers >= 0 (NaN where empty); anything else is a problem."""
    cleaned = text.str.replace(",", ".", regex=False) if decimal_comma else text
    values = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float)
    given = (text != "").to_numpy()
    allowed = "a number of calls >= 0, e.g. 56.6" if field == "volume" else "seconds >= 0, e.g. 185"
    word = re.compile(r"^[+-]?(nan|inf|infinity)$", re.IGNORECASE)
    for k in np.flatnonzero(given & ~np.isfinite(values)):
        raw = text.iloc[k]
        what = "is not a finite number" if word.match(raw) else "is not a number"
        bad.add(int(line[k]), column, f"'{raw[:40]}' {what}; allowed: {allowed}")
    for k in np.flatnonzero(np.isfinite(values) & (values < 0)):
        bad.add(int(line[k]), column, f"{text.iloc[k]} is negative; allowed: {allowed}")
    return np.where(np.isfinite(values) & (values >= 0), values, np.nan)


def _interval_times(table: pd.DataFrame, found: dict[str, int], name: dict[str, str], line: np.ndarray,
                    bad: _Problems) -> tuple[np.ndarray, np.ndarray | None, pd.Timestamp | None]:
    """Each row's start in minutes from midnight of the first day, its length (with an end
    column), and that midnight (None for clock times without dates)."""
    start_text = table[found["start"]]
    dated = "date" in found or not _CLOCK.match(next((v for v in start_text if v), "00:00"))
    if "date" in found:
        clock = _clocks(start_text, line, name["start"], bad, end=False)
        day = _datetimes(table[found["date"]], line, name["date"], bad, what="a date, e.g. 2026-12-07")
        start = day + clock
    elif dated:
        start = _datetimes(start_text, line, name["start"], bad)
    else:
        start = _clocks(start_text, line, name["start"], bad, end=False)
    span = None
    if "end" in found:
        end_text = table[found["end"]]
        if dated and not _CLOCK.match(next((v for v in end_text if v), "00:00")):
            span = _datetimes(end_text, line, name["end"], bad) - start
        else:  # an end clock is on the day of its start, or the next one past midnight
            span = np.mod(_clocks(end_text, line, name["end"], bad, end=True) - np.mod(start, _DAY), _DAY)
        for k in np.flatnonzero(span <= 0):
            bad.add(int(line[k]), name["end"], "the interval ends when or before it starts; the end is the next "
                                               "interval's start, e.g. 08:00 to 08:30")
    if bad.items:
        return start, span, None
    if not dated:
        return _day_from_largest_gap(start), span, None
    midnight = np.floor(start.min() / _DAY) * _DAY
    origin = pd.Timestamp("1970-01-01") + pd.Timedelta(minutes=float(midnight))
    return start - midnight, span, origin


def _clocks(text: pd.Series, line: np.ndarray, column: str, bad: _Problems, end: bool) -> np.ndarray:
    """``08:00`` or ``08:00:00`` -> minutes after midnight (``24:00`` only as an end)."""
    parts = text.str.extract(_CLOCK).astype(float)
    h, m, s = parts[0].to_numpy(), parts[1].to_numpy(), parts[2].fillna(0).to_numpy()
    ok = (h <= 23) & (m <= 59) & (s <= 59)
    if end:
        ok |= (h == 24) & (m == 0) & (s == 0)
    for k in np.flatnonzero(~ok):
        raw = text.iloc[k]
        if not raw:
            bad.add(int(line[k]), column, "is empty; every row needs its interval")
        elif _CLOCK.match(raw):
            bad.add(int(line[k]), column, f"'{raw}' is not a time of day (00:00 to 23:59{', or 24:00' if end else ''})")
        else:
            bad.add(int(line[k]), column, f"'{raw[:40]}' is not a clock time like the other rows' (e.g. 08:00); "
                                          f"allowed: {TIME_FORMS}, the same form in every row")
    return np.where(ok, h * 60 + m + s / 60, np.nan)


def _datetimes(text: pd.Series, line: np.ndarray, column: str, bad: _Problems,
               what: str = f"a date and time; allowed: {TIME_FORMS}") -> np.ndarray:
    """ISO dates or date-times -> minutes since 1970-01-01 (NaN where unreadable)."""
    stamps = pd.to_datetime(text, format="ISO8601", errors="coerce")
    for k in np.flatnonzero(stamps.isna().to_numpy()):
        raw = text.iloc[k]
        if not raw:
            bad.add(int(line[k]), column, "is empty; every row needs its interval")
        elif _CLOCK.match(raw):
            bad.add(int(line[k]), column, f"'{raw}' is a clock time, but other rows give dates too; write every "
                                          "interval the same way (all 08:00, or all 2026-12-07 08:00)")
        else:
            bad.add(int(line[k]), column, f"'{raw[:40]}' is not {what}")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    seconds = stamps.to_numpy(dtype="datetime64[s]").astype(np.int64).astype(float)
    return np.where(stamps.isna().to_numpy(), np.nan, seconds / 60)


def _day_from_largest_gap(start: np.ndarray) -> np.ndarray:
    """Clock times of one day that may cross midnight: the day starts after the largest gap.

    07:00 ... 23:00 starts at 07:00; 22:00 ... 01:30 at 22:00 (00:00-01:30 are the next day);
    a full day 00:00 ... 23:30 at 00:00.
    """
    times = np.unique(start)
    gaps = np.diff(np.append(times, times[0] + _DAY))
    first = times[0] if gaps[-1] >= gaps.max() - 1e-9 else times[int(np.argmax(gaps)) + 1]
    return np.where(start < first, start + _DAY, start)


def _interval_length(frame: pd.DataFrame, span: np.ndarray | None, end_column: str | None,
                     origin: pd.Timestamp | None, bad: _Problems) -> float:
    """The common length of the intervals, in minutes."""
    line, minute = frame["line"].to_numpy(), frame["minute"].to_numpy()
    if span is not None:
        values, counts = np.unique(np.round(span, 6), return_counts=True)
        length = float(values[np.argmax(counts)])
        for k in np.flatnonzero(np.abs(span - length) > 1e-6):
            start, stop = minute_labels(np.array([minute[k], minute[k] + span[k]]), origin, end=True)
            bad.add(int(line[k]), end_column, f"the interval {start}-{stop} is {span[k]:g} min long; the other "
                                              f"intervals are {length:g} min (all must have the same length)")
        return length
    steps = [np.diff(np.unique(g.to_numpy())) for _, g in frame.groupby("queue", sort=False)["minute"]]
    steps = np.concatenate(steps)
    if not len(steps):
        bad.add(None, None, "has one row per queue, so the interval length cannot be told; add an 'end' column "
                            "(e.g. start 08:00, end 08:30)")
        return 0.0
    return float(steps.min())


def _check_grid(frame: pd.DataFrame, length: float, origin: pd.Timestamp | None, column: str,
                bad: _Problems) -> None:
    """Intervals line up on one grid, each queue's once, with no gaps between its first and last."""
    minute, lines = frame["minute"].to_numpy(), frame["line"].to_numpy()
    codes, names = pd.factorize(frame["queue"])
    first = minute.min()
    offset = np.mod(minute - first, length)
    off = np.minimum(offset, length - offset) > 1e-6

    def span(k: int) -> str:
        return "-".join(minute_labels(np.array([minute[k], minute[k] + length]), origin, end=True))

    grid = minute_labels(np.array([first, first + length]), origin)
    for n, k in enumerate(np.flatnonzero(off)):
        other = np.flatnonzero((codes == codes[k]) & ~off & (np.abs(minute - minute[k]) < length)) \
            if n < MAX_SHOWN else ()  # beyond what is shown, a short message will do
        what = (f"overlaps {span(other[0])} ({bad.row_word} {lines[other[0]]})" if len(other)
                else f"is off the {length:g}-min grid of the other rows ({grid[0]}, {grid[1]}, ...)")
        bad.add(int(lines[k]), column, f"queue '{names[codes[k]]}': the interval {span(k)} {what}; intervals "
                                       "must have the same length and follow one another")
    order = np.lexsort((minute, codes))
    on = order[~off[order]]
    a, b = on[:-1], on[1:]
    step = np.where(codes[a] == codes[b], minute[b] - minute[a], length)
    for i in np.flatnonzero(step < 1e-6):
        at = minute_labels(minute[b[i]:b[i] + 1], origin)[0]
        bad.add(int(lines[b[i]]), column, f"queue '{names[codes[b[i]]]}', interval {at} is also in {bad.row_word} "
                                          f"{lines[a[i]]}; give one row per queue and interval")
    for i in np.flatnonzero(step > length + 1e-6):
        gap = minute_labels(np.array([minute[a[i]] + length, minute[b[i]]]), origin, end=True)
        bad.add(int(lines[b[i]]), column, f"queue '{names[codes[b[i]]]}' has no row for {gap[0]}-{gap[1]} (a gap "
                                          f"after {bad.row_word} {lines[a[i]]}); give every interval a row, with 0 "
                                          "calls where there are none")


def minute_labels(minutes: np.ndarray, origin: pd.Timestamp | None, end: bool = False) -> list[str]:
    """Minutes from the first midnight as ``08:30`` (``24:00`` for an end at midnight), or as
    ``2026-12-07 08:30`` from ``origin``."""
    if origin is not None:
        stamps = origin + pd.to_timedelta(np.round(np.asarray(minutes, dtype=float) * 60), unit="s")
        return list(stamps.strftime("%Y-%m-%d %H:%M"))
    whole = np.round(np.asarray(minutes, dtype=float)).astype(np.int64)
    rest = np.mod(whole, int(_DAY))
    hours = np.where(end & (rest == 0) & (whole > 0), 24, rest // 60)
    return [f"{h:02d}:{r:02d}" for h, r in zip(hours.tolist(), (rest % 60).tolist(), strict=True)]
