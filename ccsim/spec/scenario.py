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

import math
import re
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .distributions import Distribution

#: Bounds that keep each contact's pre-drawn random numbers a fixed, small number.
MAX_CHAIN = 20
MAX_SECONDARY = 5
MAX_REPLAYS = 5

Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")]


def _per_interval(integer: bool) -> BeforeValidator:
    """A value that is either one number for the whole horizon or a list with one per interval."""
    kind = "a whole number" if integer else "a number"

    def check_one(value: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise PydanticCustomError(
                "per_interval", f"must be {kind} >= 0, or a list of them (one per interval)"
            )
        if integer and value != int(value):
            raise PydanticCustomError("per_interval", f"must be {kind} >= 0, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise PydanticCustomError("per_interval", f"must be {kind} >= 0, got {value!r}")
        return int(value) if integer else float(value)

    def validate(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            if not value:
                raise PydanticCustomError("per_interval", "an empty list; give one value per interval")
            return [check_one(v) for v in value]
        return check_one(value)

    return BeforeValidator(validate)


PerIntervalRate = Annotated[float | list[float], _per_interval(integer=False)]
PerIntervalCount = Annotated[int | list[int], _per_interval(integer=True)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Horizon(_Model):
    """How long the simulated day is and how it is cut into planning intervals."""

    hours: float = Field(gt=0, le=24 * 366)
    interval_minutes: float = Field(default=60, gt=0)
    warmup_minutes: float = Field(default=0, ge=0)
    start: str = Field(default="00:00", description="clock time of the first interval, HH:MM")
    drain: bool = Field(
        default=True,
        description="after the horizon no one new arrives, but callers in the center are served",
    )

    @field_validator("start")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value):
            raise PydanticCustomError("clock", "must be a clock time HH:MM, e.g. '08:00'")
        return value


class Arrivals(_Model):
    rate_per_hour: PerIntervalRate


class Redial(_Model):
    """How a customer who hung up calls again: the same question, a new contact, later."""

    after_abandon: float = Field(
        ge=0, le=1, description="probability of calling again after hanging up (in the IVR, in queue or on hold)"
    )
    after_unresolved: float = Field(
        default=0, ge=0, le=1,
        description="probability of calling again after a contact ended unresolved or was dropped",
    )
    delay: Distribution = Field(description="time from the end of the contact to calling again")
    max_contacts: int = Field(default=5, ge=1, description="a customer makes at most this many contacts")


class SecondaryIntents(_Model):
    """Further questions a caller brings besides the first (a complaint, a change of address)."""

    probability: float = Field(ge=0, le=1, description="chance of each of up to `max` further intents")
    max: int = Field(default=1, ge=1, le=MAX_SECONDARY)
    time_factor: float = Field(
        default=0.6, gt=0,
        description="a further intent takes this share of its handle time (the caller is identified already)",
    )


class Segment(_Model):
    """A group of callers with the same behaviour (e.g. 'retail', 'premium')."""

    name: Name
    share: float = Field(gt=0, le=1)
    patience: Distribution | None = Field(
        default=None, description="time a caller waits in queue before hanging up; none = forever"
    )
    redial: Redial | None = Field(default=None, description="calling again after hanging up; none = never")
    ivr_skill: float = Field(
        default=1, ge=0, le=1,
        description="how well these callers use menus: chance of the right option = clarity x ivr_skill",
    )
    ivr_patience: Distribution | None = Field(
        default=None, description="time a caller stays in the IVR before hanging up; none = forever"
    )
    difficult: bool = Field(default=False, description="'heavy' callers that agents may offload (pools[].offload)")
    secondary_intents: SecondaryIntents | None = None


class Research(_Model):
    """Part of the calls about an intent need the agent to look something up, caller on hold."""

    probability: float = Field(ge=0, le=1)
    time: Distribution


class Intent(_Model):
    """What a caller wants (e.g. 'card_blocked'), the skill it needs and how long it takes."""

    name: Name
    share: float = Field(gt=0, le=1)
    skill: Name
    handle_time: Distribution
    authority: int = Field(default=0, ge=0, description="authority level an agent needs to close it")
    research: Research | None = Field(default=None, description="research the agent does with the caller on hold")


def _skill_route(value: Any) -> Any:
    return {"skill": value} if isinstance(value, str) else value


def _script(value: Any) -> Any:
    if isinstance(value, str) and value != "all":
        raise PydanticCustomError("script", "must be a list of intent names, or 'all'")
    return value


class SkillRoute(_Model):
    """A skill of a pool; ``after`` > 0 makes the pool an overflow for that skill's queue."""

    skill: Name
    after: float = Field(
        default=0, ge=0, description="seconds a contact must have waited before this pool takes it"
    )


class Pool(_Model):
    """A group of interchangeable agents with the same skills and staffing plan."""

    name: Name
    agents: PerIntervalCount
    skills: list[Annotated[SkillRoute, BeforeValidator(_skill_route)]] = Field(min_length=1)
    cost_per_hour: float = Field(default=0, ge=0)
    script: Annotated[list[Name] | Literal["all"] | None, BeforeValidator(_script)] = Field(
        default=None,
        description="intents the script covers; 'all'; none = the intents of the pool's skills",
    )
    flexibility: float = Field(default=0, ge=0, le=1, description="chance to resolve an off-script intent anyway")
    off_script_time_factor: float = Field(default=1.5, gt=0, description="handle-time multiplier off script")
    competence: float = Field(default=1, ge=0, le=1, description="chance to resolve an in-script intent")
    authority: int = Field(default=0, ge=0, description="the highest intents[].authority it may close")
    offload: float = Field(
        default=0, ge=0, le=1, description="chance an agent passes a difficult caller on to escalate_to"
    )
    escalate_to: Name | None = Field(
        default=None, description="skill (queue) that takes what this pool may not or cannot close"
    )

    def covers(self, intent: "Intent") -> bool:
        """Whether the pool's script covers an intent."""
        if self.script is None:
            return any(r.skill == intent.skill for r in self.skills)
        return self.script == "all" or intent.name in self.script


class Transfers(_Model):
    """How a contact an agent cannot close moves on to another queue."""

    mode: Literal["cold", "warm"] = Field(
        default="cold",
        description="cold: back into the target queue; warm: the first agent stays until the next answers",
    )
    max_chain: int = Field(
        default=5, ge=0, le=MAX_CHAIN, description="transfers after which a contact ends unresolved"
    )
    patience_factor: float = Field(default=1, gt=0, description="patience multiplier per transfer")
    priority: bool = Field(default=False, description="transferred contacts are answered before new ones")
    triage_fraction: float = Field(
        default=0.3, gt=0, le=1, description="share of the handle time an agent spends before handing on"
    )


class Context(_Model):
    """Whether what the customer said follows them to the next agent."""

    shared: bool = Field(default=False, description="true: no re-explanation after a handoff")
    reexplain_time: Distribution | None = Field(
        default=None, description="added to the next agent's handle time after a cold transfer or a redirect"
    )


class HoldHazards(_Model):
    """Hang-ups per minute on hold, by hold style."""

    music: float = Field(default=0.10, ge=0)
    ads: float = Field(default=0.15, ge=0)
    silence: float = Field(default=0.12, ge=0)
    checkins: float = Field(default=0.03, ge=0)


class Holds(_Model):
    """What a caller on a research hold hears, and what it does to them."""

    style: Literal["music", "ads", "silence", "checkins"] = "music"
    hangup_per_minute: HoldHazards = HoldHazards()
    checkin_every_seconds: float = Field(default=60, gt=0)
    checkin_seconds: float = Field(default=10, ge=0, description="agent time per check-in")
    drop_per_minute: float = Field(default=0, ge=0, description="technical drops per minute on hold")


class Callback(_Model):
    """Virtual hold: past a threshold of expected wait a caller is offered to be called back."""

    threshold_seconds: float = Field(ge=0, description="expected wait above which the offer is made")
    accept: float = Field(ge=0, le=1, description="share of callers who accept")


class Redirect(_Model):
    """A channel policy: some intents are told to use another channel."""

    intents: list[Name] = Field(min_length=1)
    to: Name
    probability: float = Field(default=1, ge=0, le=1)
    delay: Distribution = Field(description="time until the customer contacts the other channel")


class Channel(_Model):
    """A way in (voice, chat, messaging): its share of arrivals and its policy."""

    name: Name
    share: float = Field(gt=0, le=1)
    ivr: bool | None = Field(default=None, description="goes through the IVR; default: if there is one and no skill")
    skill: Name | None = Field(default=None, description="the queue all its contacts join (skips the IVR)")
    redirect: Redirect | None = None


class MenuOption(_Model):
    """One option of a menu: a submenu, a queue, or self-service."""

    label: str | None = None
    menu: Name | None = Field(default=None, description="the submenu it leads to")
    skill: Name | None = Field(default=None, description="the queue it leads to (self-service: if not contained)")
    intents: list[Name] | None = Field(
        default=None, description="intents it is meant for (queue: default those of its skill)"
    )
    containment: float | None = Field(
        default=None, ge=0, le=1, description="self-service: share of its intents resolved there"
    )
    seconds: float = Field(default=60, ge=0, description="self-service: time spent in it")

    @model_validator(mode="after")
    def _one_kind(self) -> "MenuOption":
        kinds = [k for k, v in (("menu", self.menu), ("skill", self.skill), ("containment", self.containment))
                 if v is not None]
        if self.menu is not None and len(kinds) > 1:
            raise ValueError("an option leads to a menu, a queue (skill) or self-service (containment); "
                             f"got {' and '.join(kinds)}")
        if not kinds:
            raise ValueError("an option needs 'menu', 'skill' or 'containment'")
        if self.containment is not None and not self.intents:
            raise ValueError("a self-service option needs the 'intents' it covers")
        if self.menu is not None and self.intents is not None:
            raise ValueError("a submenu option covers what its submenu covers; remove 'intents'")
        return self


class Menu(_Model):
    name: Name
    message_seconds: float = Field(default=15, ge=0, description="time to hear the menu once")
    clarity: float = Field(default=1, ge=0, le=1, description="chance a caller recognises the right option")
    options: list[MenuOption] = Field(min_length=1)


class ZeroOut(_Model):
    skill: Name = Field(description="the operator queue")
    share: float = Field(ge=0, le=1, description="share of confused callers who press 0")


class Ivr(_Model):
    """An IVR menu tree in front of the queues."""

    menus: list[Menu] = Field(min_length=1)
    root: Name | None = Field(default=None, description="the first menu; default: the first listed")
    replay: float = Field(default=0, ge=0, le=1, description="share of confused callers who replay the menu")
    max_replays: int = Field(default=2, ge=0, le=MAX_REPLAYS)
    zero_out: ZeroOut | None = Field(default=None, description="pressing 0 for an operator; none = not allowed")


class Scenario(_Model):
    """One contact center, validated. Build it with :func:`load_scenario`."""

    name: Name
    seed: int = Field(default=0, ge=0)
    horizon: Horizon
    service_level_seconds: float = Field(default=20, ge=0)
    short_abandon_seconds: float = Field(default=0, ge=0)
    arrivals: Arrivals
    segments: list[Segment] = Field(min_length=1)
    intents: list[Intent] = Field(min_length=1)
    pools: list[Pool] = Field(min_length=1)
    channels: list[Channel] | None = Field(default=None, description="none: one voice channel")
    ivr: Ivr | None = None
    transfers: Transfers = Transfers()
    context: Context = Context()
    holds: Holds = Holds()
    callback: Callback | None = None
    telephony_cost_per_minute: float = Field(default=0, ge=0, description="per minute a contact is in the center")

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
        """Arrival rate in each interval."""
        return _expand(self.arrivals.rate_per_hour, self.n_intervals, float)

    def staffing(self, pool: Pool) -> np.ndarray:
        """Agents scheduled in each interval for ``pool``."""
        return _expand(pool.agents, self.n_intervals, np.int64)

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
