"""Malformed and hostile scenario files: one clear message each, exit 2, never a traceback or a hang.

Each row of :data:`FILES` is a scenario file's text, the path the problem must be reported at
and fragments of its message. The rows run in-process (the CLI calls the same
``load_scenario``); a few also run through the real ``ccsim`` entry point. A guard turns a hang
into a failure instead of a stuck test run.
"""

from __future__ import annotations

import copy
import signal

import pytest
import yaml

from ccsim.errors import MAX_MESSAGE, MAX_PATH, ScenarioError
from ccsim.spec import limits, loading, size, yamltext
from ccsim.spec.advice import scenario_warnings
from ccsim.spec.loading import load_scenario

from .helpers import ERLANG_A_TEXT, SCENARIOS, single_queue
from .test_cli import assert_clean_error, ccsim


@pytest.fixture(autouse=True)
def no_hang():
    """Fail a test that runs for more than a minute (a hang guard, not a timing assertion)."""
    def stop(signum, frame):
        raise TimeoutError("loading did not finish")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def edit(*changes: tuple[str, str], text: str = ERLANG_A_TEXT) -> str:
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def bomb(levels: int = 9, anchor: str = "lol") -> str:
    """A "billion laughs" block: 9 anchors, each used 9 times by the next (387 million items)."""
    lines = [f'  - &{anchor}0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"  - &{anchor}{k} [{','.join([f'*{anchor}{k - 1}'] * 9)}]" for k in range(1, levels)]
    return "\n".join(lines) + "\n"


AGENTS = "  - {name: agents, agents: 32, skills: [general]}"
PATIENCE = "patience: {dist: exponential, mean: 120}"
REDIAL = "redial: {after_abandon: 0.5, delay: {dist: exponential, mean: 600}, max_contacts: 5}"

# (id, file text, path of the problem, fragments of its message)
FILES = [
    # 1. alias bombs: refused from the node graph, before anything is expanded
    ("bomb-under-unknown-key", ERLANG_A_TEXT + "laughs:\n" + bomb(), "(file)", ["more than 1,000,000 values",
                                                                               "aliases"]),
    ("bomb-as-a-number", "bombs:\n" + bomb() + edit(("agents: 32", "agents: *lol8")), "(file)", ["aliases"]),
    ("bomb-in-empirical-values", "bombs:\n" + bomb(anchor="v") + edit(
        ("{dist: exponential, mean: 180}", "{dist: empirical, values: *v8}")), "(file)", ["aliases"]),
    ("alias-inside-its-anchor", edit(("agents: 32", "agents: &me [1, *me]")), "(file)", ["inside its own anchor"]),
    # 2. deep nesting
    ("deep-flow", edit(("agents: 32", "agents: " + "[" * 30000 + "]" * 30000)), "line 11",
     ["nested more than 50 levels"]),
    ("deep-block", "name: x\nhorizon:\n" + "".join(" " * k + "- \n" for k in range(2, 400)), "line ",
     ["nested more than 50 levels"]),
    # 3. infinity and not-a-number
    ("inf-agents", edit(("agents: 32", "agents: .inf")), "pools[0].agents", ["infinite"]),
    ("inf-in-a-staffing-list", edit(("hours: 24, interval_minutes: 30", "hours: 1, interval_minutes: 30"),
                                    ("warmup_minutes: 60", "warmup_minutes: 0"), ("agents: 32", "agents: [3, .inf]")),
     "pools[0].agents[1]", ["infinite"]),
    ("nan-rate", edit(("rate_per_hour: 600", "rate_per_hour: .nan")), "arrivals.rate_per_hour", ["not a number"]),
    ("inf-rate", edit(("rate_per_hour: 600", "rate_per_hour: .inf")), "arrivals.rate_per_hour",
     ["infinite", "contacts per hour"]),
    ("inf-patience", edit(("mean: 120", "mean: .inf")), "segments[0].patience.mean",
     ["infinite", "never hang up, leave out 'patience'"]),
    ("nan-share", edit(("share: 1.0, patience", "share: .nan, patience")), "segments[0].share", ["not a number"]),
    ("inf-handle-time", edit(("mean: 180", "mean: .inf")), "intents[0].handle_time.mean", ["infinite"]),
    ("inf-as-text", edit(("mean: 180", "mean: 'inf'")), "intents[0].handle_time.mean", ["infinite"]),
    ("minus-inf-service-level", edit(("service_level_seconds: 20", "service_level_seconds: -.inf")),
     "service_level_seconds", ["infinite"]),
    ("nan-in-empirical", edit(("{dist: exponential, mean: 180}", "{dist: empirical, values: [30, 60, .nan]}")),
     "intents[0].handle_time.values[2]", ["not a number"]),
    ("inf-overflow-delay", edit(("skills: [general]", "skills: [{skill: general, after: .inf}]")),
     "pools[0].skills[0].after", ["leave the skill out"]),
    ("inf-callback", ERLANG_A_TEXT + "callback: {threshold_seconds: .inf, accept: 0.5}\n",
     "callback.threshold_seconds", ["leave out the 'callback' section"]),
    ("inf-redial-delay", edit((PATIENCE, PATIENCE + ", " + REDIAL.replace("mean: 600", "mean: .inf"))),
     "segments[0].redial.delay.mean", ["leave out 'redial'"]),
    # 4. enormous values
    ("trillion-agents", edit(("agents: 32", "agents: 1000000000000")), "pools[0].agents",
     ["at most 100,000", "agents of a pool in one interval"]),
    ("rate-1e12-text", edit(("rate_per_hour: 600", "rate_per_hour: 1e12")), "arrivals.rate_per_hour",
     ["at most 1,000,000", "contacts per hour"]),
    ("rate-1e12-number", edit(("rate_per_hour: 600", "rate_per_hour: 1.0e+12")), "arrivals.rate_per_hour",
     ["at most 1,000,000"]),
    ("interval-0.001", edit(("interval_minutes: 30", "interval_minutes: 0.001")), "horizon.interval_minutes",
     ["at least 1", "one minute"]),
    ("a-year-in-minutes", edit(("hours: 24, interval_minutes: 30", "hours: 8760, interval_minutes: 1")),
     "horizon.interval_minutes", ["525,600 intervals", "at most 10,000"]),
    ("max-contacts-1e9", edit((PATIENCE, PATIENCE + ", " + REDIAL.replace("max_contacts: 5",
                                                                          "max_contacts: 1000000000"))),
     "segments[0].redial.max_contacts", ["at most 100", "contacts of one customer"]),
    ("huge-seed", edit(("seed: 1", "seed: 100000000000000000000000")), "seed", ["at most"]),
    ("5000-digit-number", edit(("agents: 32", "agents: " + "9" * 5000)), "line 11", ["5,000 digits",
                                                                                     "far too large"]),
    ("weibull-shape-0.01", edit(("{dist: exponential, mean: 180}", "{dist: weibull, shape: 0.01, scale: 100}")),
     "intents[0].handle_time.shape", ["at least 0.1"]),
    ("a-year-at-a-million-an-hour", edit(("hours: 24, interval_minutes: 30", "hours: 8760, interval_minutes: 60"),
                                         ("rate_per_hour: 600", "rate_per_hour: 1000000"),
                                         ("agents: 32", "agents: 60000")),
     "arrivals.rate_per_hour", ["8,760,", "contacts", "at most 50,000,000 contacts per replication"]),
    # 5. duplicate keys
    ("duplicate-key", edit((AGENTS, "  - name: agents\n    agents: 32\n    skills: [general]\n    agents: 12")),
     "pools[0].agents", ["given twice", "lines 12 and 14"]),
    ("duplicate-key-in-flow", edit(("{name: all, share: 1.0", "{name: all, share: 1.0, name: some")),
     "segments[0].name", ["given twice", "lines 7 and 7"]),
    ("section-twice", ERLANG_A_TEXT + "pools:\n  - {name: other, agents: 3, skills: [general]}\n", "pools",
     ["given twice", "lines 10 and 12"]),
    # 9. clock times YAML reads as numbers
    ("unquoted-clock", edit(("warmup_minutes: 60}", "warmup_minutes: 60, start: 9:30}")), "horizon.start",
     ["write clock times in quotes: '9:30'"]),
    ("unquoted-late-clock", edit(("warmup_minutes: 60}", "warmup_minutes: 60, start: 23:45}")), "horizon.start",
     ["'23:45'"]),
    ("bad-clock", edit(("warmup_minutes: 60}", "warmup_minutes: 60, start: '25:00'}")), "horizon.start",
     ["clock time HH:MM", "'25:00'"]),
    # 8. planner words
    ("bad-name", edit(("name: erlang-a", "name: erlang a")), "name",
     ["names may use letters, digits, _ . - and must not start with . or -", "'erlang a'"]),
    ("name-no", edit(("name: erlang-a", "name: no")), "name", ["must be text", "write the text in quotes"]),
    ("not-a-number", edit(("service_level_seconds: 20", "service_level_seconds: soon")), "service_level_seconds",
     ["must be a number", "'soon'"]),
    ("negative", edit(("mean: 180", "mean: -3")), "intents[0].handle_time.mean", ["must be greater than 0, got -3"]),
    ("not-a-whole-number", edit(("seed: 1", "seed: 1.5")), "seed", ["must be a whole number", "1.5"]),
    ("not-a-boolean", edit(("warmup_minutes: 60}", "warmup_minutes: 60, drain: maybe}")), "horizon.drain",
     ["must be true or false", "'maybe'"]),
    ("not-a-mapping", edit(("horizon: {hours: 24, interval_minutes: 30, warmup_minutes: 60}", "horizon: 24")),
     "horizon", ["must be a mapping of keys", "24"]),
    ("not-a-list", edit(("skills: [general]", "skills: 5")), "pools[0].skills", ["must be a list", "5"]),
    ("empty-list", edit(("skills: [general]", "skills: []")), "pools[0].skills", ["at least 1 item"]),
    ("literal", ERLANG_A_TEXT + "transfers: {mode: lukewarm}\n", "transfers.mode", ["must be 'cold' or 'warm'",
                                                                                    "'lukewarm'"]),
    ("union-of-shapes", edit(("skills: [general]}", "skills: [general], script: 5}")), "pools[0].script",
     ["must be a list or 'all', got 5"]),
    ("typo-key", edit(("agents: 32", "agnets: 32")), "pools[0].agnets", ["did you mean 'agents'?"]),
    ("unknown-distribution", edit(("dist: exponential, mean: 180", "dist: poison, mean: 180")),
     "intents[0].handle_time", ["unknown distribution 'poison'", "lognormal"]),
    ("no-dist-key", edit(("dist: exponential, mean: 180", "mean: 180")), "intents[0].handle_time",
     ["needs a 'dist' key, one of: exponential, lognormal"]),
    ("not-a-distribution", edit(("patience: {dist: exponential, mean: 120}", "patience: 120")),
     "segments[0].patience", ["must be a mapping of keys", "120"]),
    ("not-a-whole-number-text", edit(("seed: 1", "seed: one")), "seed", ["must be a whole number", "'one'"]),
    ("a-list-for-a-number", edit(("service_level_seconds: 20", "service_level_seconds: [20, 30]")),
     "service_level_seconds", ["must be a number", "[20, 30]"]),
    ("empty-name", edit(("name: erlang-a", "name: ''")), "name", ["must not be empty"]),
    ("share-above-1", edit(("share: 1.0, patience", "share: 1.5, patience")), "segments[0].share",
     ["must be less than or equal to 1, got 1.5"]),
    ("negative-seed", edit(("seed: 1", "seed: -1")), "seed", ["must be greater than or equal to 0, got -1"]),
    ("number-as-key", edit(("seed: 1", "seed: 1\n1: 2")), "1", ["is not a key", "YAML reads 1"]),
    # bounded messages
    ("long-unknown-key", edit(("seed: 1", "seed: 1\n" + "k" * 1000 + ": 1")), "k" * 57 + "...", ["unknown key"]),
    ("long-text-value", edit(("service_level_seconds: 20", "service_level_seconds: " + "x" * 100_000)),
     "service_level_seconds", ["must be a number", "..."]),
    ("too-many-pools", edit((AGENTS, "\n".join(f"  - {{name: p{k}, agents: 1, skills: [general]}}"
                                               for k in range(1001)))), "pools", ["1,001 items", "at most 1,000"]),
]


@pytest.mark.parametrize("text, where, fragments", [row[1:] for row in FILES], ids=[row[0] for row in FILES])
def test_a_bad_file_gets_one_clear_message(tmp_path, text, where, fragments):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert_bounded(problems)
    matching = [(p, m) for p, m in problems if p.startswith(where) and all(f in m for f in fragments)]
    assert matching, problems
    assert len(problems) == 1, problems  # the problem, and no consequence of it


def assert_bounded(problems: list[tuple[str, str]]) -> None:
    assert problems and len(problems) <= loading.MAX_PROBLEMS + 1
    for path, message in problems:
        assert path and message and "\n" not in path + message
        assert len(path) <= MAX_PATH and len(message) <= MAX_MESSAGE


# 10. the same values through --set: the same messages
SETS = [
    ("pools.agents.agents=.inf", "pools[0].agents", "infinite"),
    ("arrivals.rate_per_hour=.nan", "arrivals.rate_per_hour", "not a number"),
    ("segments.all.patience.mean=.inf", "segments[0].patience.mean", "leave out 'patience'"),
    ("segments.all.patience={dist: exponential, mean: .inf}", "segments[0].patience.mean", "leave out 'patience'"),
    ("pools.agents.agents=1e12", "pools[0].agents", "at most 100,000"),
    ("arrivals.rate_per_hour=[600, 1e12]", "arrivals.rate_per_hour[1]", "at most 1,000,000"),
    ("horizon.interval_minutes=0.001", "horizon.interval_minutes", "at least 1"),
    ("horizon.start=9:30", "horizon.start", "write clock times in quotes: '9:30'"),
    ("seed=" + "9" * 5000, "--set seed=", "far too large"),
    ("pools.agents.agents=" + "[" * 100 + "]" * 100, "--set pools.agents.agents=", "nested more than 50 levels"),
    ("pools.agents.agents=[&a [1,1,1,1,1,1,1,1,1,1], " + ", ".join(
        f"&a{k} [{', '.join(['*a' + (str(k - 1) if k > 1 else '')] * 10)}]" for k in range(1, 8)) + "]",
     "--set pools.agents.agents=", "more than 1,000,000 values"),
    ("pools.agents={a: 1, a: 2}", "--set pools.agents=", "given twice"),
]


@pytest.mark.parametrize("override, where, fragment", SETS, ids=[s[0][:40] for s in SETS])
def test_bad_values_through_set(override, where, fragment):
    with pytest.raises(ScenarioError) as info:  # (a day of two intervals, for the lists)
        load_scenario(SCENARIOS / "erlang_a.yaml", ["horizon.interval_minutes=720", override])
    problems = info.value.problems
    assert_bounded(problems)
    assert len(problems) == 1, problems
    path, message = problems[0]
    assert path.startswith(where) and fragment in message, problems[0]


def test_a_list_through_set_that_grows_the_scenario_past_the_limit():
    data = single_queue()
    data["pools"][0]["agents"] = [1] * (limits.MAX_NODES - 100)
    with pytest.raises(ScenarioError) as info:
        load_scenario(data, ["pools.agents.cost_per_hour=[" + ",".join(["1"] * 1000) + "]"])
    (path, message), = info.value.problems
    assert path.startswith("--set pools.agents.cost_per_hour=[1,1,") and "more than 1,000,000 values" in message


@pytest.mark.parametrize("loader", yamltext.LOADERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("text, where, fragment", [
    ("a: " + "[" * 3000 + "]" * 3000, "line 1", "nested more than 50 levels"),
    ("a:\n  " + "- " * 60 + "x\n", "line 2", "nested more than 50 levels"),
    ("a: &x [1, *x]\n", "(file)", "inside its own anchor"),
    ("a: 1\nb: 2\na: 3\n", "a", "lines 1 and 3"),
    ("a: " + "7" * 4400 + "\n", "line 1", "4,400 digits"),
    ("a: b\x00\n", "(file)", "does not allow (code 0x0)"),
], ids=["deep-flow", "deep-block", "recursive-alias", "duplicate", "digits", "nul"])
def test_both_yaml_parsers_refuse_the_same_things(loader, text, where, fragment):
    with pytest.raises(ScenarioError) as info:
        yamltext.parse_yaml(text, loader_class=loader)
    (path, message), = info.value.problems
    assert path.startswith(where) and fragment in message, (path, message)


@pytest.mark.parametrize("loader", yamltext.LOADERS, ids=lambda c: c.__name__)
def test_both_yaml_parsers_keep_the_text_of_a_clock_time(loader):
    value = yamltext.parse_yaml("start: 9:30\n", loader_class=loader)["start"]
    assert value == 570 and value.text == "9:30"


def test_shared_references_in_a_dict_count_as_often_as_used():
    level: list = [1] * 10
    for _ in range(7):
        level = [level] * 10  # 100 million values through 80 lists
    data = single_queue()
    data["pools"][0]["agents"] = level
    with pytest.raises(ScenarioError, match="more than 1,000,000 values"):
        load_scenario(data)


def test_a_dict_that_contains_itself_is_refused():
    data = single_queue()
    data["pools"][0]["loop"] = data
    with pytest.raises(ScenarioError):
        load_scenario(data)


def test_a_file_larger_than_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(loading, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text(ERLANG_A_TEXT + "#" * 2000)
    with pytest.raises(ScenarioError, match="a scenario file may be at most"):
        load_scenario(path)


def test_a_replication_that_would_not_fit_in_memory(monkeypatch):
    monkeypatch.setattr(size, "machine_memory", lambda: 2e9)
    data = single_queue(rate=10_000, hours=24 * 30, interval_minutes=60, agents=60)
    with pytest.raises(ScenarioError) as info:
        load_scenario(data)
    (path, message), = info.value.problems
    assert path == "arrivals.rate_per_hour"
    assert "about 7,2" in message and "GB of memory" in message and "more than half of this machine's 2.0 GB" in message


def test_the_memory_estimate_grows_with_the_journey():
    plain = load_scenario(single_queue())
    ivr = load_scenario(SCENARIOS / "ivr_menu.yaml")
    assert size.uniforms_per_contact(plain) == 0 and size.uniforms_per_contact(ivr) > 10
    contacts = size.expected_contacts(plain)
    assert 600 * 4 < contacts < 600 * 4 * 1.2  # 4 hours at 600 an hour, with a margin


def test_an_ivr_nested_deeper_than_the_records_count():
    data = single_queue()
    menus = [{"name": f"m{k}", "options": [{"menu": f"m{k + 1}"}, {"skill": "general"}]} for k in range(24)]
    menus.append({"name": "m24", "options": [{"skill": "general"}]})
    data["ivr"] = {"menus": menus, "max_replays": 5}
    with pytest.raises(ScenarioError) as info:
        load_scenario(data)
    (path, message), = info.value.problems
    assert path == "ivr.menus" and "hear 150 menus" in message


# 7. every problem of a file in one pass, and no false consequence


def validation_problems(data) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(data)
    assert_bounded(info.value.problems)
    return info.value.problems


def test_a_bad_name_does_not_hide_the_cross_checks():
    data = single_queue()
    data["name"] = "my center"
    data["segments"][0]["share"] = 0.6
    data["pools"].append(copy.deepcopy(data["pools"][0]))
    found = validation_problems(data)
    assert [p for p, _ in found] == ["name", "pools[1].name", "segments"], found


def test_a_reference_to_a_bad_name_is_not_reported_as_dangling():
    data = single_queue()
    data["pools"][0]["skills"] = ["gen eral"]  # once fixed to 'general', the intent's skill is served
    found = validation_problems(data)
    assert found == [("pools[0].skills[0].skill",
                      "names may use letters, digits, _ . - and must not start with . or -, got 'gen eral'")]


def test_a_bad_name_used_consistently_is_no_dangling_reference():
    data = copy.deepcopy(single_queue())
    data["intents"][0]["skill"] = "gen eral"
    data["pools"][0]["skills"] = ["gen eral"]
    found = validation_problems(data)
    assert [p for p, _ in found] == ["intents[0].skill", "pools[0].skills[0].skill"], found


def test_no_false_problem_from_a_value_that_did_not_validate():
    data = single_queue(hours=2, interval_minutes=30)
    data["pools"][0]["agents"] = [1, 2, 3, 4]
    data["horizon"]["interval_minutes"] = "half an hour"  # the 4 values may well be right
    data["segments"][0]["share"] = "all"  # the shares may well sum to 1
    found = validation_problems(data)
    assert [p for p, _ in found] == ["horizon.interval_minutes", "segments[0].share"], found


def test_a_typo_key_is_not_read_as_its_default():
    data = single_queue(hours=24, interval_minutes=30)
    data["pools"][0]["agents"] = [3] * 48
    data["horizon"]["interval_minuts"] = data["horizon"].pop("interval_minutes")
    found = validation_problems(data)
    assert len(found) == 1 and "did you mean 'interval_minutes'?" in found[0][1], found


def test_cross_checks_run_beside_a_limit():
    data = single_queue()
    data["pools"][0]["agents"] = 10**12
    data["intents"][0]["skill"] = "mortgage"
    found = validation_problems(data)
    assert [p for p, _ in found] == ["pools[0].agents", "intents[0].skill"], found


def test_many_problems_are_counted_not_listed():
    data = single_queue()
    data["segments"] = [{"name": f"s{k}", "share": -1} for k in range(80)]
    found = validation_problems(data)
    assert found[-1] == ("(more)", f"{80 - loading.MAX_PROBLEMS:,} more problems not shown"), found[-1]


# 6. warnings about valid scenarios


def two_queues(**cards_pool) -> dict:
    data = single_queue(hours=12, interval_minutes=60, warmup_minutes=0, patience=None)
    data["horizon"]["start"] = "08:00"
    data["intents"] = [
        {"name": "general", "share": 0.7, "skill": "general", "handle_time": {"dist": "exponential", "mean": 180}},
        {"name": "cards", "share": 0.3, "skill": "cards", "handle_time": {"dist": "exponential", "mean": 180}},
    ]
    data["pools"].append({"name": "card_team", "skills": ["cards"], **cards_pool})
    return data


def test_warning_for_a_queue_no_one_ever_serves():
    warnings = scenario_warnings(load_scenario(two_queues(agents=0)))
    assert warnings == ["queue 'cards': contacts arrive (08:00–20:00) but no pool serving it is staffed in any "
                        "interval, and its callers never hang up: they wait unanswered until the simulation ends"]


def test_warning_for_a_queue_unstaffed_in_some_intervals():
    data = two_queues(agents=[0] * 4 + [3] * 8)
    data["segments"][0]["patience"] = {"dist": "exponential", "mean": 100}
    (warning,) = scenario_warnings(load_scenario(data))
    assert warning == ("queue 'cards': contacts arrive at 08:00–12:00 when no pool serving it is staffed: callers "
                       "wait for the next agents on duty, or abandon")


def test_warning_for_an_idle_pool_and_none_for_the_shipped_scenarios():
    data = single_queue()
    data["pools"].append({"name": "mortgage_team", "agents": 3, "skills": ["mortgage"]})
    assert scenario_warnings(load_scenario(data)) == [
        "pool 'mortgage_team': no contact needs its skills (mortgage); its agents stay idle"]
    for path in sorted(SCENARIOS.glob("*.yaml")):
        assert scenario_warnings(load_scenario(path)) == [], path


# through the real entry point


@pytest.mark.parametrize("row", ["bomb-in-empirical-values", "deep-flow", "duplicate-key", "unquoted-clock"])
def test_the_cli_exits_2_without_a_traceback(tmp_path, row):
    _, text, where, fragments = next(r for r in FILES if r[0] == row)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert_clean_error(ccsim("run", path, "--reps", "2", "--no-save", "--workers", "1"), where, *fragments)


def test_the_cli_refuses_infinity_through_set():
    proc = ccsim("check", SCENARIOS / "erlang_a.yaml", "--set", "pools.agents.agents=.inf")
    assert_clean_error(proc, "pools[0].agents: is infinite")


def test_yaml_written_by_the_loader_round_trips_after_the_checks():
    s = load_scenario(SCENARIOS / "retail_bank_day.yaml")
    assert load_scenario(yaml.safe_load(s.to_yaml())) == s
