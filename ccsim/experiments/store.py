"""The results store: one folder per run or sweep, safe against interruption.

A sweep of 40 staffing plans takes an hour; the laptop goes to sleep at point 31. Everything
finished before that is on disk, each file complete: every file is written to a temporary
name in the same folder and renamed (a rename is atomic), so a folder holds whole files or
none. ``manifest.json`` says what produced the folder (ccsim version, seed, replications,
command line, times) and the status of each point; ``--resume`` reads it back.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

MANIFEST = "manifest.json"


def default_folder(name: str, root: str | Path = "results") -> Path:
    """``results/<name>-<UTC timestamp>``, made unique if that folder exists already."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    folder = Path(root) / f"{name}-{stamp}"
    k = 1
    while folder.exists():
        k += 1
        folder = Path(root) / f"{name}-{stamp}-{k}"
    return folder


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, default=_json_default, allow_nan=False) + "\n")


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def atomic_write(path: Path, write: Callable[[str], Any]) -> None:
    """Call ``write(temporary_path)``, then rename the result to ``path`` (whole file or none)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Temporary files left by a process killed while writing (never a finished file)."""
    stale = list(folder.rglob(".*.tmp"))
    for path in stale:
        path.unlink()
    return stale


def read_manifest(folder: Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{folder} is not a ccsim results folder (no {MANIFEST})")
    return json.loads(path.read_text(encoding="utf-8"))


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def command_line() -> str:
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])


def _json_default(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    raise TypeError(f"not JSON serialisable: {type(x)}")
