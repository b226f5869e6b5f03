"""Who calls and what about: caller segments, intents, redials.

Retail customers hang up after about two minutes in the queue; premium customers are served
first. Most call about their balance, some about a lost card, a few about a mortgage that
takes half an hour. A segment says how a group of callers behaves; an intent says what a
caller wants, which skill (queue) it needs and how long it takes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import MAX_SECONDARY, Name, PerIntervalRate, _Model
from .distributions import Distribution


class Redial(_Model):
    """How a customer who hung up calls again: the same question, a new contact, later."""

    after_abandon: float = Field(
        ge=0, le=1, description="probability of calling again after hanging up (in the IVR, in queue or on hold)"
    )
    after_unresolved: float = Field(
        default=0, ge=0, le=1,
        description="probability of calling again after a contact ended unresolved or was dropped",
    )
    after_blocked: float | None = Field(
        default=None, ge=0, le=1,
        description="probability of calling again after a busy signal or balking; default: after_abandon",
    )
    delay: Distribution = Field(description="time from the end of the contact to calling again")
    max_contacts: int = Field(default=5, ge=1, description="a customer makes at most this many contacts")
    mode: Literal["new", "retry"] = Field(
        default="new",
        description="new: a new call with a fresh handle time; retry: the same call again (same handle time)",
    )


class Balk(_Model):
    """Callers who hang up at once when they must wait: a share, rising with the announced wait."""

    probability: float = Field(ge=0, le=1, description="chance of hanging up at once when there is a wait")
    per_minute: float = Field(default=0, ge=0, description="added chance per minute of announced wait")
    max: float = Field(default=1, ge=0, le=1, description="the chance never exceeds this")


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
    balk: Balk | None = Field(default=None, description="hanging up at once when told to wait; none = never")
    patience_factor: PerIntervalRate | None = Field(
        default=None, description="patience multiplied by this in each interval (of arrival); one number or a list"
    )
    priority: int = Field(default=0, ge=0, le=100, description="higher is answered first (VIP); FCFS within a priority")
    priority_weight: float = Field(
        default=1, gt=0, description="with routing.priorities: weighted, waits count this many times"
    )


class Research(_Model):
    """Part of the calls about an intent need the agent to look something up, caller on hold."""

    probability: float = Field(ge=0, le=1)
    time: Distribution


class Intent(_Model):
    """What a caller wants (e.g. 'card_blocked'), the skill it needs and how long it takes."""

    name: Name
    share: PerIntervalRate | None = Field(
        default=None, description="share of the center's arrivals; a list: one share per interval"
    )
    rate_per_hour: PerIntervalRate | None = Field(
        default=None, description="this intent's own arrivals per hour (instead of a share); a list: per interval"
    )
    skill: Name
    handle_time: Distribution
    handle_time_factor: PerIntervalRate | None = Field(
        default=None, description="handle time multiplied by this in each interval (of arrival)"
    )
    patience: Distribution | None = Field(
        default=None, description="these callers' patience in queue, instead of their segment's"
    )
    patience_factor: PerIntervalRate | None = Field(
        default=None, description="this intent's patience multiplied by this in each interval (of arrival)"
    )
    wrapup: Distribution | None = Field(
        default=None, description="after-call work: the agent stays busy this long after the caller leaves"
    )
    authority: int = Field(default=0, ge=0, description="authority level an agent needs to close it")
    research: Research | None = Field(default=None, description="research the agent does with the caller on hold")
