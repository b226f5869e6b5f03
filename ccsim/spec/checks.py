"""Cross-checks: the rules of a scenario that involve more than one key.

A pool that lists the same skill twice, intents whose shares add up to 1.2, an IVR option
that leads to a menu nobody defined, 30 staffing values for a day of 48 half-hours: each is a
problem only in the light of another part of the file. Every check returns ``(path, message)``
pairs and never raises, so a file is reported in one pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .base import clock_seconds
from .scenario import Ivr, Scenario


def cross_checks(s: Scenario) -> list[tuple[str, str]]:
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
    problems += _shares_sum("segments", s.segments)
    for i, g in enumerate(s.segments):
        check_length(f"segments[{i}].patience_factor", g.patience_factor)
    for i, x in enumerate(s.intents):
        for key in ("share", "rate_per_hour", "handle_time_factor", "patience_factor"):
            check_length(f"intents[{i}].{key}", getattr(x, key))
    volume_problems = _intent_volumes(s)
    problems += volume_problems
    if not volume_problems and not any(p.startswith("intents[") for p, _ in problems):
        problems += _interval_shares(s)
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
        check_length(f"pools[{i}].shrinkage", pool.shrinkage)
        problems += _schedule_checks(s, i, pool)
        if pool.slowdown is not None and len(pool.slowdown) != pool.concurrency:
            problems.append((f"pools[{i}].slowdown", f"has {len(pool.slowdown)} values; give one per conversation "
                             f"held, 1 to concurrency ({pool.concurrency})"))
        for skill in pool.skill_weights or {}:
            if skill not in {r.skill for r in pool.skills}:
                problems.append((f"pools[{i}].skill_weights.{skill}", f"'{skill}' is not a skill of this pool "
                                 f"(its skills: {', '.join(r.skill for r in pool.skills)})"))
        for skill in pool.proficiency or {}:
            if skill not in {r.skill for r in pool.skills}:
                problems.append((f"pools[{i}].proficiency.{skill}", f"'{skill}' is not a skill of this pool "
                                 f"(its skills: {', '.join(r.skill for r in pool.skills)})"))
        skills = [route.skill for route in pool.skills]
        for j, skill in enumerate(skills):
            if skill in skills[:j]:
                problems.append((f"pools[{i}].skills[{j}]", f"skill '{skill}' is listed twice"))
    problems += _journey_checks(s, served)
    problems += _queue_settings(s, served)
    return problems


def _schedule_checks(s: Scenario, i: int, pool) -> list[tuple[str, str]]:
    """A pool is staffed somehow; its shrinkage leaves someone; its shifts and breaks fit."""
    problems = []
    path = f"pools[{i}]"
    if pool.agents is None and pool.shifts is None:
        problems.append((f"{path}.agents", "give agents (per interval) or shifts, or both"))
    shrink = pool.shrinkage if isinstance(pool.shrinkage, list) else [pool.shrinkage or 0.0]
    if any(x >= 1 for x in shrink):
        problems.append((f"{path}.shrinkage", f"must be below 1 (a share of scheduled time), got {max(shrink):g}"))
    days = math.ceil(s.horizon.hours / 24 - 1e-9)
    for j, shift in enumerate(pool.shifts or ()):
        where = f"{path}.shifts[{j}]"
        for d in shift.days or ():
            if d > days:
                plural = "s" if days > 1 else ""
                problems.append((f"{where}.days", f"day {d} is after the horizon ({days} day{plural})"))
        for b, brk in enumerate(shift.breaks):
            spot = f"{where}.breaks[{b}]"
            if brk.after_hours is not None and brk.after_hours * 60 + brk.minutes > shift.hours * 60 + 1e-9:
                problems.append((f"{spot}.after_hours", f"the break ends after the shift's {shift.hours:g} h"))
            if brk.window is not None:
                lo, hi = (clock_seconds(x) for x in brk.window)
                span = (hi - lo) % 86400 or 86400
                if span < brk.minutes * 60:
                    problems.append((f"{spot}.window", f"{brk.window[0]}-{brk.window[1]} is shorter than the "
                                     f"{brk.minutes:g}-minute break"))
                if not _clock_within(lo, shift) or not _clock_within(hi, shift, end=True):
                    problems.append((f"{spot}.window", f"{brk.window[0]}-{brk.window[1]} is not inside the shift "
                                     f"({shift.start} for {shift.hours:g} h)"))
            if brk.at is not None and not (_clock_within(clock_seconds(brk.at), shift) and
                                           _clock_within(clock_seconds(brk.at) + brk.minutes * 60, shift, end=True)):
                problems.append((f"{spot}.at", f"a {brk.minutes:g}-minute break at {brk.at} is not inside the shift "
                                 f"({shift.start} for {shift.hours:g} h)"))
    return problems


def _clock_within(t: float, shift, end: bool = False) -> bool:
    """Whether clock time ``t`` (seconds after midnight) falls in the shift (its end included if ``end``)."""
    offset = (t - clock_seconds(shift.start)) % 86400
    if end and offset == 0:
        offset = 86400.0
    return offset <= shift.hours * 3600 + 1e-6


def _intent_volumes(s: Scenario) -> list[tuple[str, str]]:
    """Arrivals come as the center's rate split by shares, or as each intent's own rate: not both."""
    problems = []
    if s.arrivals.rate_per_hour is not None:
        for i, x in enumerate(s.intents):
            if x.rate_per_hour is not None:
                problems.append((f"intents[{i}].rate_per_hour", "give each intent a share of arrivals.rate_per_hour, "
                                 "or remove arrivals.rate_per_hour and give every intent its own rate_per_hour"))
            elif x.share is None:
                problems.append((f"intents[{i}].share", "is required (the intent's share of arrivals.rate_per_hour)"))
            elif not isinstance(x.share, list) and not 0 < x.share <= 1:
                problems.append((f"intents[{i}].share", f"must be > 0 and <= 1, got {x.share:g}"))
    else:
        for i, x in enumerate(s.intents):
            if x.share is not None:
                problems.append((f"intents[{i}].share", "there is no arrivals.rate_per_hour to take a share of: "
                                 "give this intent its own rate_per_hour instead"))
            elif x.rate_per_hour is None:
                problems.append((f"intents[{i}].rate_per_hour", "is required when arrivals.rate_per_hour is not "
                                 "given (or give arrivals.rate_per_hour and a share per intent)"))
    return problems


def _interval_shares(s: Scenario) -> list[tuple[str, str]]:
    """The intents' shares sum to 1: overall, or in every interval when some vary by interval."""
    if s.arrivals.rate_per_hour is None:
        return []
    if not any(isinstance(x.share, list) for x in s.intents):
        return _shares_sum("intents", s.intents)
    total = s.intent_shares().sum(axis=0)
    bad = [k for k in range(s.n_intervals) if abs(total[k] - 1.0) > 1e-6]
    if not bad:
        return []
    labels = s.interval_labels()
    shown = ", ".join(f"{labels[k]} ({total[k]:g})" for k in bad[:5]) + (" ..." if len(bad) > 5 else "")
    return [("intents", f"shares must sum to 1 in every interval; they do not at {shown}")]


def _queue_settings(s: Scenario, served: set[str]) -> list[tuple[str, str]]:
    """Each queue's settings name a queue that exists, once."""
    problems: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for i, q in enumerate(s.queues or ()):
        if q.skill not in served:
            problems.append((f"queues[{i}].skill", f"'{q.skill}' is not served by any pool "
                             f"(pools serve: {', '.join(sorted(served))})"))
        elif q.skill in seen:
            problems.append((f"queues[{i}].skill", f"'{q.skill}' already has settings in queues[{seen[q.skill]}]"))
        seen.setdefault(q.skill, i)
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
