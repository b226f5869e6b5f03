"""The staffing requirement (the inverse of Erlang C / Erlang A), its targets and ``ccsim erlang --target``."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ccsim.analysis import erlang
from ccsim.analysis.erlang_staffing import evaluate_targets, required_agents, requirement_table
from ccsim.analysis.erlang_targets import Target, parse_targets

from .test_cli import assert_clean_error, ccsim


class TestIssueNumbers:
    def test_erlang_a_service_level_082_needs_32(self):
        req = required_agents(600, 180, "sl=0.82@20", patience_seconds=120)
        assert req.model == "erlang_a" and req.required == 32
        assert round(req.at_one_fewer.service_level, 3) == 0.799 and round(req.at_required.service_level, 3) == 0.842
        assert req.values == {"sl=0.82@20": req.at_required.service_level}
        assert req.binding == Target("service_level", 0.82, 20.0)
        lo, hi = req.at_one_fewer.service_level, req.at_required.service_level
        assert req.fractional == pytest.approx(31 + (0.82 - lo) / (hi - lo), rel=1e-12)  # linear interpolation

    def test_erlang_c_service_level_080_needs_35(self):
        req = required_agents(600, 180, "sl=0.8@20")
        assert req.model == "erlang_c" and req.required == 35 and req.scheduled == 35
        assert round(req.at_one_fewer.service_level, 3) == 0.759 and round(req.at_required.service_level, 3) == 0.837

    def test_pyworkforce_and_r_published_example(self):
        # 100 calls in 30 minutes, AHT 3 min, 14 agents, 20 s (pyworkforce README; R's queueing examples)
        r = erlang.erlang_c(200, 180, 14, sl_seconds=20)
        assert r.p_wait == pytest.approx(0.1741319, abs=5e-8)
        assert r.service_level == pytest.approx(0.8883500, abs=5e-8)
        assert r.asa_seconds == pytest.approx(7.8359, abs=5e-5)
        # pyworkforce: 80% in 20 s, occupancy <= 85%, 30% shrinkage -> 14 raw positions, 20 positions.
        req = required_agents(200, 180, "sl=0.8@20", shrinkage=0.3, max_occupancy=0.85)
        assert (req.required, req.scheduled) == (14, 20)  # 14 / 0.7 is 20.000000000000004 in floating point
        assert req.at_required.occupancy == pytest.approx(0.7142857142857143)


class TestRequirement:
    def test_every_target_binds_in_turn(self):
        req = required_agents(600, 180, ["sl=0.8@20", "asa<=30"], max_occupancy=0.85)
        assert req.required == 36 and req.binding.text == "occ<=0.85"
        assert req.at_one_fewer.occupancy > 0.85 >= req.at_required.occupancy
        assert req.fractional == pytest.approx(30 / 0.85, rel=1e-3)  # occupancy = load / n, nearly linear here
        assert required_agents(600, 180, "sl=0.8@20,abandon<=0.02", patience_seconds=120).binding.text == \
            "abandon<=0.02"
        assert required_agents(600, 180, None, max_occupancy=0.85).required == 36  # occupancy alone

    def test_service_levels_at_two_thresholds(self):
        req = required_agents(600, 180, "sl=0.8@20,sl=0.95@60", patience_seconds=120)
        assert req.sl_seconds == 20 and req.required == 33 and req.binding.text == "sl=0.95@60"
        at_60 = erlang.erlang_a(600, 180, 33, 120, sl_seconds=60).service_level
        assert req.values["sl=0.95@60"] == at_60 and req.values["sl=0.8@20"] == req.at_required.service_level

    def test_sl_seconds_fills_targets_without_threshold(self):
        req = required_agents(600, 180, "sl=0.8", sl_seconds=15)
        assert [t.text for t in req.targets] == ["sl=0.8@15"] and req.sl_seconds == 15
        assert req.required == required_agents(600, 180, "sl=0.8@15").required

    def test_with_short_patience_fewer_agents_than_the_load(self):
        req = required_agents(3000, 180, "sl=0.8@20", patience_seconds=120)
        assert req.required < req.at_required.offered_load == 150

    def test_erlang_c_needs_more_agents_than_the_load(self):
        req = required_agents(600, 180, "abandon<=0.05")  # nobody abandons without patience: always met
        assert req.required == 31 and req.at_one_fewer is None and req.binding is None and req.fractional == 30
        assert req.values_one_fewer == {"abandon<=0.05": None}

    def test_one_agent_enough(self):
        req = required_agents(20, 180, "abandon<=0.5", patience_seconds=60)
        assert req.required == 1 and req.at_one_fewer is None and 0 < req.fractional < 1

    def test_shrinkage(self):
        req = required_agents(600, 180, "sl=0.8@20", shrinkage=0.3)
        assert req.scheduled == 50 and req.scheduled_fractional == pytest.approx(req.fractional / 0.7)
        assert required_agents(600, 180, "sl=0.8@20", shrinkage=0.31).scheduled == 51

    def test_as_dict_is_json(self):
        data = json.loads(json.dumps(required_agents(600, 180, "sl=0.8@20", patience_seconds=120).as_dict()))
        assert data["required"] == 32 and data["at_one_fewer"]["service_level"] < 0.8 <= data["values"]["sl=0.8@20"]

    def test_huge_center_in_a_few_evaluations(self):
        req = required_agents(1e9, 180, "sl=0.8@20", patience_seconds=120)
        assert req.values_one_fewer["sl=0.8@20"] < 0.8 <= req.values["sl=0.8@20"]

    @pytest.mark.parametrize("targets, patience, message", [
        ("sl=1.0@0", None, "100% cannot be reached"),
        ("pwait<=0", None, "cannot be met by any number of agents"),
        ("asa<=0", 120, "cannot be met by any number of agents"),
        ("abandon<=0", 120, "with a patience some callers always hang up"),
        ("occ<=1e-13", None, "no number of agents up to 1,000,000,000,000 meets occ<=1e-13"),
    ])
    def test_targets_no_staffing_meets(self, targets, patience, message):
        with pytest.raises(ValueError, match=message):
            required_agents(600, 180, targets, patience_seconds=patience)

    @pytest.mark.parametrize("bad, message", [
        (dict(rate_per_hour=math.inf), "rate_per_hour must be a finite number"),
        (dict(aht_seconds=math.nan), "aht must be a finite number"),
        (dict(patience_seconds=math.inf), "patience must be a finite number"),
        (dict(rate_per_hour=0), "rate_per_hour must be > 0"),
        (dict(shrinkage=1.0), "shrinkage must be a share"),
        (dict(shrinkage=math.nan), "shrinkage must be a share"),
        (dict(max_occupancy=0), "max_occupancy must be a share"),
    ])
    def test_bad_inputs(self, bad, message):
        with pytest.raises(ValueError, match=message):
            required_agents(**(dict(rate_per_hour=600, aht_seconds=180, targets="sl=0.8@20") | bad))

    def test_evaluate_targets_at_a_given_staffing(self):
        result, values = evaluate_targets(600, 180, 34, "sl=0.8@20,asa<=20")
        assert result == erlang.erlang_c(600, 180, 34) and values == {"sl=0.8@20": result.service_level,
                                                                      "asa<=20": result.asa_seconds}
        result, values = evaluate_targets(600, 180, 30, "sl=0.8@20")
        assert result is None and math.isnan(values["sl=0.8@20"])

    def test_reachable_from_the_public_erlang_module(self):
        import ccsim

        assert ccsim.erlang.required_agents is required_agents and ccsim.erlang.parse_targets is parse_targets


class TestTargets:
    def test_forms_planners_write(self):
        assert parse_targets(["sl=80%@20s", "ASA = 30s, abandon < 5%", "pwait<=0.5", "occ<=0.85", "sl>=0.9"]) == (
            Target("service_level", 0.8, 20.0), Target("asa_seconds", 30.0), Target("abandon_rate", 0.05),
            Target("p_wait", 0.5), Target("occupancy", 0.85), Target("service_level", 0.9))
        assert [t.text for t in parse_targets("sl=0.8@20,asa<=30")] == ["sl=0.8@20", "asa<=30"]

    @pytest.mark.parametrize("text, message", [
        ("sl<=0.8", "the service level is a floor"),
        ("asa>=30", "asa is a ceiling: write asa<=30"),
        ("foo<=3", "unknown KPI 'foo'"),
        ("sl=0.8@x", "'@x' is not a number of seconds"),
        ("sl=80", "'80' is not a share: write 0.8 or 80%"),
        ("abandon<=5%@20", "only the service level takes @seconds"),
        ("asa<=soon", "'soon' is not a number (seconds)"),
        ("sl=nan@20", "finite number"),
        ("sl=0.8@-1", "between 0 and 10^9 seconds"),
        ("sl", "not a target"),
    ])
    def test_bad_target_named_with_what_is_allowed(self, text, message):
        with pytest.raises(ValueError) as caught:
            parse_targets(["sl=0.8@20", text])
        lines = str(caught.value).splitlines()
        assert len(lines) == 2 and lines[0].startswith(f"target '{text}': ") and message in lines[0]
        assert lines[1].startswith("allowed targets: sl=0.8@20") and "occ<=0.85" in lines[1]

    def test_every_bad_target_reported_at_once(self):
        with pytest.raises(ValueError) as caught:
            parse_targets("asa>=3,sl=2,pwait<=0.5")
        assert len(str(caught.value).splitlines()) == 3

    def test_nothing_given(self):
        with pytest.raises(ValueError, match="no target given"):
            parse_targets(" , ")


rates = st.floats(1, 20_000)
ahts = st.floats(10, 900)
patiences = st.none() | st.floats(5, 3600)
sl_bounds = st.floats(0.05, 0.99)


def meets_all(req, n, rate, aht, patience):
    if patience is None and n <= rate * aht / 3600:
        return False
    result, values = evaluate_targets(rate, aht, n, list(req.targets), patience)
    return all(t.met(values[t.text]) for t in req.targets)


class TestDirections:
    @settings(max_examples=60, deadline=None)
    @given(rate=rates, aht=ahts, patience=patiences, sl=sl_bounds, t=st.floats(0, 120), asa=st.floats(1, 600))
    def test_at_the_requirement_every_target_holds_and_one_fewer_fails(self, rate, aht, patience, sl, t, asa):
        req = required_agents(rate, aht, [f"sl={sl}@{t}", f"asa<={asa}"], patience_seconds=patience)
        assert meets_all(req, req.required, rate, aht, patience)
        assert req.required == 1 or not meets_all(req, req.required - 1, rate, aht, patience)
        assert req.required - 1 <= req.fractional <= req.required

    @settings(max_examples=60, deadline=None)
    @given(rate=rates, aht=ahts, patience=patiences, sl=sl_bounds, more=st.floats(0.001, 0.5), t=st.floats(0, 60))
    def test_a_higher_target_never_needs_fewer(self, rate, aht, patience, sl, more, t):
        assume(sl + more < 1)
        low = required_agents(rate, aht, f"sl={sl}@{t}", patience_seconds=patience).required
        assert required_agents(rate, aht, f"sl={sl + more}@{t}", patience_seconds=patience).required >= low
        asa = required_agents(rate, aht, f"asa<={60 * more}", patience_seconds=patience).required
        assert required_agents(rate, aht, f"asa<={30 * more}", patience_seconds=patience).required >= asa

    @settings(max_examples=60, deadline=None)
    @given(rate=rates, factor=st.floats(1.0, 3.0), aht=ahts, patience=patiences, sl=sl_bounds,
           shrinkage=st.floats(0, 0.6), extra=st.floats(0, 0.3))
    def test_more_calls_or_shrinkage_never_fewer(self, rate, factor, aht, patience, sl, shrinkage, extra):
        target = f"sl={sl}@20,pwait<=0.6"
        base = required_agents(rate, aht, target, patience_seconds=patience, shrinkage=shrinkage)
        busier = required_agents(rate * factor, aht, target, patience_seconds=patience, shrinkage=shrinkage)
        assert busier.required >= base.required
        shrunk = required_agents(rate, aht, target, patience_seconds=patience, shrinkage=shrinkage + extra)
        assert shrunk.required == base.required and shrunk.scheduled >= base.scheduled >= base.required


class TestTable:
    def test_one_row_per_interval_as_the_single_requirement(self):
        starts = pd.date_range("2024-03-04 08:00", periods=4, freq="30min")
        rates_per_hour = pd.Series([0.0, 120.0, 600.0, 3000.0], index=starts)
        table = requirement_table(rates_per_hour, [180, 200, 180, 240], "sl=0.8@20", patience_seconds=120,
                                  shrinkage=0.3)
        assert list(table.index) == list(starts)
        assert table["required"].iloc[0] == 0 and math.isnan(table["service_level"].iloc[0])
        for (rate, aht), row in zip([(120, 200), (600, 180), (3000, 240)], table.iloc[1:].itertuples(), strict=True):
            req = required_agents(rate, aht, "sl=0.8@20", patience_seconds=120, shrinkage=0.3)
            assert (row.required, row.scheduled, row.binding) == (req.required, req.scheduled, "sl=0.8@20")
            assert row.fractional == req.fractional and row.service_level == req.at_required.service_level
        assert list(table.columns[:5]) == ["rate_per_hour", "aht_seconds", "patience_seconds", "offered_load",
                                           "required"]
        assert "patience_seconds" not in requirement_table([600], 180, "sl=0.8@20").columns

    def test_bad_interval_named(self):
        with pytest.raises(ValueError, match="interval 1: rate_per_hour must be a finite number"):
            requirement_table([600, math.nan], 180, "sl=0.8@20")
        with pytest.raises(ValueError, match="2 rates need one handle time"):
            requirement_table([600, 700], [180, 180, 180], "sl=0.8@20")
        with pytest.raises(ValueError, match="target 'sl=2'"):
            requirement_table([0, 0], 180, "sl=2")


def test_the_command_stays_light():
    code = ("import sys\nfrom ccsim.cli import app\ntry:\n    app(['erlang', '--rate-per-hour', '600', '--aht', '180', "
            "'--patience', '120', '--target', 'sl=0.8@20', '--json'])\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('pandas', 'matplotlib', 'simpy', 'scipy.sparse') if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout + proc.stderr


class TestCommand:
    BASE = ("erlang", "--rate-per-hour", "600", "--aht", "180")

    def test_requirement_table(self):
        proc = ccsim(*self.BASE, "--patience", "120", "--target", "sl=0.82@20", "--shrinkage", "0.3")
        assert proc.returncode == 0, proc.stderr
        for fragment in ("Erlang A", "required agents: 32", "binding target sl=0.82@20", "scheduled with 30% "
                         "shrinkage: 46", "31 agents", "32 agents", "79.9%", "84.2%"):
            assert fragment in proc.stdout, proc.stdout

    def test_json(self):
        proc = ccsim(*self.BASE, "--target", "sl=0.8@20", "--target", "asa<=30", "--max-occupancy", "0.85", "--json")
        assert proc.returncode == 0, proc.stderr
        data = json.loads(proc.stdout)
        assert data["targets"] == ["sl=0.8@20", "asa<=30", "occ<=0.85"] and data["required"] == 36
        assert data["binding"] == "occ<=0.85" and data["at_one_fewer"]["occupancy"] > 0.85
        assert data["model"] == "erlang_c" and data["scheduled"] == 36 and proc.stderr == ""

    def test_agents_and_target_together(self):
        proc = ccsim(*self.BASE, "--patience", "120", "--agents", "31", "--target", "sl=0.82@20", "--json")
        data = json.loads(proc.stdout)
        assert data["required"] == 32 and data["agents"] == 31 and data["agents_meet_targets"] is False
        assert data["at_agents"] == data["at_one_fewer"]
        table = ccsim(*self.BASE, "--agents", "30", "--target", "sl=0.8@20")
        assert table.returncode == 0 and "30 agents (given): miss sl=0.8@20 (no steady state" in table.stdout

    def test_agents_alone_keeps_todays_output(self):
        data = json.loads(ccsim(*self.BASE, "--agents", "32", "--patience", "120", "--json").stdout)
        assert data == erlang.erlang_a(600, 180, 32, 120).as_dict()

    def test_absurd_size_answers(self):
        proc = ccsim(*self.BASE, "--agents", "1000000000000", "--patience", "120", "--json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["p_wait"] == 0.0
        assert_clean_error(ccsim(*self.BASE, "--agents", "1000000000001"), "--agents", "10^12")

    @pytest.mark.parametrize("args, fragments", [
        (("--target", "asa>=30"), ("--target: target 'asa>=30': asa is a ceiling", "allowed targets")),
        (("--target", "sl=0.8@20,bogus=1"), ("target 'bogus=1': unknown KPI 'bogus'",)),
        (("--target", "sl=1.0@0"), ("target 'sl=1.0@0'", "cannot be reached")),
        (("--target", "occ<=1e-13"), ("no number of agents up to",)),
        (("--patience", "60", "--target", "abandon<=0"), ("abandon<=0", "always hang up")),
        (("--target", "sl=0.8", "--shrinkage", "1"), ("--shrinkage: must be a share",)),
        (("--target", "sl=0.8", "--max-occupancy", "1.5"), ("--max-occupancy",)),
        (("--agents", "32", "--shrinkage", "0.3"), ("--shrinkage: goes with --target",)),
        ((), ("give --agents", "--target")),
        (("--agents", "3", "--aht", "nan"), ("--aht: must be a finite number",)),
        (("--agents", "40", "--patience", "inf"), ("--patience: must be a finite number",)),
    ])
    def test_bad_values(self, args, fragments):
        assert_clean_error(ccsim(*self.BASE, *args), *fragments)
