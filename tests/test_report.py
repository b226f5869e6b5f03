"""ccsim report on a run, a sweep and a comparison: one self-contained page, every plot
embedded and saved as PNG, nothing fetched from the network; and it renders in Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

import ccsim
from ccsim.experiments.compare import run_comparison

from .helpers import SCENARIOS, single_queue
from .test_cli import assert_clean_error
from .test_cli import ccsim as ccsim_cli

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    ccsim.run(SCENARIOS / "retail_bank_day.yaml", reps=3).write(root / "run")
    spec = {"name": "report-sweep", "scenario": single_queue(hours=2, warmup_minutes=0), "reps": 2,
            "vary": {"pools.agents.agents": [29, 33], "segments.all.patience.mean": [60, 240]}}
    ccsim.sweep(spec, workers=1, out=root / "sweep")
    run_comparison(single_queue(hours=2, warmup_minutes=0), overrides_b=["pools.agents.agents=36"],
                   reps=3).write(root / "compare")
    return root


def check_page(folder: Path, plots: set[str]) -> str:
    page = (folder / "report.html").read_text()
    images = re.findall(r'<img[^>]+src="([^"]+)"', page)
    assert len(images) == len(plots) and all(src.startswith("data:image/png;base64,") for src in images)
    links = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', page)
    assert all(link.startswith(("data:", "#")) for link in links), "the page must not fetch anything"
    assert not re.search(r"https?://", page.replace("http://www.w3.org", ""))
    assert {p.stem for p in folder.glob("*.png")} == plots
    for plot in plots:
        assert f'id="{plot}"' in page
    return page


def test_run_report(folders):
    page = ccsim.write_report(folders / "run")
    text = check_page(folders / "run", {"arrivals_vs_staffing", "service_by_interval", "abandonment_by_interval",
                                        "occupancy_by_pool", "wait_distribution", "journey_flow", "transfer_chains"})
    assert page.name == "report.html"
    assert "retail-bank-day" in text and "service_level" in text and "95% CI" in text and "generalists" in text
    assert "command:" in text


SWEEP_PLOTS = {"sweep_heatmap_service_level", "sweep_service_level_by_pools.agents.agents",
               "sweep_service_level_by_segments.all.patience.mean"}


def test_sweep_report(folders):
    ccsim.write_report(folders / "sweep")
    text = check_page(folders / "sweep", SWEEP_PLOTS)
    assert "sorted by service_level" in text
    # Long parameter paths may break after their dots instead of running off the page.
    assert "<th>pools.<wbr>agents.<wbr>agents</th>" in text and "th { white-space: normal" in text
    # A share's half-width is a difference: in points, not in %.
    assert re.search(r"\d%  ?± \d+\.\d\d pts", text) and not re.search(r"± [\d.]+%", text)


def test_a_report_for_another_kpi_keeps_the_first(folders, tmp_path):
    import shutil

    folder = tmp_path / "sweep"
    shutil.copytree(folders / "sweep", folder)
    ccsim.write_report(folder)
    ccsim.write_report(folder, kpi="abandon_rate", target=0.05)
    pngs = {p.stem for p in folder.glob("*.png")}
    assert SWEEP_PLOTS <= pngs and "sweep_heatmap_abandon_rate" in pngs  # nothing overwritten


def test_comparison_report(folders):
    ccsim.write_report(folders / "compare")
    text = check_page(folders / "compare", {"comparison_forest"})
    assert "better" in text and "B − A" in text


def test_cli_report_and_bad_folder(folders, tmp_path):
    proc = ccsim_cli("report", folders / "compare")
    assert proc.returncode == 0 and "report written to" in proc.stdout
    assert_clean_error(ccsim_cli("report", tmp_path), "not a ccsim results folder")
    assert_clean_error(ccsim_cli("report", folders / "sweep", "--kpi", "happiness"), "unknown KPI 'happiness'")


def test_run_with_report_flag(tmp_path):
    path = tmp_path / "s.yaml"
    import yaml

    path.write_text(yaml.safe_dump(single_queue(hours=1, warmup_minutes=0)))
    proc = ccsim_cli("run", path, "--reps", "2", "--out", tmp_path / "out", "--report")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "report.html").is_file() and (tmp_path / "out" / "journey_flow.png").is_file()


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


@pytest.mark.slow
@pytest.mark.skipif(_chromium() is None, reason="no Chromium on this machine (.ci/run installs Debian's chromium; "
                                                  "it could not be installed here)")
def test_report_renders_in_headless_chromium(folders, tmp_path):
    ccsim.write_report(folders / "run")
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1100,3200",
                        f"--screenshot={shot}", (folders / "run" / "report.html").resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (3200, 1100)
    # a rendered page, not a blank one: dark text, coloured plots, white background
    gray = pixels[..., :3].mean(axis=2)
    assert (gray > 0.95).mean() > 0.3 and (gray < 0.3).mean() > 0.005
    colourful = np.ptp(pixels[..., :3], axis=2) > 0.3
    assert colourful.mean() > 0.002  # text alone has none: the embedded plots were decoded and drawn


def test_sweep_and_compare_with_report_flag(tmp_path):
    import yaml

    spec = {"name": "flag-sweep", "scenario": single_queue(hours=1, warmup_minutes=0), "reps": 2,
            "vary": {"pools.agents.agents": [30, 34]}}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    proc = ccsim_cli("sweep", path, "--out", tmp_path / "sweep", "--workers", "1", "--report")
    assert proc.returncode == 0, proc.stderr
    check_page(tmp_path / "sweep", {"sweep_service_level_by_pools.agents.agents"})
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(single_queue(hours=1, warmup_minutes=0)))
    proc = ccsim_cli("compare", scenario, "--set", "pools.agents.agents=36", "--reps", "2",
                     "--out", tmp_path / "cmp", "--report")
    assert proc.returncode == 0, proc.stderr
    check_page(tmp_path / "cmp", {"comparison_forest"})
    assert_clean_error(ccsim_cli("run", scenario, "--no-save", "--report"), "--no-save")


# -------------------------------------------------------------------------------------------------
# Every plot and table of a report counts the same contacts


@pytest.fixture(scope="module")
def ivr_run(tmp_path_factory):
    """The deep IVR menu (a 30-min warm-up), where the flow once said 3,690 arrived and the table 3,464."""
    folder = tmp_path_factory.mktemp("ivr") / "run"
    ccsim.run(SCENARIOS / "ivr_menu.yaml", reps=2).write(folder)
    return folder


def figure_texts(folder: Path, slug: str) -> list[str]:
    from ccsim.presentation.report import _run

    result = ccsim.load_results(folder)
    _, _, figures, _ = _run(result, None)
    plot = next(p for p in figures if p.slug == slug)
    return [t.get_text() for ax in plot.figure.axes for t in ax.texts]


def test_the_journey_flow_counts_what_the_kpi_table_counts(ivr_run):
    result = ccsim.load_results(ivr_run)
    assert result.scenario.warmup_seconds > 0 and (result.contacts["arrival"] < result.scenario.warmup_seconds).any()
    summary = result.summary()["mean"]
    labels = {text.split("\n")[0]: text.split("\n")[1].split(" (")[0] for text in figure_texts(ivr_run, "journey_flow")}
    assert labels["arrived"] == f"{summary['arrivals']:,.0f}"
    assert labels["queued"] == f"{summary['offered']:,.0f}"
    for outcome in ("resolved", "abandoned", "contained", "ivr_abandoned"):
        assert labels[outcome] == f"{summary[outcome]:,.0f}", outcome
    # The page's KPI table says the same.
    ccsim.write_report(ivr_run)
    page = (ivr_run / "report.html").read_text()
    assert f"<td>{summary['arrivals']:,.1f}</td>" in page
    assert "after the 30-min warm-up" in page


def test_transfer_chains_count_what_the_chains_table_counts(ivr_run):
    result = ccsim.load_results(ivr_run)
    expected = result.chain_summary().query("kpi == 'contacts'")["mean"]
    shown = figure_texts(ivr_run, "transfer_chains")
    assert shown[0] == f"{expected.iloc[0]:,.0f}"


def test_a_run_without_contacts_says_which_plots_it_left_out(tmp_path):
    folder = tmp_path / "run"
    ccsim.run(single_queue(hours=1, warmup_minutes=0), reps=2, keep_contacts=False).write(folder)
    ccsim.write_report(folder)
    page = check_page(folder, {"arrivals_vs_staffing", "service_by_interval", "abandonment_by_interval",
                               "occupancy_by_pool", "transfer_chains"})
    assert "Left out: the waiting-time and journey plots (wait_distribution, journey_flow)" in page
    assert "ccsim run --contacts" in page and "--no-contacts" in page


def test_comparison_of_several_scenarios_names_each(tmp_path):
    base = single_queue(hours=1, warmup_minutes=0)
    folder = tmp_path / "cmp"
    run_comparison(base, [base, base], overrides_b=["pools.agents.agents=36"], reps=2).write(folder)
    ccsim.write_report(folder)
    page = check_page(folder, {"comparison_forest"})
    assert "Comparison: 2 scenarios against test" in page
    assert "test[pools.agents.agents=36]" in page and "test[pools.agents.agents=36]#2" in page
    assert "<th>scenario B</th>" in page and " pts" in page


def test_one_replication_is_singular(tmp_path):
    spec = {"name": "one-rep", "scenario": single_queue(hours=1, warmup_minutes=0), "reps": 1,
            "vary": {"pools.agents.agents": [30, 34]}}
    ccsim.sweep(spec, workers=1, out=tmp_path / "sweep")
    ccsim.write_report(tmp_path / "sweep")
    page = (tmp_path / "sweep" / "report.html").read_text()
    assert "over 1 replication " in page and "1 replications" not in page


def test_costs_in_the_scenarios_currency(tmp_path):
    from ccsim.spec.scenario import Scenario

    if "currency" not in Scenario.model_fields:
        pytest.skip("the scenario has no currency key yet (ccsim/spec/scenario.py)")
    data = single_queue(hours=1, warmup_minutes=0, currency="EUR")
    data["pools"][0]["cost_per_hour"] = 30
    ccsim.run(data, reps=2, keep_contacts=False).write(tmp_path / "run")
    ccsim.write_report(tmp_path / "run")
    page = (tmp_path / "run" / "report.html").read_text()
    assert re.search(r"<td>cost_per_resolved</td>\s*<td>[\d,.]+ EUR</td>", page)
    assert re.search(r"<td>agent_cost</td>\s*<td>[\d,.]+ EUR</td>", page)


def test_the_lhs_example_scales_whole_profiles():
    from ccsim.experiments.sweep_spec import load_spec

    spec, base, points, scenarios = load_spec(SCENARIOS / "sweeps" / "lhs_example.yaml")
    assert set(points[0]) == {"arrivals.scale", "pools.generalists.scale", "pools.cards.scale"}
    for point, scenario in zip(points, scenarios, strict=True):
        # The 24-value profile keeps its shape (the 10:00 peak), times the point's factor.
        assert np.allclose(scenario.rates_per_hour(), base.rates_per_hour() * point["arrivals.scale"])
        assert 0.8 <= point["pools.generalists.scale"] <= 1.2


def test_staffing_and_roster_reports_through_the_report_flag(tmp_path):
    """ccsim staff --report and ccsim schedule --report: the before/after, the agents per
    interval with the verified KPI, the proof, and the plot; the numbers are the folder's."""
    import json

    import pandas as pd
    import yaml

    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(single_queue(rate=[200.0, 300.0, 300.0, 200.0], hours=2, warmup_minutes=0)))
    proc = ccsim_cli("staff", scenario, "--target", "sl=0.8@20", "--reps", "3", "--workers", "1",
                     "--out", tmp_path / "staff", "--report")
    assert proc.returncode == 0, proc.stderr
    text = check_page(tmp_path / "staff", {"staffing"})
    staffing = pd.read_parquet(tmp_path / "staff" / "staffing.parquet")
    first = staffing.iloc[0]
    assert f"{first['current']:g} → {first['required']:g}" in text
    manifest = json.loads((tmp_path / "staff" / "manifest.json").read_text())
    assert f"{manifest['proof']['checks_passed']} of {manifest['proof']['checks']} single-agent removals" in text
    assert "Before and after" in text and "sl=0.8@20" in text

    templates = tmp_path / "t.yaml"
    templates.write_text(yaml.safe_dump({"templates": [
        {"name": "two_hours", "start": "00:00", "hours": 2},
        {"name": "one_hour", "start": {"from": "00:00", "to": "01:00", "every_minutes": 30}, "hours": 1}]}))
    proc = ccsim_cli("schedule", tmp_path / "staff", "--templates", templates, "--workers", "1",
                     "--out", tmp_path / "roster", "--report")
    assert proc.returncode == 0, proc.stderr
    text = check_page(tmp_path / "roster", {"schedule"})
    roster = pd.read_parquet(tmp_path / "roster" / "roster.parquet")
    assert "two_hours" in text and f"{int(roster['count'].sum())} agents on" in text
    assert_clean_error(ccsim_cli("staff", scenario, "--target", "sl=0.8@20", "--no-save", "--report"), "--no-save")
