"""Start-up time: how long a planner waits before a command does anything.

Run:  python bench/startup.py          (about half a minute)

Times whole commands as a planner runs them (the installed ``ccsim`` entry point, a fresh
process each time; median and best of several runs): ``ccsim --help``, ``ccsim erlang``
(analytic values, and a staffing requirement), ``ccsim check`` of a shipped scenario, and
``python -c "import ccsim"``. Then the heaviest imports of ``import ccsim.cli`` as
``python -X importtime`` reports them: what the CLI loads before any command runs.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CCSIM = shutil.which("ccsim", path=os.path.dirname(sys.executable)) or "ccsim"

COMMANDS = {
    "ccsim --help": [CCSIM, "--help"],
    "ccsim erlang (values)": [CCSIM, "erlang", "--rate-per-hour", "600", "--aht", "180", "--agents", "32",
                              "--patience", "120"],
    "ccsim erlang --target": [CCSIM, "erlang", "--rate-per-hour", "600", "--aht", "180", "--target", "sl=0.8@20"],
    "ccsim check (bank day)": [CCSIM, "check", str(ROOT / "scenarios" / "retail_bank_day.yaml")],
    "import ccsim": [sys.executable, "-c", "import ccsim"],
}


def timed(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs + 1):  # the first run warms the file cache and is not counted
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return times[1:]


def main() -> None:
    runs = 7
    print(f"{'command':<26}{'median':>9}{'best':>9}   (wall seconds, {runs} runs)")
    for name, command in COMMANDS.items():
        t = timed(command, runs)
        print(f"{name:<26}{statistics.median(t):>9.3f}{min(t):>9.3f}")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import ccsim.cli"], capture_output=True,
                          text=True, check=True)
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
            if cumulative.isdigit() and name.strip() and not name.startswith(" "):
                rows.append((int(cumulative), name.strip()))
    rows.sort(reverse=True)
    print("\nimport ccsim.cli, heaviest top-level imports (cumulative µs):")
    for cumulative, name in rows[:8]:
        print(f"  {name:<30}{cumulative:>10,}")


if __name__ == "__main__":
    main()
