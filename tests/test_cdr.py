"""The call-log reader: tiny logs written here with known answers (times past midnight, bad rows
at known lines, every time format), and the bank's log against the facts of its README."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ccsim.errors import ScenarioError
from ccsim.planning.calllog import read_anonymous_bank
from ccsim.planning.cdr import BANK_FORMAT, COLUMNS, load_cdr_format, read_cdr

from .helpers import BANK_DATA

MAPPING = {
    "separator": ",",
    "columns": {"call": "id", "date": "day", "arrival": "arr", "queue_entry": "qin", "queue_exit": "qout",
                "service_start": "start", "service_end": "end", "outcome": "res", "agent": "agent",
                "call_type": "kind", "priority": "prio"},
    "date_format": "%y%m%d",
    "outcomes": {"served": ["ANS"], "abandoned": ["ABN"], "ignored": ["TEST"]},
    "missing": {"agent": ["NONE"], "queue_entry": ["0:00:00"], "queue_exit": ["0:00:00"]},
}
HEADER = "id,day,arr,qin,qout,start,end,res,agent,kind,prio\n"


def write(tmp_path, text, name="log.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_clean_log_in_the_canonical_layout(tmp_path):
    path = write(tmp_path, HEADER + (
        "1,990101,23:58:00,23:58:10,23:59:00,23:59:00,0:03:00,ANS,ann,A,2\n"   # answered after midnight
        "2,990101,8:00:00,0:00:00,0:00:00,8:00:05,8:02:05,ANS,bob,A,0\n"       # answered without queueing
        "3,990101,8:10:00,8:10:05,8:11:00,,,ABN,NONE,B,1\n"                    # hung up in the queue
        "4,990102,9:00:00,0:00:00,0:00:00,,,ABN,NONE,B,1\n"                    # hung up in the IVR
        " 5 ,990102, 9:30:00 ,,,,,TEST,,B,1\n"                                 # not a real call; blanks
        "6,990102,9:40:00,9:40:05,9:41:00,,,XFER,,A,\n"                        # an outcome not listed
    ))
    calls = read_cdr(path, MAPPING)
    assert list(calls.columns) == list(COLUMNS)
    assert calls["call"].tolist() == ["1", "2", "3", "4", "5", "6"]
    assert calls["date"].dt.strftime("%Y-%m-%d").tolist() == ["1999-01-01"] * 3 + ["1999-01-02"] * 3
    first = calls.iloc[0]
    assert (first["arrival"], first["queue_entry"], first["queue_exit"]) == (86_280, 86_290, 86_340)
    assert (first["service_start"], first["service_end"], first["service_time"]) == (86_340, 86_580, 240)
    assert first["wait"] == 50
    assert calls["outcome"].tolist() == ["served", "served", "abandoned", "abandoned", "ignored", "other"]
    assert calls["outcome_raw"].tolist() == ["ANS", "ANS", "ABN", "ABN", "TEST", "XFER"]
    # answered at once: waited 0 s; hung up in the IVR: never reached the queue
    assert calls["wait"].iloc[1] == 0 and calls["wait"].iloc[2] == 55 and np.isnan(calls["wait"].iloc[3])
    assert calls["agent"].isna().tolist() == [False, False, True, True, True, True]
    assert calls["priority"].tolist()[:5] == [2, 0, 1, 1, 1] and calls["priority"].isna().iloc[5]
    assert calls["line"].tolist() == [2, 3, 4, 5, 6, 7] and set(calls["source"]) == {"log.csv"}
    assert calls.attrs["skipped_rows"] == []


BAD = HEADER + (
    "1,990101,8:00:00,8:00:05,8:01:00,8:01:00,8:02:00,ANS,ann,A,0\n"   # line 2
    "2,990101,7:5x:00,,,,,ABN,,A,0\n"                                  # line 3: not a time
    "only,three,fields\n"                                              # line 4: too few fields
    "\n"                                                               # line 5: blank, ignored
    "3,990101,8:10:00,8:10:05,8:11:00,,,ABN,,B,1\n"                    # line 6
    "4,990102,8:00:00,8:00:05,8:01:00,8:01:00,8:02:00,ANS,bob,B,1,X\n"  # line 7: too many
    "5,99013x,9:00:00,,,,,ABN,,B,1\n"                                  # line 8: not a date
    "6,990102,9:00:00,,,,,ABN,,B,high\n"                               # line 9: priority
)


def test_unreadable_rows_stop_the_reading_with_file_line_and_column(tmp_path):
    path = write(tmp_path, BAD)
    with pytest.raises(ScenarioError) as caught:
        read_cdr(path, MAPPING)
    err = caught.value
    assert err.source == str(path)
    lines = [p for p, _ in err.problems]
    assert lines == ["line 3", "line 4", "line 7", "line 8", "line 9", "(reading stopped)"]
    messages = dict(err.problems)
    assert messages["line 3"] == "arr: '7:5x:00' is not a clock time; allowed: H:MM:SS from 0:00:00 to 23:59:59"
    assert messages["line 4"] == "(whole row): has 3 fields; allowed: 11 fields, separated by ','"
    assert messages["line 7"].startswith("(whole row): has 12 fields")
    assert messages["line 8"].startswith("day: '99013x' is not a date; allowed: dates written as %y%m%d")
    assert messages["line 9"].startswith("prio: 'high' is not a number")
    assert "skip_bad_rows=True" in messages["(reading stopped)"]


def test_skipping_bad_rows_lists_them_and_keeps_the_rest(tmp_path):
    path = write(tmp_path, BAD)
    with pytest.warns(UserWarning, match="skipped 5 unreadable call-log rows") as warned:
        calls = read_cdr(path, MAPPING, skip_bad_rows=True)
    assert "log.csv:4: (whole row)" in str(warned[0].message)
    assert calls["call"].tolist() == ["1", "3"] and calls["line"].tolist() == [2, 6]
    skipped = calls.attrs["skipped_rows"]
    assert [(b.line, b.column) for b in skipped] == [(3, "arr"), (4, "(whole row)"), (7, "(whole row)"),
                                                     (8, "day"), (9, "prio")]


def test_line_numbers_stay_right_across_chunks(tmp_path):
    """Thousands of rows read 64 KiB at a time, with malformed rows in several chunks: every
    row keeps its own line number."""
    rows, bad_lines = [], {10, 1500, 1501, 4000, 5999}
    for line in range(2, 6002):
        if line in bad_lines:
            rows.append("broken row\n" if line != 4000 else "8,990101,8:00:00\n")
        else:
            rows.append(f"{line},990101,8:00:00,8:00:05,8:01:00,8:01:00,8:02:00,ANS,agent_{line % 7},A,0\n")
    path = write(tmp_path, HEADER + "".join(rows))
    assert path.stat().st_size > 4 * 65_536
    with pytest.warns(UserWarning):
        calls = read_cdr(path, MAPPING, skip_bad_rows=True, chunksize=65_536)
    assert [b.line for b in calls.attrs["skipped_rows"]] == sorted(bad_lines)
    assert len(calls) == 6000 - len(bad_lines)
    assert (calls["line"] == calls["call"].astype(int)).all()
    with pytest.raises(ScenarioError) as caught:  # stops at the first chunk with a bad row
        read_cdr(path, MAPPING, chunksize=65_536)
    assert [p for p, _ in caught.value.problems][0] == "line 10"


def test_full_timestamps_and_durations(tmp_path):
    write(tmp_path, (
        "CallId;Start;Answered;Ended;Queue;Result;Agent;Skill\n"
        "a;2024-03-05 23:59:30;2024-03-06 00:00:10;2024-03-06 00:05:10;0:00:40;ok;A1;sales\n"
        "b;2024-03-06 10:00:00;;;75;lost;;sales\n"
        "c;2024-03-06 10:00:00.5;;;;ivr;;service\n"
    ), name="log.txt")
    mapping = {
        "separator": ";", "files": "*.txt", "time_format": "%Y-%m-%d %H:%M:%S",
        "columns": {"call": "CallId", "arrival": "Start", "service_start": "Answered", "service_end": "Ended",
                    "wait": "Queue", "outcome": "Result", "agent": "Agent", "call_type": "Skill"},
        "outcomes": {"served": ["ok"], "abandoned": ["lost"]},
    }
    with pytest.raises(ScenarioError, match=r"line 4: Start: '2024-03-06 10:00:00.5' is not a timestamp"):
        read_cdr(tmp_path, mapping)  # a folder: its *.txt files
    calls = read_cdr(tmp_path, {**mapping, "time_format": "ISO8601"})
    assert calls["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-05", "2024-03-06", "2024-03-06"]
    assert calls["arrival"].tolist() == [86_370, 36_000, 36_000.5]
    assert calls["service_start"].iloc[0] == 86_410 and calls["service_time"].iloc[0] == 300
    assert calls["wait"].iloc[0] == 40 and calls["wait"].iloc[1] == 75 and np.isnan(calls["wait"].iloc[2])
    assert calls["outcome"].tolist() == ["served", "abandoned", "other"]


def test_without_an_outcome_column_the_outcome_follows_the_times(tmp_path):
    path = write(tmp_path, "arr,day,qin,qout,start\n8:00:00,990101,8:00:01,8:00:09,8:00:09\n"
                 "8:01:00,990101,8:01:01,8:01:30,\n8:02:00,990101,,,\n")
    mapping = {"columns": {"arrival": "arr", "date": "day", "queue_entry": "qin", "queue_exit": "qout",
                           "service_start": "start"}, "date_format": "%y%m%d"}
    calls = read_cdr(path, mapping)
    assert calls["outcome"].tolist() == ["served", "abandoned", "other"]
    assert calls["wait"].tolist()[:2] == [8, 29]


def test_compressed_logs_and_wrong_encodings(tmp_path):
    import gzip

    (tmp_path / "log.csv.gz").write_bytes(gzip.compress(BAD.encode()))
    with pytest.raises(ScenarioError, match="line 4: \\(whole row\\): has 3 fields"):
        read_cdr(tmp_path / "log.csv.gz", MAPPING)
    latin = write(tmp_path, "arr,day,agent\n8:00:00,990101,Jos\u00e9\n", name="latin.csv")
    latin.write_bytes(latin.read_text(encoding="utf-8").encode("latin-1"))
    mapping = {"columns": {"arrival": "arr", "date": "day", "agent": "agent"}, "date_format": "%y%m%d"}
    with pytest.raises(ScenarioError, match="invalid UTF8 data \\(is the encoding 'utf-8'\\?\\)"):
        read_cdr(latin, mapping)
    assert read_cdr(latin, {**mapping, "encoding": "latin-1"})["agent"].tolist() == ["Jos\u00e9"]


def test_mapping_from_yaml_and_its_errors(tmp_path):
    good = write(tmp_path, "columns: {arrival: arr, date: day}\ndate_format: '%y%m%d'\n", name="fmt.yaml")
    log = write(tmp_path, "arr,day\n7:00:00,990101\n")
    assert read_cdr(log, good)["arrival"].tolist() == [25_200]
    assert load_cdr_format("anonymous_bank") is BANK_FORMAT
    bad = write(tmp_path, "columns: {arival: arr}\nseparator: '::'\nextra: 1\n", name="bad.yaml")
    with pytest.raises(ScenarioError) as caught:
        load_cdr_format(bad)
    problems = dict(caught.value.problems)
    assert caught.value.source == str(bad)
    assert "columns.arival" in problems and "separator" in problems
    assert problems["extra"].startswith("unknown key; allowed keys:")
    with pytest.raises(ScenarioError, match="columns needs 'arrival'"):
        load_cdr_format({"columns": {"date": "day"}})
    with pytest.raises(ScenarioError, match="the columns need 'date'"):
        load_cdr_format({"columns": {"arrival": "arr"}})
    with pytest.raises(ScenarioError, match="not a built-in log format"):
        load_cdr_format("no_such_format")
    # Read like a scenario file: broken YAML and a key given twice are clear errors, not tracebacks.
    for text in ("columns: {arrival: arr\n", "columns: {arrival: arr}\ncolumns: {arrival: x}\n"):
        with pytest.raises(ScenarioError) as caught:
            load_cdr_format(write(tmp_path, text, name="broken.yaml"))
        assert caught.value.source.endswith("broken.yaml")


def test_missing_files_and_columns_are_clear_errors(tmp_path):
    with pytest.raises(ScenarioError, match=r"no call-log files matching '\*.csv'"):
        read_cdr(tmp_path, MAPPING)
    with pytest.raises(ScenarioError, match="no such call-log file"):
        read_cdr(tmp_path / "nope.csv", MAPPING)
    path = write(tmp_path, "id,day,arrival\n1,990101,8:00:00\n")
    with pytest.raises(ScenarioError) as caught:
        read_cdr(path, MAPPING)
    assert ("columns.arrival", "no column 'arr' in the file; its columns: id, day, arrival") in caught.value.problems


# ---------------------------------------------------------------------------------------------
# The bank's log (skipped without the data).

needs_bank = pytest.mark.skipif(not BANK_DATA.is_dir(),
                                reason=f"real call-log data not found at {BANK_DATA} (shared/ is not beside the repo)")


@pytest.fixture(scope="module")
def bank():
    return read_cdr(BANK_DATA, "anonymous_bank")


@needs_bank
def test_bank_log_facts(bank):
    assert len(bank) == 360_364 and bank["date"].nunique() == 302
    assert bank.attrs["skipped_rows"] == []
    share = bank["outcome"].value_counts(normalize=True)
    assert share["served"] == pytest.approx(0.793, abs=0.001)
    assert share["abandoned"] == pytest.approx(0.199, abs=0.001)
    assert share["ignored"] == pytest.approx(0.008, abs=0.001) and share["other"] == 0
    assert bank["call_type"].value_counts(normalize=True)["PS"] == pytest.approx(0.68, abs=0.006)
    served = bank[(bank["outcome"] == "served") & (bank["service_time"] > 0)]["service_time"]
    assert served.mean() == pytest.approx(188, abs=1) and served.median() == pytest.approx(113, abs=1)
    queued_served = bank[(bank["outcome"] == "served") & (bank["wait"] > 0)]["wait"]
    assert queued_served.mean() == pytest.approx(103, abs=1)
    # times past midnight: wrapped onto the next day, so a time of a real call is never long
    # before its arrival (the log has its own glitches: 101 queue entries up to 6 minutes
    # before the arrival, one service start 8 hours before it)
    real = bank[bank["outcome"] != "ignored"]
    for column in ("queue_entry", "queue_exit", "service_start", "service_end"):
        late = real[column] - real["arrival"]
        assert (late < -60).sum() <= 101 and (late < -600).sum() <= 1 and late.max() < 43_200
    assert (bank["service_end"] > 86_400).sum() > 100
    # agents: the names spoilt in May and June are mended
    assert not bank["agent"].str.contains("NO_SERVER", na=False).any()
    assert bank["agent"].nunique() == 43  # 46 values in the log: NO_SERVER and two spoilt names


@needs_bank
def test_bank_log_agrees_with_the_bank_reader(bank):
    raw = read_anonymous_bank(BANK_DATA)
    assert (bank["arrival"].to_numpy() == raw["vru_entry_s"].to_numpy()).all()
    assert (bank["outcome_raw"].to_numpy() == raw["outcome"].to_numpy()).all()
    queued = (raw["q_time"] > 0).to_numpy()
    assert (bank["wait"].to_numpy()[queued] == raw["q_time"].to_numpy()[queued]).all()
    answered = ((raw["outcome"] == "AGENT") & (raw["ser_start"].str.strip() != "0:00:00")).to_numpy()
    assert np.allclose(bank["service_time"].to_numpy()[answered], raw["ser_time"].to_numpy()[answered])
    pd.testing.assert_series_equal(bank["date"], raw["date"].astype("datetime64[ns]"), check_names=False)
