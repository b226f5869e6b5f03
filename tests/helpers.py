"""Shared test helpers: small scenarios as dicts, and paths."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BANK_DATA = ROOT.parent / "shared" / "data" / "anonymous_bank_1999"

# The minimal single-queue scenario of the issue, exactly as written there.
ERLANG_A_TEXT = """\
name: erlang-a
seed: 1
horizon: {hours: 24, interval_minutes: 30, warmup_minutes: 60}
service_level_seconds: 20
arrivals: {rate_per_hour: 600}          # a number, or a list with one rate per interval
segments:
  - {name: all, share: 1.0, patience: {dist: exponential, mean: 120}}   # no patience key = never abandons
intents:
  - {name: general, share: 1.0, skill: general, handle_time: {dist: exponential, mean: 180}}
pools:
  - {name: agents, agents: 32, skills: [general]}   # agents: a number, or a list per interval
"""


def single_queue(rate=600.0, aht=180.0, agents=32, patience=120.0, hours=4.0, warmup_minutes=60.0,
                 interval_minutes=30.0, seed=1, **extra) -> dict:
    """A one-queue scenario as a dict (exponential times; ``patience=None``: never abandons)."""
    segment = {"name": "all", "share": 1.0}
    if patience is not None:
        segment["patience"] = {"dist": "exponential", "mean": patience}
    data = {
        "name": "test",
        "seed": seed,
        "horizon": {"hours": hours, "interval_minutes": interval_minutes, "warmup_minutes": warmup_minutes},
        "arrivals": {"rate_per_hour": rate},
        "segments": [segment],
        "intents": [{"name": "general", "share": 1.0, "skill": "general",
                     "handle_time": {"dist": "exponential", "mean": aht}}],
        "pools": [{"name": "agents", "agents": agents, "skills": ["general"]}],
    }
    data.update(extra)
    return data
