"""The package's floors: every import points down (the contract is in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import ROOT


def test_imports_point_down_the_floors():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (it comes with the [test] extra)")
    proc = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "broken" in proc.stdout and "0 broken" in proc.stdout


def test_no_module_is_a_giant():
    """No module over about 400 lines without a reason written down here."""
    allowed: dict[str, str] = {  # path -> why it may be longer
    }
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "ccsim").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 450}
    assert {p: n for p, n in long.items() if p not in allowed} == {}
