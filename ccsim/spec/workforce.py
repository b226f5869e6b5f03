"""Who answers: agent pools, their skills, staffing and what they may resolve.

The generalists answer general questions at once and help with card calls after 90 seconds;
the card specialists answer card calls only. A pool is a group of interchangeable agents with
the same skills, staffing plan, script and authority.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from .base import Name, PerIntervalCount, _Model
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


class Pool(_Model):
    """A group of interchangeable agents with the same skills and staffing plan."""

    name: Name
    agents: PerIntervalCount
    skills: list[Annotated[SkillRoute, BeforeValidator(_skill_route)]] = Field(min_length=1)
    cost_per_hour: float = Field(default=0, ge=0)
    proficiency: dict[Name, Annotated[float, Field(gt=0)]] | None = Field(
        default=None, description="handle-time factor per skill: 0.8 = 20% faster on that skill's intents"
    )
    wrapup_factor: float = Field(default=1, ge=0, description="this pool's after-call work, times the intents'")
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
