"""Who answers: agent pools, their skills, staffing and what they may resolve.

The generalists answer general questions at once and help with card calls after 90 seconds;
the card specialists answer card calls only. A pool is a group of interchangeable agents with
the same skills, staffing plan, script and authority.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .base import Name, PerIntervalAgents, PerIntervalRate, _Model, check_clock
from .callers import Intent


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


class Break(_Model):
    """A break or lunch inside a shift: at a fixed time, after some hours, or somewhere in a window.

    With a ``window``, the agents of the shift take it one after another, their starts spread
    evenly over the window (the last one ends at the window's end).
    """

    minutes: float = Field(gt=0, le=24 * 60)
    at: str | None = Field(default=None, description="clock time the break starts, e.g. '10:30'")
    after_hours: float | None = Field(default=None, ge=0, description="hours after the shift's start")
    window: tuple[str, str] | None = Field(
        default=None, description="earliest start and latest end, e.g. ['11:30', '14:00']")
    paid: bool = Field(default=True, description="paid breaks count in agent cost; unpaid ones do not")

    @field_validator("at")
    @classmethod
    def _at(cls, value: str | None) -> str | None:
        return None if value is None else check_clock(value)

    @field_validator("window")
    @classmethod
    def _window(cls, value: tuple[str, str] | None) -> tuple[str, str] | None:
        return None if value is None else (check_clock(value[0]), check_clock(value[1]))

    @model_validator(mode="after")
    def _one_placement(self) -> Break:
        given = [k for k in ("at", "after_hours", "window") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a break needs exactly one of 'at' (a clock time), 'after_hours' or 'window'"
                             + (f"; got {' and '.join(given)}" if given else ""))
        return self


class Shift(_Model):
    """Agents who start together and work the same hours (and breaks), every day or some days."""

    start: str = Field(description="clock time the shift starts, e.g. '08:00'")
    hours: float = Field(gt=0, le=24, description="length, breaks included")
    count: int = Field(ge=0, description="agents on this shift")
    breaks: list[Break] = Field(default_factory=list)
    days: list[Annotated[int, Field(ge=1)]] | None = Field(
        default=None, description="days of the horizon it is worked (1 = the first); default every day"
    )
    name: str | None = None

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        return check_clock(value)


class Pool(_Model):
    """A group of interchangeable agents with the same skills and staffing plan."""

    name: Name
    agents: PerIntervalAgents | None = Field(
        default=None,
        description="agents on duty per interval (one number or a list; fractions are time-shared); "
                    "with shifts: added to them",
    )
    shifts: list[Shift] | None = Field(default=None, description="shifts with breaks; presence is derived from them")
    shrinkage: PerIntervalRate | None = Field(
        default=None, description="planned share of scheduled time unavailable (meetings, training), per interval"
    )
    absence: float = Field(default=0, ge=0, lt=1, description="chance each scheduled agent is absent for the day")
    scale: float = Field(default=1, ge=0, description="the pool's agents on duty (counts and shifts) times this")
    skills: list[Annotated[SkillRoute, BeforeValidator(_skill_route)]] = Field(min_length=1)
    cost_per_hour: float = Field(default=0, ge=0)
    proficiency: dict[Name, Annotated[float, Field(gt=0)]] | None = Field(
        default=None, description="handle-time factor per skill: 0.8 = 20% faster on that skill's intents"
    )
    wrapup_factor: float = Field(default=1, ge=0, description="this pool's after-call work, times the intents'")
    concurrency: int = Field(default=1, ge=1, le=20, description="conversations an agent holds at once (chat)")
    slowdown: list[Annotated[float, Field(gt=0)]] | None = Field(
        default=None, description="handle-time factor when holding 1, 2, ... conversations (one per level)"
    )
    takes: Literal["skill_order", "longest_waiting"] = Field(
        default="skill_order",
        description="which waiting contact a freed agent takes: the first skill in its list that has one, "
                    "or the one waiting longest across its skills (weighted by skill_weights)",
    )
    skill_weights: dict[Name, Annotated[float, Field(gt=0)]] | None = Field(
        default=None, description="with takes: longest_waiting, a wait in this skill's queue counts this many times"
    )
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

    def covers(self, intent: Intent) -> bool:
        """Whether the pool's script covers an intent."""
        if self.script is None:
            return any(r.skill == intent.skill for r in self.skills)
        return self.script == "all" or intent.name in self.script
