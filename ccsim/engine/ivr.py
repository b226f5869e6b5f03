"""The IVR: a caller's walk through the menu tree, from the first message to a queue.

"For a lost card press 1, for loans press 2, for anything else press 3." A caller hears a
menu and picks an option. The right option (the one whose subtree covers the caller's intent)
is picked with probability ``clarity × ivr_skill``; a confused caller replays the menu (while
replays are left), presses 0 for an operator (when allowed), or presses one of the wrong
options at random and lands in the wrong submenu or the wrong queue: a misroute. In a
submenu that covers nothing of theirs, every caller is confused. Self-service options resolve
a share of the intents they cover (containment); the others go on to a queue. A caller whose
IVR patience runs out hangs up in the IVR.

The IVR has no capacity limit, so the whole walk depends only on the caller: it is computed
at once from a row of uniforms drawn for the caller (one per menu heard, one for IVR patience,
one for containment), and the model schedules one event at its end. The same caller walks the
same way in two scenarios that differ only in staffing (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..spec.scenario import Scenario

# Where a walk ends.
QUEUE, CONTAINED, HUNG_UP = 0, 1, 2


@dataclass(frozen=True)
class Walk:
    """The result of one caller's walk through the IVR."""

    end: int  # QUEUE, CONTAINED or HUNG_UP
    skill: int  # the queue joined (QUEUE), else -1
    seconds: float  # time in the IVR
    levels: int  # menus heard (each replay counts)
    misrouted: bool  # sent to a queue other than their intent's skill (a wrong option, not zero-out)
    steps: tuple[tuple[float, str], ...] = ()  # (seconds into the IVR, what the caller did), for a trace


@dataclass(frozen=True)
class _Option:
    label: str
    menu: int  # submenu index, or -1
    skill: int  # queue, or -1 (self-service without a queue of its own: the intent's skill)
    covers: frozenset[int]  # intents it leads to
    containment: float | None
    seconds: float


@dataclass(frozen=True)
class _Menu:
    name: str
    message: float
    clarity: float
    options: tuple[_Option, ...]
    right: tuple[int, ...]  # per intent: the option covering it, or -1
    wrong: tuple[tuple[int, ...], ...]  # per intent: the other options


class IvrModel:
    """The scenario's menu tree, compiled for fast walks.

    Args:
        scenario: a scenario with an ``ivr`` section.
        skill_index: queue index of each skill name (the engine's numbering).
    """

    def __init__(self, scenario: Scenario, skill_index: dict[str, int]):
        ivr = scenario.ivr
        assert ivr is not None
        names = [m.name for m in ivr.menus]
        intents = {x.name: k for k, x in enumerate(scenario.intents)}
        own_skill = [skill_index[x.skill] for x in scenario.intents]
        self._own_skill = own_skill
        self._patience = [g.ivr_patience for g in scenario.segments]
        self._ivr_skill = [g.ivr_skill for g in scenario.segments]
        self.replay = ivr.replay
        self.max_replays = ivr.max_replays
        self.zero_out = (skill_index[ivr.zero_out.skill], ivr.zero_out.share) if ivr.zero_out else None

        def covers(option) -> frozenset[int]:
            if option.menu is not None:
                sub = ivr.menus[names.index(option.menu)]
                return frozenset().union(*(covers(o) for o in sub.options))
            if option.intents is not None:
                return frozenset(intents[n] for n in option.intents)
            return frozenset(k for k, x in enumerate(scenario.intents) if x.skill == option.skill)

        menus = []
        for m in ivr.menus:
            options = tuple(
                _Option(label=o.label or f"option {j + 1}",
                        menu=names.index(o.menu) if o.menu is not None else -1,
                        skill=skill_index[o.skill] if o.skill is not None else -1,
                        covers=covers(o), containment=o.containment, seconds=o.seconds)
                for j, o in enumerate(m.options)
            )
            right = tuple(next((j for j, o in enumerate(options) if k in o.covers), -1)
                          for k in range(len(scenario.intents)))
            wrong = tuple(tuple(j for j in range(len(options)) if j != r) for r in right)
            menus.append(_Menu(m.name, m.message_seconds, m.clarity, options, right, wrong))
        self._menus = menus
        self._root = names.index(ivr.root or names[0])
        #: uniforms per caller: IVR patience, containment, and one per menu heard at most
        self.width = 2 + len(menus) * (ivr.max_replays + 1)

    def walk(self, intent: int, segment: int, u: Sequence[float], explain: bool = False,
             patience: float | None = None) -> Walk:
        """Walk one caller with intent ``intent`` through the menus, using the uniforms ``u``
        (``patience``: the caller's IVR patience when already drawn from ``u[0]``)."""
        steps: list[tuple[float, str]] | None = [] if explain else None
        return Walk(*self.route(intent, segment, u, patience, steps), steps=tuple(steps or ()))

    def route(self, intent: int, segment: int, u: Sequence[float], patience: float | None = None,
              steps: list[tuple[float, str]] | None = None) -> tuple[int, int, float, int, bool]:
        """:meth:`walk` as a plain tuple ``(end, skill, seconds, levels, misrouted)``, noting what
        the caller did in ``steps`` when given (a trace). The engine walks every caller through
        here: a Walk and a steps tuple per caller, and a method call per menu heard, had cost an
        IVR replication a twentieth of its time, so the choice at each menu is inlined."""
        if patience is None:
            spec = self._patience[segment]
            patience = math.inf if spec is None else float(spec.ppf(u[0]))
        skill_factor = self._ivr_skill[segment]
        menus, own = self._menus, self._own_skill[intent]
        replay_share, max_replays = self.replay, self.max_replays
        zero = self.zero_out[1] if self.zero_out else 0.0
        t, levels, used = 0.0, 0, 2
        at, replays = self._root, 0
        while True:
            menu = menus[at]
            if t + menu.message > patience:
                if steps is not None:
                    steps.append((patience, f"hangs up in the IVR (menu '{menu.name}')"))
                return HUNG_UP, -1, patience, levels + 1, False
            t += menu.message
            levels += 1
            # The option picked, -1 to replay, -2 to press 0; one uniform decides.
            x = u[used]
            used += 1
            right = menu.right[intent]
            p = menu.clarity * skill_factor if right >= 0 else 0.0
            wrong = menu.wrong[intent]
            if x < p or not wrong:
                choice = right
            else:
                v = (x - p) / (1.0 - p)  # uniform again, among the confused
                replay = replay_share if replays < max_replays else 0.0
                if v < replay:
                    choice = -1
                elif v < replay + zero:
                    choice = -2
                else:
                    rest = (v - replay - zero) / (1.0 - replay - zero)
                    choice = wrong[min(int(rest * len(wrong)), len(wrong) - 1)]
            if choice == -1:  # replay
                replays += 1
                if steps is not None:
                    steps.append((t, f"menu '{menu.name}': replays it"))
                continue
            if choice == -2:  # zero-out
                if steps is not None:
                    steps.append((t, f"menu '{menu.name}': presses 0 for an operator"))
                return QUEUE, self.zero_out[0], t, levels, False
            option = menu.options[choice]
            if steps is not None:
                steps.append((t, f"menu '{menu.name}': picks '{option.label}'"
                              + ("" if intent in option.covers else " (wrong option)")))
            if option.menu >= 0:
                at, replays = option.menu, 0
                continue
            if option.containment is not None:
                if t + option.seconds > patience:
                    if steps is not None:
                        steps.append((patience, "hangs up in the IVR (self-service)"))
                    return HUNG_UP, -1, patience, levels, False
                t += option.seconds
                if intent in option.covers and u[1] < option.containment:
                    return CONTAINED, -1, t, levels, False
                skill = option.skill if option.skill >= 0 else own
                if steps is not None:
                    steps.append((t, "self-service does not solve it"))
                return QUEUE, skill, t, levels, skill != own
            return QUEUE, option.skill, t, levels, option.skill != own

    def patience(self, segment: np.ndarray, u: np.ndarray) -> np.ndarray:
        """IVR patience of many callers at once (inf: never hangs up in the IVR)."""
        out = np.full(len(u), np.inf)
        for g, spec in enumerate(self._patience):
            if spec is not None:
                mask = segment == g
                out[mask] = spec.ppf(u[mask])
        return out
