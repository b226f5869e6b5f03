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
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .distributions import DIST_KINDS, Distribution
from .errors import ScenarioError, format_path
from .overrides import apply_overrides

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


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario, overrides: Sequence[str] = ()) -> Scenario:
    """Read and validate a scenario from a YAML file or a dict (e.g. built in a notebook).

    Args:
        source: a path, a dict, or a Scenario.
        overrides: ``"PATH=VALUE"`` changes applied before validation (see :mod:`ccsim.overrides`),
            e.g. ``["pools.tier1.agents=28"]``.

    Raises:
        ScenarioError: with one ``(path, message)`` per problem found.
    """
    if isinstance(source, Scenario):
        if not overrides:
            return source
        source = source.to_dict()
    if isinstance(source, Mapping):
        data, name = source, None
    else:
        data, name = read_yaml(Path(source)), str(source)
        if not isinstance(data, Mapping):
            return validate_scenario(data, source=name)
    if overrides:
        try:
            data = apply_overrides(data, overrides)
        except ScenarioError as exc:
            raise ScenarioError(exc.problems, source=name) from None
        name = f"{name} with --set" if name else "--set"
    return validate_scenario(data, source=name)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file (safe_load only), turning every failure into a ScenarioError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([("(file)", "no such file")], source=str(path)) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ScenarioError([("(file)", f"cannot be read: {exc}")], source=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([(where, f"not valid YAML: {problem}")], source=str(path)) from None


def validate_scenario(data: Any, source: str | None = None) -> Scenario:
    """Validate plain data (as read from YAML) into a Scenario."""
    if not isinstance(data, Mapping):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError([("(top level)", f"a scenario must be a mapping of keys, got {got}")], source)
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as exc:
        raise ScenarioError(pydantic_problems(exc, Scenario), source) from None
    problems = _cross_checks(scenario)
    if problems:
        raise ScenarioError(problems, source)
    return scenario


def _cross_checks(s: Scenario) -> list[tuple[str, str]]:
    """Rules that involve more than one field."""
    problems: list[tuple[str, str]] = []
    n_exact = s.horizon_seconds / s.interval_seconds
    if abs(n_exact - round(n_exact)) > 1e-9 or round(n_exact) < 1:
        problems.append(
            (
                "horizon.interval_minutes",
                f"{s.horizon.interval_minutes:g} min does not divide the horizon of "
                f"{s.horizon.hours:g} h into whole intervals",
            )
        )
        return problems  # per-interval checks below need a whole number of intervals
    if s.warmup_seconds >= s.horizon_seconds:
        problems.append(
            ("horizon.warmup_minutes", f"{s.horizon.warmup_minutes:g} min must be shorter than the horizon")
        )
    n = s.n_intervals

    def check_length(path: str, value: Any) -> None:
        if isinstance(value, list) and len(value) != n:
            problems.append(
                (
                    path,
                    f"has {len(value)} values; the horizon has {n} intervals of "
                    f"{s.horizon.interval_minutes:g} min (give one value per interval, or one number)",
                )
            )

    check_length("arrivals.rate_per_hour", s.arrivals.rate_per_hour)
    for key in ("segments", "intents", "pools"):
        problems += _duplicate_names(key, getattr(s, key))
    for key in ("segments", "intents"):
        problems += _shares_sum(key, getattr(s, key))
    served = {route.skill for pool in s.pools for route in pool.skills}
    for i, intent in enumerate(s.intents):
        if intent.skill not in served:
            problems.append(
                (
                    f"intents[{i}].skill",
                    f"'{intent.skill}' is not served by any pool (pools serve: {', '.join(sorted(served))})",
                )
            )
    for i, pool in enumerate(s.pools):
        check_length(f"pools[{i}].agents", pool.agents)
        skills = [route.skill for route in pool.skills]
        for j, skill in enumerate(skills):
            if skill in skills[:j]:
                problems.append((f"pools[{i}].skills[{j}]", f"skill '{skill}' is listed twice"))
    problems += _journey_checks(s, served)
    return problems


def _duplicate_names(path: str, items: Sequence[Any]) -> list[tuple[str, str]]:
    """A problem for each item named like an earlier one (names are how the file refers to them)."""
    problems: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.name in seen:
            problems.append((f"{path}[{i}].name", f"'{item.name}' is already the name of {path}[{seen[item.name]}]"))
        seen.setdefault(item.name, i)
    return problems


def _shares_sum(path: str, items: Sequence[Any]) -> list[tuple[str, str]]:
    total = sum(item.share for item in items)
    return [] if abs(total - 1.0) <= 1e-6 else [(path, f"shares sum to {total:g}; they must sum to 1")]


def _journey_checks(s: Scenario, served: set[str]) -> list[tuple[str, str]]:
    """Names that must refer to something: intents, skills (queues), menus, channels."""
    problems: list[tuple[str, str]] = []
    intents = [i.name for i in s.intents]

    def intent_names(path: str, names: Sequence[str] | None) -> None:
        for j, name in enumerate(names or ()):
            if name not in intents:
                problems.append((f"{path}[{j}]", f"no intent named '{name}' (intents: {', '.join(intents)})"))

    def skill(path: str, name: str | None) -> None:
        if name is not None and name not in served:
            problems.append((path, f"'{name}' is not served by any pool (pools serve: {', '.join(sorted(served))})"))

    for i, pool in enumerate(s.pools):
        if isinstance(pool.script, list):
            intent_names(f"pools[{i}].script", pool.script)
        skill(f"pools[{i}].escalate_to", pool.escalate_to)
        if pool.escalate_to in {r.skill for r in pool.skills}:
            problems.append((f"pools[{i}].escalate_to", f"'{pool.escalate_to}' is a skill of this pool; "
                             "escalate to another pool's queue"))
        if pool.offload > 0 and pool.escalate_to is None:
            problems.append((f"pools[{i}].offload", "an offloaded caller goes to escalate_to; set pools[].escalate_to"))
    channels = [c.name for c in s.channels or ()]
    if s.channels is not None:
        problems += _shares_sum("channels", s.channels) + _duplicate_names("channels", s.channels)
        for i, channel in enumerate(s.channels):
            skill(f"channels[{i}].skill", channel.skill)
            if channel.ivr and s.ivr is None:
                problems.append((f"channels[{i}].ivr", "the scenario has no 'ivr' section"))
            if channel.ivr and channel.skill is not None:
                problems.append((f"channels[{i}].skill", "a channel goes through the IVR or straight to a "
                                 "queue (skill), not both"))
            redirect = channel.redirect
            if redirect is None or len(set(channels)) < len(channels):  # names must be clear first
                continue
            intent_names(f"channels[{i}].redirect.intents", redirect.intents)
            if redirect.to not in channels:
                problems.append((f"channels[{i}].redirect.to", f"no channel named '{redirect.to}' "
                                 f"(channels: {', '.join(channels)})"))
            elif redirect.to == channel.name:
                problems.append((f"channels[{i}].redirect.to", "a channel cannot redirect to itself"))
            elif s.channels[channels.index(redirect.to)].redirect is not None:
                problems.append((f"channels[{i}].redirect.to", f"'{redirect.to}' redirects too; a redirect "
                                 "must lead to a channel that serves"))
    if s.ivr is not None:
        problems += _ivr_checks(s.ivr, intent_names, skill)
    return problems


def _ivr_checks(ivr: Ivr, intent_names, skill) -> list[tuple[str, str]]:
    """The menus form one tree from the root, and every option leads somewhere that exists."""
    problems = _duplicate_names("ivr.menus", ivr.menus)
    names = [m.name for m in ivr.menus]
    if problems:  # which menu an option means is unclear until the names are
        return problems
    root = ivr.root or names[0]
    if root not in names:
        problems.append(("ivr.root", f"no menu named '{root}' (menus: {', '.join(names)})"))
        return problems
    if ivr.zero_out is not None:
        skill("ivr.zero_out.skill", ivr.zero_out.skill)
    if ivr.zero_out is not None and ivr.replay + ivr.zero_out.share > 1 + 1e-9:
        problems.append(("ivr.zero_out.share", f"replay ({ivr.replay:g}) and zero_out.share "
                         f"({ivr.zero_out.share:g}) are shares of the same confused callers; they sum to more than 1"))
    parent: dict[str, str] = {}
    for i, menu in enumerate(ivr.menus):
        for j, option in enumerate(menu.options):
            path = f"ivr.menus[{i}].options[{j}]"
            intent_names(f"{path}.intents", option.intents)
            skill(f"{path}.skill", option.skill)
            if option.menu is None:
                continue
            if option.menu not in names:
                problems.append((f"{path}.menu", f"no menu named '{option.menu}' (menus: {', '.join(names)})"))
            elif option.menu == root or option.menu in parent:
                problems.append((f"{path}.menu", f"menu '{option.menu}' is already reached from "
                                 f"{'the start' if option.menu == root else repr(parent[option.menu])}; "
                                 "the menus must form a tree"))
            else:
                parent[option.menu] = menu.name
    if problems:  # whether every menu is reached means little until the names are right
        return problems
    for i, name in enumerate(names):
        seen = {name}
        at = name
        while at in parent:
            at = parent[at]
            if at in seen:
                problems.append((f"ivr.menus[{i}]", f"menu '{name}' is part of a loop of submenus"))
                break
            seen.add(at)
        else:
            if at != root:
                problems.append((f"ivr.menus[{i}]", f"menu '{name}' cannot be reached from the root menu '{root}'"))
    return problems


# ---------------------------------------------------------------------------------------------
# Turning pydantic's errors into one line per problem with the path in the file.


def pydantic_problems(exc: ValidationError, root: type[BaseModel]) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors(include_url=False):
        raw = list(err["loc"])
        loc = [p for p in raw if not _is_union_tag(p)]
        path = format_path(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(root, raw[:-1])
            hint = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
            message = f"unknown key{hint}"
        elif kind == "missing":
            message = "is required"
        elif kind == "union_tag_invalid":
            message = f"unknown distribution '{err['ctx']['tag']}'; allowed: {', '.join(DIST_KINDS)}"
        elif kind == "union_tag_not_found":
            message = f"needs a 'dist' key, one of: {', '.join(DIST_KINDS)}"
        else:
            message = err["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            if kind not in ("per_interval", "value_error", "clock", "script") and "input" in err:
                message += f" (got {err['input']!r})"
        problems.append((path, message))
    return problems


def _is_union_tag(part: str | int) -> bool:
    return isinstance(part, str) and (part in DIST_KINDS or part.startswith("function-"))


def _allowed_keys(root: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Keys (as written in the file) of the model at ``loc`` below ``root``; [] if unknown.

    ``loc`` is pydantic's raw location, where a distribution's tag names which model it is.
    """
    candidates: list[Any] = [root]
    for part in loc:
        if isinstance(part, int):
            continue
        if _is_union_tag(part):
            candidates = [m for m in candidates if _literal_tag(m) == part]
            continue
        if len(candidates) != 1:
            return []
        fields = candidates[0].model_fields
        field = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
        if field is None:
            return []
        candidates = _models_in(field.annotation)
    if len(candidates) != 1:
        return []
    return [f.alias or name for name, f in candidates[0].model_fields.items()]


def _literal_tag(model: Any) -> Any:
    field = model.model_fields.get("dist")
    args = typing.get_args(field.annotation) if field else ()
    return args[0] if args else None


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _models_in(annotation: Any) -> list[Any]:
    """The pydantic models inside ``list[X]``, ``X | None``, ``Annotated[Union[...], ...]``."""
    if _is_model(annotation):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
