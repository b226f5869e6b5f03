"""Each plot function on small results: a Figure with the expected axes and series; the
same contacts as the KPI tables; labels as the tables show them; the same keywords everywhere."""

from __future__ import annotations

import inspect
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.patches  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import ccsim  # noqa: E402
from ccsim.presentation import plots  # noqa: E402

from .helpers import SCENARIOS, single_queue  # noqa: E402


@pytest.fixture(scope="module")
def run():
    return ccsim.run(SCENARIOS / "retail_bank_day.yaml", reps=3)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    spec = {"name": "plot-sweep", "scenario": single_queue(hours=2, warmup_minutes=0), "reps": 2,
            "vary": {"pools.agents.agents": [29, 31, 33], "segments.all.patience.mean": [60, 240]}}
    return ccsim.sweep(spec, workers=1, out=tmp_path_factory.mktemp("s") / "s")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def lines(ax):
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


def test_arrivals_vs_staffing(run):
    fig = plots.arrivals_vs_staffing(run.intervals, "bank")
    assert isinstance(fig, Figure)
    ax, right = fig.axes
    assert len(ax.patches) == run.scenario.n_intervals  # one bar per interval
    assert ax.get_ylabel() and right.get_ylabel() and ax.get_xlabel() == "interval start (clock time)"
    assert len([t for t in ax.get_xticklabels() if t.get_text()]) <= 12  # never crowded
    assert ax.get_xticklabels()[0].get_text() == "08:00"


def test_service_by_interval_has_bands_and_target(run):
    fig = plots.service_by_interval(run.intervals, 20, 0.8)
    top, bottom = fig.axes
    assert [line.get_label() for line in lines(top)] == ["ASA"]
    assert [line.get_label() for line in lines(bottom)] == ["answered within 20 s", "target 80%"]
    assert len(top.collections) == 1 and len(bottom.collections) == 1  # the CI bands
    low, high = bottom.get_ylim()
    assert low == 0 and high <= 1.05


def test_abandonment_and_occupancy(run):
    fig = plots.abandonment_by_interval(run.intervals)
    assert len(lines(fig.axes[0])) == 1
    fig = plots.occupancy_by_pool(run.pool_intervals, [p.name for p in run.scenario.pools])
    ax = fig.axes[0]
    assert [line.get_label() for line in lines(ax)] == ["generalists", "cards", "mortgage_specialists"]
    colors = plots.pool_colors(["generalists", "cards", "mortgage_specialists"])
    rgb = matplotlib.colors.to_rgb
    assert [rgb(line.get_color()) for line in lines(ax)] == [rgb(c) for c in colors.values()]


def test_wait_distribution(run):
    fig = plots.wait_distribution(run.contacts)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("answered after waiting") and labels[1].startswith("abandoned")
    assert labels[2].startswith("patience")
    assert ax.get_xscale() == "log"


def test_journey_flow_counts_add_up(run):
    fig = plots.journey_flow(run.contacts, run.replications)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("arrived") for t in texts) and any(t.startswith("resolved") for t in texts)
    assert any(t.startswith("abandoned") for t in texts)


def test_transfer_chains_without_transfers(run):
    fig = plots.transfer_chain_lengths(run.contacts, run.replications)
    ax = fig.axes[0]
    assert len(ax.patches) == 1 and "no contact was transferred" in ax.get_title()
    answered = run.contacts["answer"].notna().sum()
    assert ax.patches[0].get_height() == pytest.approx(answered / run.replications)


def test_sweep_line_and_heatmap(sweep):
    x, y = sweep.params
    fig = plots.sweep_line(sweep.points, x, "service_level", group=y, target=0.8)
    ax = fig.axes[0]
    assert len(lines(ax)) == 3  # two groups and the target
    assert len(ax.collections) == 2  # one CI band per group
    fig = plots.sweep_heatmap(sweep.points, x, y, "service_level", target=0.8)
    ax = fig.axes[0]
    assert ax.get_images()[0].get_array().shape == (2, 3)
    assert len(ax.texts) == 6 and ax.get_xlabel() == x and ax.get_ylabel() == y


def test_comparison_forest_draws_each_kpi_in_its_own_unit():
    table = ccsim.compare(single_queue(hours=2, warmup_minutes=0), overrides_b=["pools.agents.agents=36"], reps=3)
    fig = plots.comparison_forest(table)
    panels = {ax.get_xlabel(): ax for ax in fig.axes}
    assert "B − A in percentage points (95% CI, paired)" in panels and "B − A in seconds (95% CI, paired)" in panels
    shares = panels["B − A in percentage points (95% CI, paired)"]
    shown = [t.get_text().split()[0] for t in shares.get_yticklabels()]
    assert "service_level" in shown and "asa_seconds" not in shown
    assert all(t.get_text().split()[0] != "arrivals" for ax in fig.axes for t in ax.get_yticklabels())
    assert fig.legends
    # A share's difference is drawn in points: +10.6 points at 10.6, not relative to A's mean.
    row = table.set_index("kpi").loc["service_level"]
    k = shown.index("service_level")
    point = next(line for line in shares.get_lines() if len(line.get_ydata()) == 1 and line.get_ydata()[0] == k)
    assert point.get_xdata()[0] == pytest.approx(100 * row["diff"])
    seconds = panels["B − A in seconds (95% CI, paired)"]
    asa = [t.get_text().split()[0] for t in seconds.get_yticklabels()].index("asa_seconds")
    point = next(line for line in seconds.get_lines() if len(line.get_ydata()) == 1 and line.get_ydata()[0] == asa)
    assert point.get_xdata()[0] == pytest.approx(table.set_index("kpi").loc["asa_seconds", "diff"])


def test_comparison_forest_with_several_scenarios_b():
    base = single_queue(hours=1, warmup_minutes=0)
    variants = [ccsim.load_scenario(base, [f"pools.agents.agents={n}"]) for n in (34, 36)]
    table = ccsim.compare(base, variants, reps=2, labels=["34 agents", "36 agents"])
    fig = plots.comparison_forest(table, a="32 agents", currency="EUR")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "B = 34 agents" in legend and "B = 36 agents" in legend
    assert "34 agents, 36 agents" in fig._suptitle.get_text()


def test_diff_units():
    assert plots.diff_unit("fcr") == ("percentage points", 100.0)
    assert plots.diff_unit("asa_seconds") == ("seconds", 1.0)
    assert plots.diff_unit("abandoned") == ("contacts", 1.0)
    assert plots.diff_unit("cost", "EUR") == ("EUR", 1.0)
    assert plots.diff_unit("cost_per_resolved", "EUR") == ("EUR per resolved customer", 1.0)


# -------------------------------------------------------------------------------------------------
# The same contacts as the KPI tables: after the warm-up


@pytest.fixture(scope="module")
def warm_run():
    return ccsim.run(single_queue(hours=3, warmup_minutes=60, interval_minutes=30), reps=2)


def test_interval_plots_leave_out_the_warmup(warm_run):
    warm = warm_run.scenario.warmup_seconds
    fig = plots.arrivals_vs_staffing(warm_run.intervals, warmup_seconds=warm)
    ax = fig.axes[0]
    assert len(ax.patches) == 4  # 3 h in half-hours, the first hour left out
    assert sum(p.get_height() for p in ax.patches) == pytest.approx(warm_run.summary().loc["arrivals", "mean"])
    assert "after the 60-min warm-up" in ax.get_title()
    assert ax.get_xticklabels()[0].get_text() == "01:00"
    fig = plots.occupancy_by_pool(warm_run.pool_intervals, warmup_seconds=warm)  # no warmup column: by start
    assert len(lines(fig.axes[0])[0].get_xdata()) == 4
    assert len(lines(plots.abandonment_by_interval(warm_run.intervals, warmup_seconds=warm).axes[0])[0]
               .get_xdata()) == 4
    assert len(plots.arrivals_vs_staffing(warm_run.intervals).axes[0].patches) == 6  # without it: everything
    # A table that carries its warm-up (frame.attrs, as a run's tables may) is cut by default.
    carried = warm_run.intervals.copy()
    carried.attrs["warmup_seconds"] = warm
    assert len(plots.arrivals_vs_staffing(carried).axes[0].patches) == 4
    assert len(plots.arrivals_vs_staffing(carried, warmup_seconds=0).axes[0].patches) == 6


def test_journey_counts_are_the_kpi_tables(warm_run):
    counts = plots.journey_counts(warm_run.contacts, warm_run.replications,
                                  warmup_seconds=warm_run.scenario.warmup_seconds)
    summary = warm_run.summary()["mean"]
    assert counts["arrived"] == summary["arrivals"] and counts["queued"] == summary["offered"]
    outcomes = counts["via_queue"].add(counts["elsewhere"], fill_value=0)
    for outcome in ("resolved", "abandoned"):
        assert outcomes.get(outcome, 0) == summary[outcome]
    everything = plots.journey_counts(warm_run.contacts, warm_run.replications)
    assert everything["arrived"] > counts["arrived"]  # the warm-up's contacts, which the KPIs leave out


def test_transfer_chains_from_the_chains_table():
    result = ccsim.run(SCENARIOS / "transfer_chain.yaml", reps=2)
    warm = result.scenario.warmup_seconds
    from_contacts = plots.transfer_chain_lengths(result.contacts, 2, warmup_seconds=warm).axes[0]
    from_table = plots.transfer_chain_lengths(result.chains, 2).axes[0]
    heights = [p.get_height() for p in from_table.patches]
    assert heights == pytest.approx([p.get_height() for p in from_contacts.patches])
    expected = result.chain_summary().query("kpi == 'contacts'")["mean"].to_numpy()
    assert heights == pytest.approx(list(expected[:len(heights)]))
    assert len(heights) > 1 and "no contact was transferred" not in from_table.get_title()


# -------------------------------------------------------------------------------------------------
# Sweeps: labels as the tables show them


def grid(values, kpi="service_level"):
    """A 2 x 2 sweep points table with the given means."""
    rows = []
    for k, (x, y) in enumerate([(1, 1), (2, 1), (1, 2), (2, 2)]):
        rows.append({"point": k, "x": x, "y": y, kpi: values[k], f"{kpi}_ci_low": values[k],
                     f"{kpi}_ci_high": values[k]})
    return pd.DataFrame(rows)


def test_heatmap_cells_in_percent_for_every_share():
    fig = plots.sweep_heatmap(grid([0.812, 0.5, 0.9, 0.95], "fcr"), "x", "y", "fcr")
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["50.0%", "81.2%", "90.0%", "95.0%"]


def test_heatmap_outlines_cells_whose_label_meets_the_target():
    fig = plots.sweep_heatmap(grid([0.79996, 0.7994, 0.9, 0.5]), "x", "y", "service_level", target=0.8)
    ax = fig.axes[0]
    labelled = {t.get_text() for t in ax.texts}
    assert "80.0%" in labelled and "79.9%" in labelled
    outlined = [p for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle) and not p.get_fill()]
    assert len(outlined) == 2  # 80.0% and 90.0%; not 79.9% nor 50.0%
    assert "meets the target 80%" in ax.get_title()
    # Lower is better for an abandon rate: at or under the target.
    fig = plots.sweep_heatmap(grid([0.05004, 0.06, 0.02, 0.1], "abandon_rate"), "x", "y", "abandon_rate", target=0.05)
    outlined = [p for p in fig.axes[0].patches if not p.get_fill()]
    assert len(outlined) == 2


def test_heatmap_and_line_costs_in_the_currency():
    points = grid([4.5, 5.25, 3.0, 6.0], "cost_per_resolved")
    fig = plots.sweep_heatmap(points, "x", "y", "cost_per_resolved", currency="EUR")
    assert "4.50 EUR" in {t.get_text() for t in fig.axes[0].texts}
    fig = plots.sweep_line(points, "x", "cost_per_resolved", group="y", currency="EUR")
    assert "(EUR)" in fig.axes[0].get_ylabel()


# -------------------------------------------------------------------------------------------------
# The same keywords everywhere


RUN_PLOTS = ("arrivals_vs_staffing", "service_by_interval", "abandonment_by_interval", "occupancy_by_pool",
             "wait_distribution", "journey_flow", "transfer_chain_lengths")


def test_every_plot_takes_the_same_keywords():
    for name in RUN_PLOTS:
        parameters = inspect.signature(getattr(plots, name)).parameters
        assert {"scenario_name", "warmup_seconds"} <= set(parameters), name
    for name in ("sweep_line", "sweep_heatmap"):
        parameters = inspect.signature(getattr(plots, name)).parameters
        assert {"kpi", "target", "scenario_name", "currency"} <= set(parameters) and "name" not in parameters, name
    assert {"target", "scenario_name"} <= set(inspect.signature(plots.service_by_interval).parameters)
    assert "currency" in inspect.signature(plots.comparison_forest).parameters


def test_old_keyword_name_still_works_with_a_deprecation_warning(sweep):
    x, y = sweep.params
    with pytest.deprecated_call(match="name= is deprecated; use scenario_name="):
        fig = plots.sweep_heatmap(sweep.points, x, y, "service_level", target=0.8, name="old")
    assert fig.axes[0].get_title().startswith("old: ")
    with pytest.deprecated_call():
        fig = plots.sweep_line(sweep.points, x, kpi="service_level", name="old")
    assert fig.axes[0].get_title().startswith("old: ")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new keyword: no warning
        plots.sweep_line(sweep.points, x, kpi="service_level", scenario_name="new")
    with pytest.raises(TypeError), pytest.deprecated_call():
        plots.sweep_line(sweep.points, x, name="a", scenario_name="b")


def test_positional_calls_keep_working(run):
    # As the README and older notebooks call them.
    plots.journey_flow(run.contacts, run.replications, "bank")
    plots.service_by_interval(run.intervals, 20, 0.8, "bank")
    plots.arrivals_vs_staffing(run.intervals, "bank")
