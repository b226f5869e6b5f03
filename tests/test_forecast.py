"""Forecasts: reading the WFM layout, writing it into a scenario, and the requirement per interval."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

import ccsim
from ccsim.analysis.erlang_staffing import required_agents
from ccsim.errors import ScenarioError
from ccsim.planning import forecast_read
from ccsim.planning.forecast import (
    ForecastWarning,
    apply_forecast,
    bank_weekday_forecast,
    erlang_requirement,
    merge_forecast,
    read_forecast,
    scenario_queues,
)
from ccsim.spec.loading import load_scenario

from .helpers import BANK_DATA, SCENARIOS, single_queue
from .test_cli import assert_clean_error
from .test_cli import ccsim as ccsim_cli

FORECASTS = SCENARIOS / "forecasts"
BANK_CSV = FORECASTS / "bank_weekday.csv"
BANK_YAML = FORECASTS / "bank_weekday.yaml"


def write(tmp_path, text: str, name: str = "forecast.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def two_queues(**changes) -> dict:
    """Two intents on two skills, four half-hours from 08:00."""
    data = single_queue(hours=2, warmup_minutes=0, interval_minutes=30)
    data["horizon"]["start"] = "08:00"
    data["arrivals"] = {"rate_per_hour": 100}
    data["intents"] = [
        {"name": "general", "share": 0.8, "skill": "general",
         "handle_time": {"dist": "lognormal", "mean": 180, "cv": 1.2}},
        {"name": "cards", "share": 0.2, "skill": "cards", "handle_time": {"dist": "exponential", "mean": 240}},
    ]
    data["pools"] = [{"name": "agents", "agents": 5, "skills": ["general"]},
                     {"name": "card_team", "agents": 3, "skills": ["cards"]}]
    data.update(changes)
    return data


def one_queue(start: str = "08:00") -> dict:
    """The one-queue scenario over four half-hours from ``start``."""
    data = single_queue(hours=2, warmup_minutes=0, interval_minutes=30)
    data["horizon"]["start"] = start
    return data


TWO_QUEUES_CSV = """queue,interval,volume,aht
general,08:00,50,200
general,08:30,60,180
general,09:00,0,
general,09:30,40,160
cards,08:00,10,240
cards,08:30,12,300
cards,09:00,8,240
cards,09:30,6,240
"""


class TestReading:
    def test_comma_file(self, tmp_path):
        f = read_forecast(write(tmp_path, TWO_QUEUES_CSV))
        assert list(f["queue"]) == ["general"] * 4 + ["cards"] * 4
        assert list(f["start"][:4]) == ["08:00", "08:30", "09:00", "09:30"] and f["end"].iloc[3] == "10:00"
        assert f.attrs["interval_minutes"] == 30 and not f.attrs["dated"]
        assert f["volume"].sum() == 186 and math.isnan(f["aht_seconds"].iloc[2])
        assert list(f["line"][:4]) == [2, 3, 4, 5]

    def test_semicolons_decimal_commas_and_aliases(self, tmp_path):
        text = ("Split;Interval Start;Offered;Handle_Time;Wrap;Patience\n"
                "PS;07:00:00;35,2;156;12;300\nPS;08:00:00;56,6;184,5;12;300\n")
        f = read_forecast(write(tmp_path, text))
        assert f["volume"].tolist() == [35.2, 56.6] and f["aht_seconds"].tolist() == [156, 184.5]
        assert f["acw_seconds"].tolist() == [12, 12] and f["patience_seconds"].tolist() == [300, 300]
        assert f.attrs["columns"]["volume"] == "Offered" and f.attrs["interval_minutes"] == 60

    def test_tabs_date_times_and_end(self, tmp_path):
        text = ("queue_name\tdatetime\tinterval_end\tcalls\taht_seconds\n"
                "A\t2026-12-07 23:00\t2026-12-08 00:00\t5\t100\nA\t2026-12-08 00:00\t2026-12-08 01:00\t4\t90\n")
        f = read_forecast(write(tmp_path, text))
        assert f.attrs["dated"] and f.attrs["origin"] == "2026-12-07"
        assert f["start"].tolist() == ["2026-12-07 23:00", "2026-12-08 00:00"] and f["minute"].tolist() == [1380, 1440]

    def test_date_column_with_clock_times(self, tmp_path):
        text = "skill,date,time,end,contacts,aht\nA,2026-12-07,23:30,00:00,5,100\nA,2026-12-08,00:00,00:30,5,100\n"
        f = read_forecast(write(tmp_path, text))
        assert f.attrs["interval_minutes"] == 30 and f["end"].tolist() == ["2026-12-08 00:00", "2026-12-08 00:30"]

    def test_without_queue_column_the_file_is_one_queue(self, tmp_path):
        f = read_forecast(write(tmp_path, "interval,forecast,AHT\n08:00,10,180\n08:30,12,180\n", "sales.csv"))
        assert set(f["queue"]) == {"sales"} and "queue" not in f.attrs["columns"]

    def test_a_day_may_cross_midnight(self, tmp_path):
        text = "interval,volume,aht\n00:00,5,100\n01:00,3,100\n22:00,5,100\n23:00,5,100\n"
        f = read_forecast(write(tmp_path, text))
        assert f["start"].tolist() == ["22:00", "23:00", "00:00", "01:00"]
        assert f["minute"].tolist() == [1320, 1380, 1440, 1500] and f["end"].iloc[1] == "24:00"

    @pytest.mark.parametrize("field", sorted(forecast_read.FIELDS))
    def test_every_alias(self, tmp_path, field):
        for alias in forecast_read.FIELDS[field]:
            columns = {"queue": "queue", "start": "interval", "volume": "volume", "aht_seconds": "aht"}
            values = {"queue": ["Q", "Q"], "start": ["08:00", "09:00"], "volume": ["1", "2"], "aht_seconds": ["9", "9"]}
            if field == "date":
                values["date"] = ["2026-12-07", "2026-12-07"]
            elif field == "end":
                values["end"] = ["09:00", "10:00"]
            elif field not in values:
                values[field] = ["5", "5"]
            columns[field] = alias.upper()
            table = pd.DataFrame({columns[k]: v for k, v in values.items()})
            f = read_forecast(table)
            assert f.attrs["columns"][field] == alias.upper(), alias
            assert f["volume"].tolist() == [1, 2]

    def test_a_table_instead_of_a_file(self):
        f = read_forecast(pd.DataFrame({"interval": ["08:00", "08:30"], "volume": [3.0, 0.0], "aht": [100, np.nan]}))
        assert f.attrs["interval_minutes"] == 30 and f["aht_seconds"].isna().tolist() == [False, True]
        with pytest.raises(ScenarioError, match="row 2, column 'volume': is empty"):
            read_forecast(pd.DataFrame({"interval": ["08:00", "08:30"], "volume": [3.0, None], "aht": [1, 1]}))


H = "queue,interval,volume,aht\n"  # the usual header
BAD = [
    ("queue,interval,volume,aht,colour\nPS,08:00,1,100,red\n", ["line 1, column 'colour': unknown column", "volume"]),
    ("queue,interval,aht\nPS,08:00,100\n", ["no column for the volume", "offered"]),
    ("queue,calls,interval,volume,aht\nPS,1,08:00,1,100\n", ["column 'volume': means the volume", "'calls'"]),
    (H + "PS,08:00,abc,100\nPS,09:00,1,100\n", ["line 2, column 'volume': 'abc' is not a number"]),
    (H + "PS,08:00,nan,100\nPS,09:00,1,100\n", ["line 2, column 'volume': 'nan' is not a finite"]),
    (H + "PS,08:00,1,inf\nPS,09:00,1,100\n", ["line 2, column 'aht': 'inf' is not a finite"]),
    (H + "PS,08:00,1,100\nPS,09:00,-2,100\n", ["line 3, column 'volume': -2 is negative"]),
    (H + "PS,08:00,5,0\nPS,09:00,0,0\n", ["line 2, column 'aht': is 0 with 5 calls"]),
    (H + "PS,08:00,5,\nPS,09:00,0,\n", ["line 2, column 'aht': is empty"]),
    (H + "PS,08:00,5,100\nPS,08:30,5,100\nPS,09:30,5,100\n",
     ["line 4, column 'interval': queue 'PS' has no row for 09:00-09:30"]),
    (H + "PS,08:00,5,100\nPS,08:30,5,100\nPS,08:00,5,100\n",
     ["line 4, column 'interval': queue 'PS', interval 08:00 is also in line 2"]),
    ("queue,start,end,volume,aht\nPS,08:00,08:30,5,100\nPS,08:15,08:45,5,100\nPS,08:30,09:00,5,100\n",
     ["line 3, column 'start': queue 'PS': the interval 08:15-08:45 overlaps 08:00-08:30 (line 2)"]),
    ("queue,start,end,volume,aht\nPS,08:00,08:30,5,100\nPS,08:30,09:15,5,100\nPS,09:15,09:45,5,100\n",
     ["line 3, column 'end': the interval 08:30-09:15 is 45 min long; the other intervals are 30 min"]),
    (H + "PS,08:00,5,100\nPS,25:00,5,100\n", ["line 3, column 'interval': '25:00' is not a time"]),
    (H + "PS,08:00,5,100\nPS,soon,5,100\n", ["line 3, column 'interval': 'soon' is not a clock"]),
    (H + "PS,2026-12-07 08:00,5,100\nPS,08:30,5,100\n", ["line 3", "is a clock time, but other"]),
    (H + "\nPS,08:00,5\nPS,09:00,5,100\n", ["line 3: has 3 fields; the header has 4"]),
    (H + "PS,08:00,5,100\n", ["interval length cannot be told", "end"]),
    (H + ",08:00,5,100\n,08:30,5,100\n", ["line 2, column 'queue': is empty"]),
    ("volume only\n5\n", ["line 1", "has one column"]),
    ("", ["is empty"]),
]


class TestReadingErrors:
    @pytest.mark.parametrize("text, fragments", BAD, ids=range(len(BAD)))
    def test_every_problem_names_file_line_and_column(self, tmp_path, text, fragments):
        path = write(tmp_path, text)
        with pytest.raises(ScenarioError) as caught:
            read_forecast(path)
        message = str(caught.value)
        assert message.startswith(str(path)), message
        for fragment in fragments:
            assert fragment in message, message

    def test_many_problems_are_listed_then_counted(self, tmp_path):
        rows = "".join(f"PS,{h:02d}:00,x,100\n" for h in range(24))
        message = str(pytest.raises(ScenarioError, read_forecast, write(tmp_path, "queue,interval,volume,aht\n" + rows)
                                    ).value)
        assert message.count("is not a number") == forecast_read.MAX_SHOWN and "4 more problems" in message

    def test_size_is_capped(self, tmp_path, monkeypatch):
        monkeypatch.setattr(forecast_read, "MAX_ROWS", 3)
        rows = "".join(f"PS,{h:02d}:00,1,100\n" for h in range(5))
        with pytest.raises(ScenarioError, match="more than 3 rows"):
            read_forecast(write(tmp_path, "queue,interval,volume,aht\n" + rows))

    def test_missing_file(self, tmp_path):
        with pytest.raises(ScenarioError, match="no such file"):
            read_forecast(tmp_path / "nope.csv")

    def test_through_the_command_line(self, tmp_path):
        path = write(tmp_path, BAD[3][0])
        proc = ccsim_cli("forecast", path, "--into", SCENARIOS / "erlang_a.yaml", "--out", tmp_path / "o.yaml")
        assert_clean_error(proc, str(path), "line 2, column 'volume'", "'abc' is not a number")
        assert_clean_error(ccsim_cli("erlang", "--target", "sl=0.8@20", "--forecast", path), "line 2, column 'volume'")
        assert not (tmp_path / "o.yaml").exists()


class TestIntoScenario:
    def test_volumes_handle_times_and_validation(self, tmp_path):
        merged = merge_forecast(two_queues(), write(tmp_path, TWO_QUEUES_CSV))
        s = merged.scenario
        assert s.arrivals.rate_per_hour is None and all(x.share is None for x in s.intents)
        general, cards = s.intents
        assert general.rate_per_hour == [100, 120, 0, 80] and cards.rate_per_hour == [20, 24, 16, 12]
        assert general.handle_time_factor == pytest.approx([200 / 180, 1, 1, 160 / 180], rel=1e-5)  # 6 digits
        assert cards.handle_time_factor == pytest.approx([1, 1.25, 1, 1])
        assert general.handle_time.cv == 1.2  # the shape is kept
        assert load_scenario(merged.data) == s and merged.warnings == ()
        summary = merged.summary.set_index("queue")
        assert summary.loc["general", "volume"] == 150 and summary.loc["general", "peak_interval"] == "08:30"
        assert summary.loc["general", "aht_seconds"] == pytest.approx((50 * 200 + 60 * 180 + 40 * 160) / 150)
        np.testing.assert_allclose(s.intent_rates(), [[100, 120, 0, 80], [20, 24, 16, 12]])

    def test_constant_aht_equal_to_the_mean_gives_factors_of_one(self, tmp_path):
        rows = [f"{h:02d}:{m:02d},{10 + h},180\n" for h in range(8, 10) for m in (0, 30)]
        text = "interval,volume,aht\n" + "".join(rows)
        s = apply_forecast(one_queue(), write(tmp_path, text))
        assert s.intents[0].handle_time_factor == [1, 1, 1, 1] and s.intents[0].rate_per_hour == [36, 36, 38, 38]

    def test_patience_and_after_call_work(self, tmp_path):
        text = ("queue,interval,volume,aht,acw,patience\ngeneral,08:00,10,180,20,100\ngeneral,08:30,30,180,40,200\n"
                "general,09:00,0,,,\ngeneral,09:30,10,180,20,100\n")
        merged = merge_forecast(two_queues(), write(tmp_path, text))
        general = merged.scenario.intents[0]
        assert general.patience.dist == "exponential" and general.patience.mean == pytest.approx(160)  # the segment's
        assert general.patience_factor == pytest.approx([100 / 160, 200 / 160, 1, 100 / 160], rel=1e-5)
        assert general.wrapup.dist == "exponential" and general.wrapup.mean == pytest.approx(32)
        assert any("day average" in w for w in merged.warnings)
        assert any("patience from the forecast" in w and "general 160 s" in w for w in merged.warnings)

    def test_patience_keeps_the_scenarios_shape(self, tmp_path):
        data = two_queues()
        data["segments"][0]["patience"] = {"dist": "lognormal", "mean": 300, "cv": 0.7}
        data["intents"][1]["wrapup"] = {"dist": "weibull", "shape": 2, "scale": 10}
        text = "queue,interval,volume,aht,acw,patience\n" + "".join(
            f"cards,{t},5,240,30,150\n" for t in ("08:00", "08:30", "09:00", "09:30"))
        cards = merge_forecast(data, write(tmp_path, text)).scenario.intents[1]
        assert cards.patience.dist == "lognormal" and cards.patience.cv == 0.7 and cards.patience.mean == 150
        assert cards.wrapup.shape == 2 and cards.wrapup.mean == pytest.approx(30, rel=1e-5)

    def test_intents_not_in_the_forecast_and_missing_intervals_are_warned(self, tmp_path):
        text = "queue,interval,volume,aht\ncards,08:30,5,240\ncards,09:00,5,240\n"
        with pytest.warns(ForecastWarning) as caught:
            s = apply_forecast(two_queues(), write(tmp_path, text))
        said = " | ".join(str(w.message) for w in caught)
        assert "get no calls (rate_per_hour 0): general" in said
        assert "queue cards: no rows for 08:00-08:30, 09:30-10:00 of the horizon; taken as no calls" in said
        assert s.intents[0].rate_per_hour == 0 and s.intents[1].rate_per_hour == [0, 10, 10, 0]

    def test_redials_and_ivr_are_mentioned(self, tmp_path):
        data = two_queues()
        data["segments"][0]["redial"] = {"after_abandon": 0.5, "delay": {"dist": "exponential", "mean": 600}}
        said = merge_forecast(data, write(tmp_path, TWO_QUEUES_CSV)).warnings
        assert any("redial" in w for w in said)

    def test_date_times_start_the_horizon_on_their_first_day(self, tmp_path):
        text = "queue,interval,volume,aht\n" + "".join(
            f"general,2026-12-07 {t},10,180\n" for t in ("08:00", "08:30", "09:00", "09:30"))
        s = apply_forecast(one_queue(), write(tmp_path, text))
        assert s.intents[0].rate_per_hour == [20, 20, 20, 20]

    @pytest.mark.parametrize("text, fragment", [
        (H + "general,08:00,1,100\ngeneral,09:00,1,100\n", "intervals are 60 min; the scenario's are 30"),
        (H + "general,07:30,1,100\ngeneral,08:00,1,100\n",
         "line 2: queue 'general': 1 interval(s) (07:30; lines 2) are not intervals of the scenario's horizon "
         "08:00-10:00"),
        (H + "general,08:15,1,100\ngeneral,08:45,1,100\n", "not intervals of the scenario's horizon"),
    ])
    def test_intervals_must_fit_the_horizon(self, tmp_path, text, fragment):
        with pytest.raises(ScenarioError) as caught:
            merge_forecast(two_queues(), write(tmp_path, text))
        assert fragment in str(caught.value) and "forecast.csv" in str(caught.value)


class TestMapping:
    def csv(self, tmp_path, *queues):
        return write(tmp_path, "queue,interval,volume,aht\n" + "".join(
            f"{q},{t},5,200\n" for q in queues for t in ("08:00", "08:30", "09:00", "09:30")))

    def test_by_name_skill_and_mapping(self, tmp_path):
        data = two_queues()
        data["intents"][1]["skill"] = "CRD"
        data["pools"][1]["skills"] = ["CRD"]
        merged = merge_forecast(data, self.csv(tmp_path, "general", "CRD"))
        assert merged.mapping == {"general": "general", "CRD": "cards"}
        merged = merge_forecast(data, self.csv(tmp_path, "PS", "CRD"), {"PS": "general"})
        assert merged.mapping == {"PS": "general", "CRD": "cards"}

    def test_one_unnamed_queue_goes_to_the_only_intent(self, tmp_path):
        s = apply_forecast(one_queue("00:00"),
                           write(tmp_path, "interval,volume,aht\n00:00,5,180\n00:30,5,180\n01:00,5,180\n01:30,5,180\n"))
        assert s.intents[0].rate_per_hour == [10, 10, 10, 10]

    @pytest.mark.parametrize("queues, mapping, fragments", [
        (("PS",), {}, ["queue 'PS': matches no single intent", "--map PS=INTENT", "intents: general, cards"]),
        (("general", "PS"), {"PS": "general"},
         ["intent 'general': would get the forecasts of queues 'general' and 'PS'"]),
        (("general",), {"XX": "cards"}, ["--map XX=cards: 'XX' is not a queue of the forecast"]),
        (("PS",), {"PS": "nobody"}, ["no intent named 'nobody'"]),
    ])
    def test_errors(self, tmp_path, queues, mapping, fragments):
        with pytest.raises(ScenarioError) as caught:
            merge_forecast(two_queues(), self.csv(tmp_path, *queues), mapping)
        for fragment in fragments:
            assert fragment in str(caught.value)

    def test_a_skill_of_several_intents_needs_a_mapping(self, tmp_path):
        data = two_queues()
        data["intents"][0]["name"] = "balance"
        data["intents"][1]["skill"] = "general"
        data["pools"] = data["pools"][:1]
        with pytest.raises(ScenarioError, match="skill 'general' has several intents .balance, cards.: name one"):
            merge_forecast(data, self.csv(tmp_path, "general"))
        merged = merge_forecast(data, self.csv(tmp_path, "general", "balance"), {"general": "cards"})
        assert merged.mapping == {"general": "cards", "balance": "balance"}


class TestCommand:
    def test_writes_a_scenario_and_never_overwrites(self, tmp_path):
        out = tmp_path / "day.yaml"
        args = ("forecast", FORECASTS / "single_queue.csv", "--into", SCENARIOS / "erlang_a.yaml", "--out", out)
        proc = ccsim_cli(*args)
        assert proc.returncode == 0, proc.stderr
        assert "general" in proc.stdout and "10:00" in proc.stdout and "scenario written to" in proc.stdout
        written = load_scenario(out)
        assert written == merge_forecast(SCENARIOS / "erlang_a.yaml", FORECASTS / "single_queue.csv").scenario
        assert out.read_text().startswith("# erlang-a:")
        out.write_text("mine")
        assert_clean_error(ccsim_cli(*args), "--out", "exists", "--overwrite")
        assert out.read_text() == "mine"
        assert ccsim_cli(*args, "--overwrite").returncode == 0 and load_scenario(out) == written

    def test_never_the_input_scenario_unless_told(self, tmp_path):
        into = tmp_path / "erlang_a.yaml"
        into.write_text((SCENARIOS / "erlang_a.yaml").read_text())
        args = ("forecast", FORECASTS / "single_queue.csv", "--into", into, "--out", into)
        assert_clean_error(ccsim_cli(*args), "exists")
        assert into.read_text() == (SCENARIOS / "erlang_a.yaml").read_text()
        assert ccsim_cli(*args, "--overwrite").returncode == 0 and load_scenario(into).intents[0].rate_per_hour != 600
        assert_clean_error(ccsim_cli("forecast", FORECASTS / "single_queue.csv", "--into", into, "--out",
                                     FORECASTS / "single_queue.csv", "--overwrite"), "is the forecast file")

    def test_json_and_mapping(self, tmp_path):
        proc = ccsim_cli("forecast", BANK_CSV, "--into", SCENARIOS / "retail_bank_day.yaml", "--map",
                         "PS=account_enquiry", "--out", tmp_path / "x.yaml", "--json")
        assert_clean_error(proc, "queue 'NE': matches no single intent", "--map NE=INTENT")
        proc = ccsim_cli("forecast", BANK_CSV, "--into", BANK_YAML, "--out", tmp_path / "bank.yaml", "--json")
        assert proc.returncode == 0, proc.stderr
        data = json.loads(proc.stdout)
        by_queue = {q["queue"]: q for q in data["queues"]}
        assert by_queue["NW"]["intent"] == "prospects" and by_queue["NW"]["peak_interval"] == "16:00"
        assert data["intervals"] == 17 and any("patience from the forecast" in w for w in data["warnings"])
        assert_clean_error(ccsim_cli("forecast", BANK_CSV, "--into", BANK_YAML, "--out", tmp_path / "y.yaml", "--map",
                                     "PS"), "--map: 'PS' is not QUEUE=INTENT")


class TestRequirement:
    def test_a_flat_forecast_needs_what_one_queue_needs(self, tmp_path):
        path = write(tmp_path, "interval,volume,aht\n" + "".join(f"{h:02d}:00,600,180\n" for h in range(8, 12)))
        table = erlang_requirement(path, "sl=0.8@20")
        assert table["required"].tolist() == [35] * 4 == [required_agents(600, 180, "sl=0.8@20").required] * 4
        assert table["patience_seconds"].isna().all() and table.attrs["queues"]["forecast"]["model"] == "erlang_c"
        with_patience = erlang_requirement(path, "sl=0.8@20", patience_seconds=120, shrinkage=0.3)
        expected = required_agents(600, 180, "sl=0.8@20", 120, shrinkage=0.3)
        assert with_patience["required"].tolist() == [expected.required] * 4
        assert with_patience["scheduled"].tolist() == [expected.scheduled] * 4

    def test_per_interval_values_with_acw(self, tmp_path):
        path = write(tmp_path, "queue,interval,volume,aht,acw\nA,08:00,50,160,20\nA,08:30,0,,\nA,09:00,300,170,10\n")
        table = erlang_requirement(path, "asa<=30")
        assert table["rate_per_hour"].tolist() == [100, 0, 600] and table["required"].tolist()[1] == 0
        assert table["required"].iloc[2] == required_agents(600, 180, "asa<=30").required

    def test_a_scenario_queue(self):
        table = erlang_requirement(SCENARIOS / "erlang_a.yaml", "sl=0.8@20")
        expected = required_agents(600, 180, "sl=0.8@20", 120)
        assert len(table) == 48 and set(table["required"]) == {expected.required}
        assert set(table["staffed"]) == {32} and table.attrs["queues"]["general"]["pool"] == "agents"

    def test_queue_goal_threshold_and_pool_shrinkage(self):
        data = single_queue(hours=2, warmup_minutes=0, queues=[
            {"skill": "general", "service_level": {"seconds": 60, "target": 0.9}}])
        data["pools"][0]["shrinkage"] = 0.25
        table = erlang_requirement(load_scenario(data))
        assert table.attrs["queues"]["general"]["targets"] == ["sl=0.9@60"]
        assert table["required"].iloc[0] == required_agents(600, 180, "sl=0.9@60", 120).required
        assert table["scheduled"].iloc[0] == math.ceil(table["required"].iloc[0] / 0.75)
        assert erlang_requirement(load_scenario(data), "sl=0.8").attrs["queues"]["general"]["targets"] == ["sl=0.8@60"]

    def test_patience_and_handle_time_of_a_scenario_queue(self):
        data = two_queues()
        data["segments"] = [{"name": "a", "share": 0.5, "patience": {"dist": "exponential", "mean": 100}},
                            {"name": "b", "share": 0.5}]
        data["intents"][1].update(skill="general", handle_time_factor=[1, 1, 1.5, 1])
        data["pools"] = data["pools"][:1]
        plan = scenario_queues(load_scenario(data), "sl=0.8")[0][0]
        assert plan.patience == pytest.approx([200] * 4)  # half never hang up: 100 s / 0.5
        usual, slow = 0.8 * 180 + 0.2 * 240, 0.8 * 180 + 0.2 * 360
        assert plan.aht == pytest.approx([usual, usual, slow, usual])
        data["intents"][0]["patience"] = {"dist": "exponential", "mean": 50}
        plan = scenario_queues(load_scenario(data), "sl=0.8")[0][0]
        assert plan.patience == pytest.approx([(0.8 * 50 + 0.2 * 0.5 * 100) / (0.8 + 0.1) / (0.9 / 1.0)] * 4)

    def test_shared_queues_are_skipped_with_the_reason(self):
        table = erlang_requirement(BANK_YAML, "sl=0.8@20")
        assert set(table["queue"]) == {"PS", "NE"}
        assert "pool 'sales' also answers TT" in table.attrs["skipped"]["NW"]
        assert "ccsim staff" in table.attrs["skipped"]["TT"]

    def test_command_with_a_forecast_and_a_scenario(self, tmp_path):
        proc = ccsim_cli("erlang", "--target", "sl=0.8@20", "--forecast", BANK_CSV, "--queue", "NW", "--json")
        assert proc.returncode == 0, proc.stderr
        data = json.loads(proc.stdout)
        assert list(data["queues"]) == ["NW"] and len(data["queues"]["NW"]["intervals"]) == 17
        peak = max(data["queues"]["NW"]["intervals"], key=lambda r: r["required"])
        assert peak["interval"] == "16:00" and data["agent_hours"]["required_hours"] == sum(
            r["required"] for r in data["queues"]["NW"]["intervals"])
        proc = ccsim_cli("erlang", "--target", "sl=0.8@20", "--scenario", BANK_YAML, "--shrinkage", "0.3")
        assert proc.returncode == 0, proc.stderr
        for fragment in ("queue PS, pool service", "Erlang A", "agent-hours required", "scheduled with 30% shrinkage",
                         "skipped NW: pool 'sales' also answers TT"):
            assert fragment in proc.stdout, proc.stdout

    @pytest.mark.parametrize("args, fragment", [
        (("--forecast", BANK_CSV), "--target: required with --forecast"),
        (("--target", "sl=0.8", "--forecast", BANK_CSV, "--scenario", BANK_YAML), "give one of them"),
        (("--target", "sl=0.8", "--forecast", BANK_CSV, "--rate-per-hour", "100"), "--rate-per-hour: for one queue"),
        (("--target", "sl=0.8", "--forecast", BANK_CSV, "--queue", "XX"), "no queue 'XX' (queues: PS, NE, NW, TT)"),
        (("--target", "nonsense", "--forecast", BANK_CSV), "--target: target 'nonsense'"),
        (("--target", "sl=0.8", "--scenario", SCENARIOS / "retail_bank_day.yaml"), "no queue here can be worked out"),
        (("--target", "sl=0.8", "--queue", "PS", "--rate-per-hour", "100", "--aht", "100"), "--queue: goes with"),
        (("--target", "sl=0.8"), "--rate-per-hour: required for one queue"),
    ])
    def test_command_errors(self, args, fragment):
        assert_clean_error(ccsim_cli("erlang", *args), fragment)


class TestBankForecast:
    def test_the_shipped_forecast(self):
        f = read_forecast(BANK_CSV)
        assert list(dict.fromkeys(f["queue"])) == ["PS", "NE", "NW", "TT"] and len(f) == 4 * 17
        peak = f.loc[f.groupby("queue")["volume"].idxmax()].set_index("queue")["start"]
        assert peak["NW"] == "16:00" and peak["NE"] == "10:00"  # as the log shows (DESIGN.md)
        ne = f[f["queue"] == "NE"].set_index("start")["volume"]
        assert ne["15:00"] > ne["14:00"] and ne["15:00"] > ne["16:00"]  # the afternoon stock-exchange peak
        assert 1400 < f["volume"].sum() < 1560  # about 1,519 real calls a Sunday-Thursday (data README)

    def test_a_scenario_from_it_runs(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ForecastWarning)
            s = apply_forecast(BANK_YAML, BANK_CSV)
        result = ccsim.run(s, reps=2, workers=1)
        arrivals = result.summary().loc["arrivals", "mean"]
        assert 1300 < arrivals < 1650 and result.replications == 2
        assert yaml.safe_load(yaml.safe_dump(s.to_dict())) == s.to_dict()

    def test_it_is_made_from_the_log(self):
        if not BANK_DATA.exists():
            pytest.skip(f"the Anonymous Bank call log is not at {BANK_DATA}")
        made = bank_weekday_forecast(BANK_DATA)
        shipped = pd.read_csv(BANK_CSV)
        pd.testing.assert_frame_equal(made.reset_index(drop=True), shipped, check_dtype=False)
