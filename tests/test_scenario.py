"""Scenario files: the minimal file is valid as written; every broken rule gets one clear message."""

from __future__ import annotations

import copy

import pytest
import yaml
from pydantic import ValidationError

import ccsim
from ccsim.errors import ScenarioError
from ccsim.spec.loading import load_scenario

from .helpers import ERLANG_A_TEXT, SCENARIOS, single_queue


def problems(data) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(data)
    return info.value.problems


def only_problem(data) -> tuple[str, str]:
    found = problems(data)
    assert len(found) == 1, found
    return found[0]


class TestValidScenarios:
    def test_minimal_scenario_exactly_as_in_the_issue(self, tmp_path):
        path = tmp_path / "erlang_a.yaml"
        path.write_text(ERLANG_A_TEXT)
        s = load_scenario(path)
        assert s.name == "erlang-a" and s.seed == 1
        assert s.n_intervals == 48 and s.interval_seconds == 1800 and s.warmup_seconds == 3600
        assert s.rates_per_hour().tolist() == [600.0] * 48
        assert s.staffing(s.pools[0]).tolist() == [32] * 48
        assert s.segments[0].patience.mean == 120
        assert s.horizon.drain is True

    def test_shipped_erlang_a_equals_the_issue_text(self):
        assert load_scenario(SCENARIOS / "erlang_a.yaml") == load_scenario(yaml.safe_load(ERLANG_A_TEXT))

    @pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
    def test_every_shipped_scenario_is_valid(self, path):
        assert load_scenario(path).name

    def test_no_patience_means_never_abandons(self):
        s = load_scenario(single_queue(patience=None))
        assert s.segments[0].patience is None

    def test_every_distribution_form(self):
        forms = [
            {"dist": "exponential", "mean": 180},
            {"dist": "lognormal", "mean": 240, "cv": 1.2},
            {"dist": "gamma", "mean": 240, "cv": 0.8},
            {"dist": "weibull", "shape": 0.9, "scale": 150},
            {"dist": "uniform", "low": 30, "high": 90},
            {"dist": "deterministic", "value": 60},
            {"dist": "empirical", "values": [34, 112, 95, 260]},
        ]
        for form in forms:
            data = single_queue()
            data["intents"][0]["handle_time"] = form
            assert load_scenario(data).intents[0].handle_time.dist == form["dist"]

    def test_per_interval_lists(self):
        data = single_queue(hours=2, interval_minutes=30, warmup_minutes=0)
        data["arrivals"]["rate_per_hour"] = [100, 200, 300, 400]
        data["pools"][0]["agents"] = [1, 2, 3, 4]
        s = load_scenario(data)
        assert s.rates_per_hour().tolist() == [100, 200, 300, 400]
        assert s.staffing(s.pools[0]).tolist() == [1, 2, 3, 4]

    def test_overflow_skill_form(self):
        data = single_queue()
        data["pools"].append({"name": "backup", "agents": 2, "skills": [{"skill": "general", "after": 30}]})
        s = load_scenario(data)
        assert s.pools[1].skills[0].after == 30 and s.pools[0].skills[0].after == 0

    def test_resolved_scenario_round_trips(self):
        s = load_scenario(SCENARIOS / "retail_bank_day.yaml")
        assert load_scenario(yaml.safe_load(s.to_yaml())) == s

    def test_scenario_is_immutable(self):
        s = load_scenario(single_queue())
        with pytest.raises(ValidationError):
            s.seed = 3  # type: ignore[misc]

    def test_interval_labels_follow_the_start_clock(self):
        data = single_queue(hours=26, interval_minutes=60, warmup_minutes=0)
        data["horizon"]["start"] = "08:00"
        labels = load_scenario(data).interval_labels()
        assert labels[0] == "08:00" and labels[1] == "09:00" and labels[16] == "d2 00:00"


class TestBadInput:
    """One message per violation, naming the path in the file, what is wrong, what is allowed."""

    def test_shares_must_sum_to_one(self):
        data = single_queue()
        data["segments"][0]["share"] = 0.6
        assert only_problem(data) == ("segments", "shares sum to 0.6; they must sum to 1")
        data = single_queue()
        data["intents"].append({"name": "b", "share": 0.5, "skill": "general",
                                "handle_time": {"dist": "deterministic", "value": 1}})
        path, message = only_problem(data)
        assert path == "intents" and "1.5" in message

    def test_skill_must_be_served(self):
        data = single_queue()
        data["intents"][0]["skill"] = "mortgage"
        path, message = only_problem(data)
        assert path == "intents[0].skill"
        assert "'mortgage' is not served by any pool" in message and "general" in message

    def test_interval_list_must_match_the_horizon(self):
        data = single_queue(hours=24, interval_minutes=30)
        data["pools"][0]["agents"] = [3] * 30
        path, message = only_problem(data)
        assert path == "pools[0].agents"
        assert "has 30 values" in message and "48 intervals of 30 min" in message
        data = single_queue(hours=24, interval_minutes=30)
        data["arrivals"]["rate_per_hour"] = [3] * 47
        assert only_problem(data)[0] == "arrivals.rate_per_hour"

    @pytest.mark.parametrize("value", ["many", -1, [1, "x"], [], True])
    def test_agents_must_be_numbers_of_agents(self, value):
        data = single_queue()
        data["pools"][0]["agents"] = value
        path, message = only_problem(data)
        assert path == "pools[0].agents"
        assert "number" in message or "empty list" in message

    def test_fractional_agents_are_allowed(self):
        data = single_queue(interval_minutes=60, hours=2)
        data["pools"][0]["agents"] = [2.5, 3]
        assert ccsim.load_scenario(data).pools[0].agents == [2.5, 3.0]

    @pytest.mark.parametrize("value, fragment", [("fast", ">= 0, or a list of them (one per interval), got 'fast'"),
                                                 (-5, ">= 0, got -5"), (float("nan"), "is .nan (not a number)")])
    def test_rate_must_be_a_number(self, value, fragment):
        data = single_queue()
        data["arrivals"]["rate_per_hour"] = value
        path, message = only_problem(data)
        assert path == "arrivals.rate_per_hour" and fragment in message

    def test_unknown_key_names_allowed_keys(self):
        data = single_queue()
        data["pools"][0]["agnets"] = 3
        path, message = only_problem(data)
        assert path == "pools[0].agnets"
        assert "unknown key" in message and "agents" in message and "skills" in message

    def test_unknown_key_inside_a_distribution(self):
        data = single_queue()
        data["segments"][0]["patience"]["cv"] = 1
        path, message = only_problem(data)
        assert path == "segments[0].patience.cv" and "allowed keys: dist, mean" in message

    def test_unknown_distribution(self):
        data = single_queue()
        data["intents"][0]["handle_time"] = {"dist": "poisson", "mean": 3}
        path, message = only_problem(data)
        assert path == "intents[0].handle_time"
        assert "unknown distribution 'poisson'" in message and "lognormal" in message

    def test_distribution_without_dist(self):
        data = single_queue()
        data["intents"][0]["handle_time"] = {"mean": 3}
        path, message = only_problem(data)
        assert path == "intents[0].handle_time" and "needs a 'dist' key" in message

    @pytest.mark.parametrize(
        "form, field",
        [
            ({"dist": "exponential", "mean": 0}, "mean"),
            ({"dist": "lognormal", "mean": 10}, "cv"),
            ({"dist": "gamma", "mean": 10, "cv": -1}, "cv"),
            ({"dist": "weibull", "shape": 0, "scale": 1}, "shape"),
            ({"dist": "deterministic", "value": -1}, "value"),
            ({"dist": "empirical", "values": []}, "values"),
        ],
    )
    def test_distribution_parameters(self, form, field):
        data = single_queue()
        data["intents"][0]["handle_time"] = form
        path, _ = only_problem(data)
        assert path == f"intents[0].handle_time.{field}"

    def test_uniform_bounds(self):
        data = single_queue()
        data["intents"][0]["handle_time"] = {"dist": "uniform", "low": 9, "high": 3}
        path, message = only_problem(data)
        assert path == "intents[0].handle_time" and "at least low" in message

    def test_missing_required_key(self):
        data = single_queue()
        del data["pools"]
        assert only_problem(data) == ("pools", "is required")

    def test_duplicate_names(self):
        data = single_queue()
        data["pools"].append(copy.deepcopy(data["pools"][0]))
        path, message = only_problem(data)
        assert path == "pools[1].name" and "already the name of pools[0]" in message

    def test_skill_listed_twice_in_a_pool(self):
        data = single_queue()
        data["pools"][0]["skills"] = ["general", {"skill": "general", "after": 10}]
        assert only_problem(data)[0] == "pools[0].skills[1]"

    def test_negative_overflow_delay(self):
        data = single_queue()
        data["pools"][0]["skills"] = [{"skill": "general", "after": -3}]
        assert only_problem(data)[0] == "pools[0].skills[0].after"

    def test_interval_must_divide_the_horizon(self):
        data = single_queue(hours=1, interval_minutes=25)
        path, message = only_problem(data)
        assert path == "horizon.interval_minutes" and "whole intervals" in message

    def test_warmup_shorter_than_horizon(self):
        data = single_queue(hours=1, warmup_minutes=60)
        assert only_problem(data)[0] == "horizon.warmup_minutes"

    def test_clock_start(self):
        data = single_queue()
        data["horizon"]["start"] = "8am"
        assert only_problem(data)[0] == "horizon.start"

    def test_several_problems_are_all_reported(self):
        data = single_queue()
        data["pools"][0]["agents"] = -1
        data["segments"][0]["patience"]["mean"] = -1
        data["name"] = ""
        paths = {p for p, _ in problems(data)}
        assert paths == {"pools[0].agents", "segments[0].patience.mean", "name"}

    def test_missing_file(self, tmp_path):
        with pytest.raises(ScenarioError, match="no such file"):
            load_scenario(tmp_path / "nope.yaml")

    def test_yaml_syntax_error_names_the_line(self, tmp_path):
        path = tmp_path / "bad.yaml"
        path.write_text("name: x\npools: [\n  - a: 1\n")
        with pytest.raises(ScenarioError) as info:
            load_scenario(path)
        (where, message), = info.value.problems
        assert where.startswith("line ") and "not valid YAML" in message

    @pytest.mark.parametrize("text", ["", "- a\n- b\n", "just words"])
    def test_top_level_must_be_a_mapping(self, tmp_path, text):
        path = tmp_path / "bad.yaml"
        path.write_text(text)
        with pytest.raises(ScenarioError, match="must be a mapping"):
            load_scenario(path)

    def test_yaml_is_loaded_safely(self, tmp_path):
        path = tmp_path / "evil.yaml"
        path.write_text("name: !!python/object/apply:os.system ['true']\n")
        with pytest.raises(ScenarioError, match="not valid YAML"):
            load_scenario(path)

    def test_error_names_the_file(self, tmp_path):
        path = tmp_path / "s.yaml"
        data = single_queue()
        data["seed"] = -1
        path.write_text(yaml.safe_dump(data))
        with pytest.raises(ccsim.ScenarioError) as info:
            load_scenario(path)
        assert str(info.value).startswith(f"{path}: seed: ")
