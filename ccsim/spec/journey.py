"""The journey's policies: IVR menus, channels, transfers, context, holds, callbacks.

"For a lost card press 1": the IVR tree in front of the queues; voice and chat channels and
their redirects; how a contact an agent cannot close moves on (cold or warm transfers,
chain limits); whether what the customer said follows them; what a caller on hold hears; and
the offer to be called back instead of waiting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import MAX_CHAIN, MAX_REPLAYS, Name, _Model
from .distributions import Distribution


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
    def _one_kind(self) -> MenuOption:
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
