"""The scenario: a validated, immutable description of one contact center.

A scenario says who calls (arrival rates per interval, caller segments and how patient they
are), about what (intents, each needing a skill and taking some handle time), and who answers
(agent pools with their skills and their staffing per interval). For example a bank that
expects 600 calls an hour, all about general questions, answered by 32 agents::

    name: erlang-a
    seed: 1
    horizon: {hours: 24, interval_minutes: 30, warmup_minutes: 60}
    service_level_seconds: 20
    arrivals: {rate_per_hour: 600}
    segments:
      - {name: all, share: 1.0, patience: {dist: exponential, mean: 120}}
    intents:
      - {name: general, share: 1.0, skill: general, handle_time: {dist: exponential, mean: 180}}
    pools:
      - {name: agents, agents: 32, skills: [general]}

The scenario is checked once, when it is loaded; every later stage (the engine, the KPIs, the
CLI) reads it and never changes it. The model of a replication is assembled from it afresh.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import yaml
from pydantic import Field, field_validator

from .base import (  # noqa: F401  (re-exported: the schema's vocabulary)
    MAX_CHAIN,
    MAX_REPLAYS,
    MAX_SECONDARY,
    Name,
    PerIntervalCount,
    PerIntervalRate,
    _Model,
    check_clock,
)
from .callers import Intent, Redial, Research, SecondaryIntents, Segment  # noqa: F401
from .journey import (  # noqa: F401
    Callback,
    Channel,
    Context,
    HoldHazards,
    Holds,
    Ivr,
    Menu,
    MenuOption,
    Redirect,
    Transfers,
    ZeroOut,
)
from .workforce import Pool, SkillRoute  # noqa: F401


class Horizon(_Model):
    """How long the simulated day is and how it is cut into planning intervals."""

    hours: float = Field(gt=0, le=24 * 366)
    interval_minutes: float = Field(default=60, gt=0)
    warmup_minutes: float = Field(default=0, ge=0)
    start: str = Field(default="00:00", description="clock time of the first interval, HH:MM")
    drain: bool | Literal["clear"] = Field(
        default=True,
        description="true: after the horizon no one new arrives, but callers in the center are served; "
                    "false: hard stop; clear: callers still waiting are disconnected, those being served finish",
    )

    @field_validator("start")
    @classmethod
    def _clock(cls, value: str) -> str:
        return check_clock(value)


class Arrivals(_Model):
    """The center's arrivals per hour; omit when every intent gives its own ``rate_per_hour``."""

    rate_per_hour: PerIntervalRate | None = None
    scale: float = Field(default=1, ge=0, description="every arrival rate (the center's and the intents') times this")
    busyness_cv: float = Field(
        default=0, ge=0, le=2,
        description="days busier or quieter than the forecast: each simulated day's arrivals times a "
                    "Gamma factor with mean 1 and this coefficient of variation",
    )


class ServiceLevelGoal(_Model):
    """A queue's service-level goal: ``target`` of its contacts answered within ``seconds``."""

    seconds: float = Field(ge=0, description="the threshold T of 'answered within T seconds'")
    target: float | None = Field(default=None, gt=0, le=1, description="the goal, e.g. 0.8; used by ccsim staff")


class MessageOffer(_Model):
    """After ``after`` seconds of waiting, a caller is offered to leave a message (or a callback request)."""

    after: float = Field(ge=0, description="seconds waited before the offer")
    accept: float = Field(ge=0, le=1, description="share of callers offered who leave a message")


AgentSelection = Literal["pool_order", "longest_idle", "random", "least_occupied"]


class Routing(_Model):
    """How waiting contacts and free agents are matched."""

    priorities: Literal["strict", "weighted"] = Field(
        default="strict",
        description="strict: a higher segment priority is always answered first; weighted: the longest "
                    "wait times segments[].priority_weight goes first",
    )
    agent_selection: AgentSelection = Field(
        default="pool_order",
        description="which free agent an arriving contact goes to: the first listed pool with one free "
                    "(longest idle within it), the longest idle of all, a random one, or the least occupied pool's",
    )


class QueueSettings(_Model):
    """Settings of one queue (skill): its own service-level goal and routing."""

    skill: Name
    service_level: ServiceLevelGoal | None = Field(
        default=None, description="this queue's threshold and goal; default: service_level_seconds"
    )
    agent_selection: AgentSelection | None = Field(default=None, description="default: routing.agent_selection")
    capacity: int | None = Field(
        default=None, ge=0, description="at most this many waiting; a caller who finds it full gets a busy signal"
    )
    message: MessageOffer | None = Field(
        default=None, description="after waiting this long a caller may leave a message, handled later by an agent"
    )


class Scenario(_Model):
    """One contact center, validated. Build it with :func:`load_scenario`."""

    name: Name
    seed: int = Field(default=0, ge=0)
    horizon: Horizon
    service_level_seconds: float = Field(default=20, ge=0)
    service_level_definition: Literal["offered", "answered", "abandons_excluded", "abandons_good"] = Field(
        default="offered",
        description="what service_level reports: answered within T over offered (default), over answered, "
                    "over offered minus abandons within T, or with abandons within T counted as good",
    )
    short_abandon_seconds: float = Field(default=0, ge=0)
    arrivals: Arrivals = Arrivals()
    segments: list[Segment] = Field(min_length=1)
    intents: list[Intent] = Field(min_length=1)
    pools: list[Pool] = Field(min_length=1)
    channels: list[Channel] | None = Field(default=None, description="none: one voice channel")
    ivr: Ivr | None = None
    transfers: Transfers = Transfers()
    context: Context = Context()
    holds: Holds = Holds()
    callback: Callback | None = None
    queues: list[QueueSettings] | None = Field(default=None, description="per-queue settings (service-level goals)")
    routing: Routing = Routing()
    lines: int | None = Field(
        default=None, ge=0,
        description="at most this many contacts in the center (IVR, queues, with an agent); more get a busy signal",
    )
    telephony_cost_per_minute: float = Field(default=0, ge=0, description="per minute a contact is in the center")
    currency: str | None = Field(
        default=None, max_length=10, pattern=r"^[^\s]+$",
        description="the unit of costs (cost_per_hour, telephony_cost_per_minute), e.g. EUR or $, for the reports",
    )

    # Derived quantities the engine and the KPIs share.
    @property
    def interval_seconds(self) -> float:
        return self.horizon.interval_minutes * 60.0

    @property
    def horizon_seconds(self) -> float:
        return self.horizon.hours * 3600.0

    @property
    def warmup_seconds(self) -> float:
        return self.horizon.warmup_minutes * 60.0

    @property
    def n_intervals(self) -> int:
        return round(self.horizon_seconds / self.interval_seconds)

    def rates_per_hour(self) -> np.ndarray:
        """The center's arrival rate in each interval (the sum of the intents' own rates, if they give them)."""
        if self.arrivals.rate_per_hour is not None:
            return _expand(self.arrivals.rate_per_hour, self.n_intervals, float) * self.arrivals.scale
        return self.intent_rates().sum(axis=0)

    def intent_rates(self) -> np.ndarray:
        """Arrivals per hour of each intent in each interval (intents x intervals)."""
        n = self.n_intervals
        if self.arrivals.rate_per_hour is not None:
            return self.intent_shares() * _expand(self.arrivals.rate_per_hour, n, float) * self.arrivals.scale
        rates = np.array([_expand(x.rate_per_hour or 0.0, n, float) for x in self.intents]).reshape(-1, n)
        return rates * self.arrivals.scale

    def intent_shares(self) -> np.ndarray:
        """Each intent's share of the arrivals in each interval (intents x intervals).

        With the intents' own rates, an interval without arrivals gets equal shares (nothing
        is drawn from them).
        """
        n = self.n_intervals
        if self.arrivals.rate_per_hour is not None:
            return np.array([_expand(x.share, n, float) for x in self.intents]).reshape(-1, n)
        rates = self.intent_rates()
        total = rates.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, rates / np.where(total > 0, total, 1), 1.0 / len(self.intents))

    def queue_names(self) -> list[str]:
        """Every queue (skill), in the order the pools list them: the engine's queue numbers."""
        names: list[str] = []
        for pool in self.pools:
            names += [r.skill for r in pool.skills if r.skill not in names]
        return names

    def queue_settings(self, skill: str) -> QueueSettings | None:
        return next((q for q in self.queues or () if q.skill == skill), None)

    def agent_selection_of(self, skill: str) -> str:
        q = self.queue_settings(skill)
        return q.agent_selection if q is not None and q.agent_selection is not None else self.routing.agent_selection

    def service_level_seconds_of(self, skill: str) -> float:
        """The service-level threshold of a queue: its own, else the scenario's."""
        q = self.queue_settings(skill)
        return q.service_level.seconds if q is not None and q.service_level is not None else self.service_level_seconds

    def staffing(self, pool: Pool) -> np.ndarray:
        """Agents scheduled in each interval for ``pool`` (a time average with shifts and breaks;
        before shrinkage and absence)."""
        if pool.shifts is None:
            return _expand(pool.agents if pool.agents is not None else 0, self.n_intervals, float)
        from .schedule import roster, schedule_table

        return schedule_table(self, [roster(self, pool)])[0][0]

    def interval_labels(self) -> list[str]:
        """Clock time at the start of each interval, e.g. ``'08:30'`` (``'d2 08:30'`` after a day)."""
        hh, mm = (int(x) for x in self.horizon.start.split(":"))
        labels = []
        for k in range(self.n_intervals):
            minutes = hh * 60 + mm + k * self.horizon.interval_minutes
            day, rest = divmod(int(round(minutes)), 24 * 60)
            label = f"{rest // 60:02d}:{rest % 60:02d}"
            labels.append(label if day == 0 else f"d{day + 1} {label}")
        return labels

    def channel_list(self) -> list[Channel]:
        """The channels; a scenario without a ``channels`` section has one, ``voice``."""
        return list(self.channels) if self.channels is not None else [Channel(name="voice", share=1.0)]

    def uses_ivr(self, channel: Channel) -> bool:
        if channel.ivr is not None:
            return channel.ivr
        return self.ivr is not None and channel.skill is None

    def resolution_model(self) -> bool:
        """Whether an agent can fail to close a contact, or does more than answer for its handle time.

        False for a plain queue (every answered contact is resolved after its handle time):
        the engine then takes its shortest path, and the Erlang references hold exactly.
        """
        plain_pool = all(p.script is None and p.competence == 1 and p.offload == 0 for p in self.pools)
        return not (
            plain_pool
            and self.ivr is None
            and all(c.skill is None for c in self.channel_list())
            and all(i.authority == 0 and i.research is None for i in self.intents)
            and all(g.secondary_intents is None for g in self.segments)
        )

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario (defaults filled in) as plain data, loadable again."""
        return self.model_dump(mode="json", by_alias=True)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def _expand(value: float | int | list, n: int, dtype: Any) -> np.ndarray:
    if isinstance(value, list):
        return np.asarray(value, dtype=dtype)
    return np.full(n, value, dtype=dtype)
