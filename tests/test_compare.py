"""Paired comparisons: verdicts on a case where B is clearly better and one where A = B; a B
named by its overrides; several Bs against one A, in the API, the files and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import ccsim
from ccsim.experiments.compare import SAME, comparison_name, paired_table, run_comparison, variant_label, verdict

from .helpers import single_queue
from .test_cli import assert_clean_error, small_file
from .test_cli import ccsim as ccsim_cli


@pytest.fixture(scope="module")
def more_agents() -> pd.DataFrame:
    base = single_queue(rate=600, agents=31, hours=3, warmup_minutes=30)
    return ccsim.compare(base, overrides_b=["pools.agents.agents=36"], reps=10).set_index("kpi")


def test_more_agents_is_better(more_agents):
    t = more_agents
    for kpi in ("abandon_rate", "p_wait", "asa_seconds", "mean_wait_seconds"):
        assert t.loc[kpi, "verdict"] == "better" and t.loc[kpi, "ci_high"] < 0
    assert t.loc["service_level", "verdict"] == "better" and t.loc["service_level", "ci_low"] > 0
    # the same callers came in both: arrivals do not differ at all
    assert t.loc["arrivals", "diff"] == 0 and t.loc["arrivals", "verdict"] == SAME


def test_common_random_numbers_reduce_variance(more_agents):
    assert more_agents.loc["p_wait", "variance_reduction"] > 2
    assert more_agents.loc["service_level", "variance_reduction"] > 2


def test_identical_scenarios_show_no_difference():
    base = single_queue(hours=2, warmup_minutes=0)
    t = ccsim.compare(base, base, reps=4)
    defined = t["a_mean"].notna()  # e.g. no IVR rates without an IVR: "undefined"
    assert (t.loc[defined, "verdict"] == SAME).all() and (t.loc[~defined, "verdict"] == "undefined").all()
    assert {"arrivals", "service_level", "fcr", "effort_steps"} <= set(t.loc[defined, "kpi"])
    assert (t["diff"].fillna(0) == 0).all()


def test_fewer_agents_is_worse():
    base = single_queue(rate=600, agents=36, hours=3, warmup_minutes=30)
    t = ccsim.compare(base, overrides_b=["pools.agents.agents=30"], reps=6).set_index("kpi")
    assert t.loc["service_level", "verdict"] == "worse" and t.loc["abandon_rate", "verdict"] == "worse"


def test_verdict_rules():
    assert verdict("service_level", 0.1, 0.05, 0.15) == "better"
    assert verdict("asa_seconds", 3.0, 1.0, 5.0) == "worse"
    assert verdict("asa_seconds", 3.0, -1.0, 5.0) == SAME
    assert verdict("aht_seconds", 3.0, 1.0, 5.0) == "higher"
    assert verdict("p_wait", 0.1, np.nan, np.nan) == SAME  # one replication: cannot tell
    assert verdict("p_wait", np.nan, np.nan, np.nan) == "undefined"


def test_paired_by_replication_number():
    a = pd.DataFrame({"replication": [0, 1, 2], **{k: [1.0, 2.0, 3.0] for k in ccsim.experiments.results.RUN_KPIS}})
    b = a.iloc[::-1].copy()  # same rows in another order: still identical pairs
    assert (paired_table(a, b)["diff"] == 0).all()


def test_compare_needs_b():
    with pytest.raises(ValueError):
        ccsim.compare(single_queue())


def test_cli_compare(tmp_path):
    path = small_file(tmp_path)
    proc = ccsim_cli("compare", path, "--set", "pools.agents.agents=40", "--reps", "4", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["replications"] == 4
    assert data["kpis"]["p_wait"]["verdict"] == "better"
    assert set(data["kpis"]["p_wait"]) == {"a", "b", "diff", "ci_low", "ci_high", "verdict", "variance_reduction"}
    table = ccsim_cli("compare", path, path, "--reps", "3")
    assert table.returncode == 0 and "no significant difference" in table.stdout
    assert_clean_error(ccsim_cli("compare", path), "needs scenario B")
    assert_clean_error(ccsim_cli("compare", path, "--set", "pools.nobody.agents=3"), "no item named 'nobody'")


def test_cli_compare_saves_a_results_folder(tmp_path):
    path = small_file(tmp_path)
    proc = ccsim_cli("compare", path, "--set", "pools.agents.agents=40", "--reps", "3", "--json",
                     "--out", tmp_path / "cmp")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["folder"] == str(tmp_path / "cmp")
    loaded = ccsim.load_results(tmp_path / "cmp")
    assert isinstance(loaded, ccsim.Comparison) and loaded.replications == 3
    assert loaded.b.pools[0].agents == 40 and len(loaded.kpis_a) == 3
    assert loaded.table.set_index("kpi").loc["p_wait", "verdict"] == "better"
    assert_clean_error(ccsim_cli("compare", path, "--set", "seed=2", "--out", tmp_path / "cmp"), "not an empty folder")
    quiet = ccsim_cli("compare", path, "--set", "seed=2", "--reps", "2", "--no-save", "--json", cwd=tmp_path)
    assert json.loads(quiet.stdout)["folder"] is None and not (tmp_path / "results").exists()


# -------------------------------------------------------------------------------------------------
# Naming a B made with --set, and several Bs against one A


def test_a_variant_is_named_by_its_overrides(tmp_path):
    base = single_queue(hours=1, warmup_minutes=0)
    comparison = run_comparison(base, overrides_b=["pools.agents.agents=36"], reps=2)
    assert comparison.labels == ["test[pools.agents.agents=36]"]
    assert set(comparison.table["b"]) == {"test[pools.agents.agents=36]"}
    assert comparison.name == "test-vs-test_pools.agents.agents=36"
    folder = comparison.write(tmp_path / "cmp")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["b"] == "test[pools.agents.agents=36]" and manifest["name"] == comparison.name
    assert variant_label("transfer-chain", ["pools.tier1.flexibility=0.6"]) == \
        "transfer-chain[pools.tier1.flexibility=0.6]"
    assert comparison_name("a", ["b[x={dist: exponential, mean: 90}]", "c"]) == \
        "a-vs-b_x=_dist_exponential,mean_90-and-c"  # nothing a shell or a file system trips on


def test_several_scenarios_against_the_first(tmp_path):
    base = single_queue(hours=1, warmup_minutes=0)
    more = single_queue(hours=1, warmup_minutes=0, agents=36)
    fewer = single_queue(hours=1, warmup_minutes=0, agents=28)
    comparison = run_comparison(base, [more, fewer], reps=3, labels=["more", "fewer"])
    table = comparison.table.set_index(["b", "kpi"])
    assert table.loc[("more", "service_level"), "verdict"] == "better"
    assert table.loc[("fewer", "service_level"), "verdict"] == "worse"
    # Each B is paired with A: the same as comparing it alone.
    alone = ccsim.compare(base, fewer, reps=3).set_index("kpi")
    assert table.loc[("fewer", "p_wait"), "diff"] == alone.loc["p_wait", "diff"]
    folder = comparison.write(tmp_path / "cmp")
    assert (folder / "b2.yaml").is_file() and (folder / "kpis_b2.parquet").is_file()
    back = ccsim.load_results(folder)
    assert back.labels == ["more", "fewer"] and back.variants[1].pools[0].agents == 28
    assert back.kpis_variants[1].equals(comparison.kpis_variants[1]) and back.b.pools[0].agents == 36
    with pytest.raises(ValueError, match="one label per scenario B"):
        run_comparison(base, [more, fewer], reps=2, labels=["only one"])


def test_same_names_are_told_apart():
    base = single_queue(hours=1, warmup_minutes=0)
    comparison = run_comparison(base, [base, base], reps=2)
    assert comparison.labels == ["test", "test#2"]


def test_a_folder_of_two_scenarios_from_before_still_reads(tmp_path):
    base = single_queue(hours=1, warmup_minutes=0)
    folder = run_comparison(base, overrides_b=["pools.agents.agents=36"], reps=2).write(tmp_path / "cmp")
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["variants"]
    manifest["b"] = "test"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    pd.read_parquet(folder / "comparison.parquet").drop(columns="b").to_parquet(folder / "comparison.parquet")
    back = ccsim.load_results(folder)
    assert back.labels == ["test"] and set(back.table["b"]) == {"test"} and back.b.pools[0].agents == 36


def test_a_difference_of_shares_stays_within_100_points():
    kpis = ccsim.experiments.results.RUN_KPIS
    a = pd.DataFrame({"replication": [0, 1], **{k: [0.05, 0.9] for k in kpis}})
    b = pd.DataFrame({"replication": [0, 1], **{k: [0.95, 0.92] for k in kpis}})
    table = paired_table(a, b).set_index("kpi")
    assert table.loc["service_level", "ci_low"] >= -1 and table.loc["service_level", "ci_high"] <= 1
    assert table.loc["asa_seconds", "ci_high"] > 1  # not a share: its own t interval


def test_cli_compares_several_scenarios(tmp_path):
    path = small_file(tmp_path)
    more = tmp_path / "more.yaml"
    more.write_text(path.read_text().replace("name: test", "name: more"))
    proc = ccsim_cli("compare", path, more, path, "--set", "pools.agents.agents=38", "--reps", "2", "--json",
                     "--out", tmp_path / "cmp")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    labels = ["more[pools.agents.agents=38]", "test[pools.agents.agents=38]"]
    assert data["variants"] == labels and data["b"] == labels[0] and data["a"] == "test"
    assert [c["b"] for c in data["comparisons"]] == labels
    assert data["kpis"] == data["comparisons"][0]["kpis"]  # as with two scenarios
    assert data["comparisons"][1]["kpis"]["p_wait"]["verdict"] == "better"
    table = ccsim_cli("compare", path, more, "--set", "pools.agents.agents=38", "--reps", "2", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "B: more[pools.agents.agents=38] (" in table.stdout  # the override named, not eaten as markup
    assert "results/test-vs-more_pools.agents.agents=38-" in table.stdout
    assert " pts" in table.stdout
