"""Each plot function on small results: a Figure with the expected axes and series."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
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


def test_comparison_forest():
    table = ccsim.compare(single_queue(hours=2, warmup_minutes=0), overrides_b=["pools.agents.agents=36"], reps=3)
    fig = plots.comparison_forest(table)
    ax = fig.axes[0]
    shown = [t.get_text().split()[0] for t in ax.get_yticklabels()]
    assert "service_level" in shown and "arrivals" not in shown
    assert ax.get_legend() is not None
