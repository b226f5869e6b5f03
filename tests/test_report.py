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


def test_sweep_report(folders):
    ccsim.write_report(folders / "sweep")
    text = check_page(folders / "sweep", {"sweep_heatmap", "sweep_0", "sweep_1"})
    assert "sorted by service_level" in text


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
    check_page(tmp_path / "sweep", {"sweep_0"})
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(single_queue(hours=1, warmup_minutes=0)))
    proc = ccsim_cli("compare", scenario, "--set", "pools.agents.agents=36", "--reps", "2",
                     "--out", tmp_path / "cmp", "--report")
    assert proc.returncode == 0, proc.stderr
    check_page(tmp_path / "cmp", {"comparison_forest"})
    assert_clean_error(ccsim_cli("run", scenario, "--no-save", "--report"), "--no-save")
