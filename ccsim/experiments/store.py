"""The results store: one folder per run or sweep, safe against interruption.

A sweep of 40 staffing plans takes an hour; the laptop goes to sleep at point 31. Everything
finished before that is on disk, each file complete: every file is written to a temporary
name in the same folder and renamed (a rename is atomic), so a folder holds whole files or
none; each file gets the permissions the user's umask gives any new file, so a report on a
shared drive opens for the colleagues it should. ``manifest.json`` says what produced the
folder (ccsim version, seed, replications, command line, times) and the status of each
point; ``--resume`` reads it back. The folder is checked (created, written to) before any
simulation: a bad ``--out`` is refused at once, not after an hour of work.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MANIFEST = "manifest.json"

#: A scenario name longer than this is shortened in a default folder name (its start and a
#: short hash of the whole name, so two long names stay apart): file systems allow 255 bytes
#: per name, and a folder name should stay readable in a file browser.
FOLDER_NAME_CHARS = 60


class FolderError(OSError):
    """A results folder that cannot take the results, with the reason in the planner's words."""


class FolderNotEmptyError(FolderError, FileExistsError):
    """A results folder that already holds results (and replacing them was not asked for)."""


def default_folder(name: str, root: str | Path = "results") -> Path:
    """``results/<name>-<UTC timestamp>``, made unique if that folder exists already.

    A name longer than :data:`FOLDER_NAME_CHARS` keeps its start and gets a short hash of the
    whole name, e.g. ``results/monday-with-the-new-ivr-menu-and-thirty-extra-agents-i-3f9a02c1-20250107-091500``.
    """
    if len(name) > FOLDER_NAME_CHARS:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        name = f"{name[:FOLDER_NAME_CHARS - 9].rstrip('-_.')}-{digest}"
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = Path(root) / f"{name}-{stamp}"
    k = 1
    while folder.exists():
        k += 1
        folder = Path(root) / f"{name}-{stamp}-{k}"
    return folder


def prepare_folder(folder: str | Path, results: Sequence[str] | None = None, overwrite: bool = False) -> Path | None:
    """Make sure results can be written into ``folder``, before anything is simulated.

    The folder is created if it does not exist (with its parents), and a probe file is written
    and removed, so that a planner learns that ``--out`` is under a file, too long for the file
    system, on a read-only drive or already full of results *before* an hour of simulation.

    Args:
        results: names of the files that count as results in the folder; None: any entry does
            (the folder must be empty).
        overwrite: results already in the folder may be replaced.

    Returns:
        The first folder this call created (the folder itself, or ``results/`` above it), or
        None; :func:`discard_folder` removes them again if nothing is written.

    Raises:
        FolderNotEmptyError: the folder holds results and ``overwrite`` is False.
        FolderError: the folder cannot be created or written, with the reason.
    """
    folder = Path(folder)
    try:
        created = None if folder.exists() else _first_missing(folder)
        if created is None and not folder.is_dir():
            raise FolderError(f"{folder} is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
    except FolderError:
        raise
    except OSError as exc:  # a parent is a file, a name too long, no permission, ...
        raise FolderError(_why_not(folder, exc, "create")) from None
    if created is None:
        present = sorted(p.name for p in folder.iterdir()) if results is None else \
            [name for name in results if (folder / name).exists()]
        if present and not overwrite:
            shown = ", ".join(present[:5]) + (f" and {len(present) - 5} more" if len(present) > 5 else "")
            if results is None:
                raise FolderNotEmptyError(f"{folder} is not empty ({shown}); choose another folder")
            raise FolderNotEmptyError(f"{folder} already holds results ({shown}); choose another folder "
                                      "or pass --overwrite")
    try:
        fd, probe = tempfile.mkstemp(prefix=".ccsim-probe.", suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        discard_folder(folder, created)
        raise FolderError(_why_not(folder, exc, "write in")) from None
    return created


def discard_folder(folder: str | Path, created: Path | None) -> None:
    """Remove the folders :func:`prepare_folder` made (``created`` is what it returned), as far
    as nothing was written into them."""
    if created is None:
        return
    for path in [Path(folder), *Path(folder).parents]:
        try:
            path.rmdir()
        except OSError:
            return  # not empty, or gone: either way nothing of the user's is touched
        if path == created:
            return


def _first_missing(folder: Path) -> Path:
    """The outermost folder of ``folder``'s path that does not exist yet."""
    missing = folder
    for parent in folder.parents:
        if _is(parent, Path.exists):
            break
        missing = parent
    return missing


def _why_not(folder: Path, exc: OSError, doing: str) -> str:
    """The reason an OSError gives, said about the folder the user named."""
    shown = str(folder) if len(str(folder)) <= 80 else f"{str(folder)[:60]}…"
    if exc.errno == errno.ENOTDIR or isinstance(exc, FileExistsError):
        blocker = next((p for p in [folder, *folder.parents] if _is(p, Path.is_file)), None)
        if blocker is not None:
            return f"cannot {doing} {shown}: {blocker} is a file, not a folder"
    if exc.errno == errno.ENAMETOOLONG:
        longest = max(folder.parts, key=len)
        limit = _name_max(folder)
        if limit and len(longest.encode("utf-8")) > limit:
            return (f"cannot {doing} {shown}: the name '{longest[:40]}…' is {len(longest)} characters long; "
                    f"this file system allows at most {limit}")
        return f"cannot {doing} {shown}: the path is too long for this file system"
    reasons = {errno.EACCES: "permission denied", errno.EPERM: "permission denied",
               errno.EROFS: "the drive is read-only", errno.ENOSPC: "the drive is full"}
    return f"cannot {doing} {shown}: {reasons.get(exc.errno or 0, exc.strerror or str(exc))}"


def _name_max(folder: Path) -> int | None:
    """The longest file name the file system under ``folder`` takes (255 almost everywhere)."""
    existing = next((p for p in [folder, *folder.parents] if _is(p, Path.is_dir)), Path("."))
    try:
        return os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # pragma: no cover - no pathconf (Windows)
        return 255


def _is(path: Path, test: Callable[[Path], bool]) -> bool:
    try:
        return test(path)
    except OSError:  # e.g. a name too long to look up
        return False


def file_mode() -> int:
    """The mode ``open()`` gives a new file: ``0o666`` less the process's umask.

    ``mkstemp`` makes its files readable by their owner only; results on a shared drive must
    open for the colleagues the user's umask lets in, like any file the user saves.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:  # Linux: read without changing it
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)  # elsewhere the only way to read it is to set it (and put it back)
    os.umask(umask)
    return 0o666 & ~umask


def describe_files(folder: str | Path, names: Sequence[str]) -> list[tuple[str, int | None, int]]:
    """``(name, rows, bytes)`` of each file of ``names`` in the folder (rows of Parquet tables
    from their footer, without reading the data; None for other files)."""
    import pyarrow.parquet as pq

    rows: list[tuple[str, int | None, int]] = []
    for name in names:
        path = Path(folder) / name
        if path.is_file():
            count = pq.read_metadata(path).num_rows if name.endswith(".parquet") else None
            rows.append((name, count, path.stat().st_size))
    return rows


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, default=_json_default, allow_nan=False) + "\n")


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def atomic_write(path: Path, write: Callable[[str], Any]) -> None:
    """Call ``write(temporary_path)``, then rename the result to ``path`` (whole file or none)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):  # POSIX: as open() would have made it (mkstemp: owner only)
            os.fchmod(fd, file_mode())
    finally:
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
    return datetime.now(UTC).isoformat(timespec="seconds")


def command_line() -> str:
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])


def json_ready(value: Any) -> Any:
    """Plain JSON data: NaN and infinities as null, numpy numbers and booleans as plain ones,
    tuples as lists, keys as strings (for summaries written with ``allow_nan=False``)."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    return value


def _json_default(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    raise TypeError(f"not JSON serialisable: {type(x)}")
