"""Reports: one HTML page per results folder, to mail to the staffing meeting.

``ccsim report results/retail-bank-day-20261123-101500`` writes ``report.html`` into the
folder: the scenario's name, the command that produced the results, the KPI table with
confidence intervals, and every plot that applies to what the folder holds (a run, a sweep, a
comparison, a staffing search or a roster). The page is a single file: the plots are embedded
as PNG data, and nothing is fetched from the network to view it. Each plot is also written
beside it as a PNG (a sweep's named by the KPI plotted, so a second report with another
``--kpi`` keeps the first's).

Every plot and table of a page counts the same contacts: those that arrived after the
warm-up. The journey's arrivals, queued and outcome counts are the KPI table's; a plot that
needs the per-contact table, which a large run does not keep, is left out with a note saying
so and how to keep it.
"""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.formats import format_half_width, format_value
from ..experiments.compare import Comparison
from ..experiments.results import RUN_KPIS, RunResult, format_kpi
from ..experiments.store import atomic_write, atomic_write_text, read_manifest
from ..experiments.sweeps import SweepResult, load_sweep
from . import plots

DPI = 110


@dataclass
class Plot:
    slug: str  # file name without .png
    title: str
    caption: str
    figure: Figure


def write_report(folder: str | Path, kpi: str | None = None, target: float | None = None) -> Path:
    """Write ``report.html`` and one PNG per plot into a results folder; return the page's path.

    Args:
        folder: a folder written by ``ccsim run``, ``sweep``, ``compare``, ``staff`` or ``schedule``.
        kpi: for a sweep, the KPI to plot (default: the spec's ``sort``, else service level).
        target: the target line for that KPI (default: 80% for service level, none otherwise).
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    kind = manifest.get("kind", "run")
    if kind == "sweep":
        title, tables, figures, notes = _sweep(load_sweep(folder), folder, kpi, target)
    elif kind == "compare":
        title, tables, figures, notes = _comparison(Comparison.read(folder))
    elif kind in ("staff", "schedule"):
        from .staffing_report import schedule_sections, staffing_sections

        sections_of = staffing_sections if kind == "staff" else schedule_sections
        title, tables, figures, notes = sections_of(folder, manifest, Plot)
    else:
        title, tables, figures, notes = _run(RunResult.read(folder), target)
    sections = []
    for plot in figures:
        atomic_write(folder / f"{plot.slug}.png", lambda tmp, f=plot.figure: f.savefig(tmp, format="png", dpi=DPI))
        buffer = io.BytesIO()
        plot.figure.savefig(buffer, format="png", dpi=DPI)
        plt.close(plot.figure)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        sections.append(
            f'<figure id="{plot.slug}"><h3>{html.escape(plot.title)}</h3>'
            f'<img alt="{html.escape(plot.title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(plot.caption)}</figcaption></figure>"
        )
    page = _page(title, manifest, tables, sections, notes)
    atomic_write_text(folder / "report.html", page)
    return folder / "report.html"


# -------------------------------------------------------------------------------------------------


def _fmt(kpi: str, value: float, signed: bool = False, currency: str | None = None) -> str:
    return format_value(kpi, value, signed=signed, currency=currency)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _group_table(summary: pd.DataFrame, key: str, thresholds: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per queue or segment: volumes, and service KPIs with their 95% CIs."""
    rows = []
    wide = summary.set_index([key, "kpi"])
    for name in dict.fromkeys(summary[key]):
        row: dict[str, str] = {key: str(name)}
        if thresholds:
            row["T"] = f"{thresholds[name]:g} s"
        for kpi in ("offered", "answered", "abandon_rate", "service_level", "asa_seconds"):
            values = wide.loc[(name, kpi)]
            row[kpi] = format_kpi(kpi, values["mean"])
            if kpi not in ("offered", "answered"):
                row[f"{kpi} 95% CI"] = _ci(kpi, values.ci_low, values.ci_high)
        rows.append(row)
    return pd.DataFrame(rows)


def _run(result: RunResult, target: float | None):
    s = result.scenario
    name = s.name
    n = result.replications
    currency = getattr(s, "currency", None)
    warm = s.warmup_seconds
    sl = target if target is not None else 0.8
    summary = result.summary()
    kpi_table = pd.DataFrame({
        "KPI": summary.index,
        "mean": [_fmt(k, v, currency=currency) for k, v in summary["mean"].items()],
        "95% CI": [_ci(k, row.ci_low, row.ci_high, currency=currency) for k, row in summary.iterrows()],
    })
    pools = result.pool_summary()
    pool_rows = []
    for pool in [p.name for p in s.pools]:
        part = pools[pools["pool"] == pool].set_index("kpi")
        occ = part.loc["occupancy"]
        pool_rows.append({"pool": pool, "occupancy": format_kpi("occupancy", occ["mean"]),
                          "95% CI": _ci("occupancy", occ.ci_low, occ.ci_high),
                          "staffed hours": f"{part.loc['staffed_hours', 'mean']:,.1f}",
                          "handled": f"{part.loc['handled', 'mean']:,.1f}"})
    after = f"after the {s.horizon.warmup_minutes:g}-min warm-up" if warm else "no warm-up"
    tables = [(f"KPIs over {_plural(n, 'replication')} ({after})", kpi_table)]
    if len(s.queue_names()) > 1:
        tables.append(("Queues (by the first queue joined; service level at each queue's own threshold)",
                       _group_table(result.queue_summary(), "queue",
                                    {q: s.service_level_seconds_of(q) for q in s.queue_names()})))
    if len(s.segments) > 1:
        tables.append(("Caller segments", _group_table(result.segment_summary(), "segment")))
    tables.append(("Pools", pd.DataFrame(pool_rows)))
    # Every plot counts what the tables count: contacts that arrived after the warm-up, and
    # the intervals that end after it.
    counted = f" Contacts arriving in the {s.horizon.warmup_minutes:g}-min warm-up are left out, as in the tables." \
        if warm else ""
    figures = [
        Plot("arrivals_vs_staffing", "Arrivals and staffing by interval",
             "Bars: contacts arriving in each interval (mean over replications, 95% CI); line: agents staffed."
             + counted, plots.arrivals_vs_staffing(result.intervals, name, warmup_seconds=warm)),
        Plot("service_by_interval", "Speed of answer and service level by interval",
             f"Bands: 95% CI over replications. Service level: answered within {s.service_level_seconds:g} s "
             f"/ offered; dashed: the {sl:.0%} target.",
             plots.service_by_interval(result.intervals, s.service_level_seconds, sl, name, warmup_seconds=warm)),
        Plot("abandonment_by_interval", "Abandonment by interval", "Abandoned / offered, by arrival interval.",
             plots.abandonment_by_interval(result.intervals, name, warmup_seconds=warm)),
        Plot("occupancy_by_pool", "Occupancy by pool", "Busy agent time / agent time present, per interval.",
             plots.occupancy_by_pool(result.pool_intervals, [p.name for p in s.pools], name, warmup_seconds=warm)),
    ]
    notes = []
    if result.contacts is not None:
        figures += [
            Plot("wait_distribution", "Waiting time and patience",
                 "How long answered and abandoned callers waited, against how long callers were willing to wait."
                 + counted, plots.wait_distribution(result.contacts, name, warmup_seconds=warm)),
            Plot("journey_flow", "The journey",
                 "From arrival to outcome; band widths are contacts per day, the counts of the KPI table." + counted,
                 plots.journey_flow(result.contacts, n, name, warmup_seconds=warm)),
        ]
    else:
        notes.append(_no_contacts(s, n))
    figures.append(Plot("transfer_chains", "Transfer-chain lengths",
                        "Answered contacts per day by the number of transfers (the chains table)." + counted,
                        plots.transfer_chain_lengths(result.chains, n, name, warmup_seconds=warm)))
    return f"Run: {name}", tables, figures, notes


def _no_contacts(s, reps: int) -> str:
    """Which plots a run without its contacts table leaves out, and why."""
    from ..experiments.runner import CONTACTS_LIMIT, expected_contacts

    expected = expected_contacts(s) * reps
    why = (f"about {expected:,.0f} contacts were expected in {_plural(reps, 'replication')}, more than the "
           f"{CONTACTS_LIMIT:,} up to which a run keeps one by default" if expected > CONTACTS_LIMIT
           else "it was not kept (--no-contacts)")
    return (f"Left out: the waiting-time and journey plots (wait_distribution, journey_flow) need the per-contact "
            f"table (contacts.parquet), and this run has none: {why}. Run it again with ccsim run --contacts "
            f"to keep it.")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_")


def _sweep(result: SweepResult, folder: Path, kpi: str | None, target: float | None):
    import yaml

    spec = yaml.safe_load((folder / "spec.yaml").read_text(encoding="utf-8"))
    kpi = kpi or spec.get("sort") or "service_level"
    if kpi not in result.points.columns:
        raise ValueError(f"unknown KPI {kpi!r}; allowed: {', '.join(RUN_KPIS)}")
    currency = _currency(folder / "scenario.yaml")
    target = target if target is not None else (0.8 if kpi == "service_level" else None)
    table = result.summary(kpi)
    shown = [kpi] + [k for k in ("service_level", "abandon_rate", "asa_seconds", "agent_cost") if k != kpi]
    rows = pd.DataFrame({"point": table["point"], **{p: table[p] for p in result.params}})
    for k in shown:
        rows[k] = [" ".join(filter(None, [_fmt(k, m, currency=currency), format_half_width(k, lo, hi, currency)]))
                   for m, lo, hi in zip(table[k], table[f"{k}_ci_low"], table[f"{k}_ci_high"], strict=True)]
    reps = int(table["replications"].max()) if len(table) else 0
    tables = [(f"Points sorted by {kpi} (best first): mean ± half-width of the 95% CI over "
               f"{_plural(reps, 'replication')} (a share's half-width in percentage points)", rows.head(40))]
    if result.failed:
        failed = pd.DataFrame({"point": list(result.failed), "error": list(result.failed.values())})
        tables.append(("Failed points", failed))
    params = result.params
    figures = []
    grid = "vary" in spec
    if grid and len(params) == 2:
        figures.append(Plot(f"sweep_heatmap_{_slug(kpi)}", f"{kpi} over {params[0]} and {params[1]}",
                            "Mean over replications, labelled as in the table; outlined cells meet the target.",
                            plots.sweep_heatmap(result.points, params[0], params[1], kpi, target, result.name,
                                                currency=currency)))
    for k, x in enumerate(params):
        group = params[1 - k] if grid and len(params) == 2 else None
        figures.append(Plot(f"sweep_{_slug(kpi)}_by_{_slug(x)}", f"{kpi} against {x}",
                            "Mean with 95% CI band" + (f", one line per {group}" if group else "") + ".",
                            plots.sweep_line(result.points, x, kpi, group=group, target=target,
                                             scenario_name=result.name, currency=currency)))
    return f"Sweep: {result.name}", tables, figures, []


def _currency(scenario_file: Path) -> str | None:
    import yaml

    if not scenario_file.is_file():
        return None
    data = yaml.safe_load(scenario_file.read_text(encoding="utf-8")) or {}
    return data.get("currency") if isinstance(data, dict) else None


def _comparison(c: Comparison):
    t = c.table
    currency = getattr(c.a, "currency", None)
    several = t["b"].nunique() > 1 if "b" in t.columns else False
    rows = pd.DataFrame({
        "KPI": t["kpi"],
        **({"scenario B": t["b"]} if several else {}),
        "A": [_fmt(k, v, currency=currency) for k, v in zip(t["kpi"], t["a_mean"], strict=True)],
        "B": [_fmt(k, v, currency=currency) for k, v in zip(t["kpi"], t["b_mean"], strict=True)],
        "B − A": [_fmt(k, v, True, currency) for k, v in zip(t["kpi"], t["diff"], strict=True)],
        "95% CI": [_ci(k, lo, hi, signed=True, currency=currency)
                   for k, lo, hi in zip(t["kpi"], t["ci_low"], t["ci_high"], strict=True)],
        "verdict": t["verdict"],
    })
    if several:  # each KPI's rows together: A, then every B
        rows = rows.assign(_order=pd.Categorical(rows["KPI"], list(dict.fromkeys(rows["KPI"])))) \
            .sort_values("_order", kind="stable").drop(columns="_order")
    against = ", ".join(c.labels)
    tables = [(f"B − A paired over {_plural(c.replications, 'replication')} (A: {c.a.name}; B: {against}); "
               "differences of shares in percentage points", rows)]
    figures = [Plot("comparison_forest", "Paired differences", "Each KPI's change from A to B in its own unit "
                    "(percentage points for shares, seconds, contacts, ...), with its 95% CI from paired "
                    "replications (the same callers in A and B).",
                    plots.comparison_forest(t, c.a.name, c.b_label, currency=currency))]
    title = f"Comparison: {c.b_label} against {c.a.name}" if not several else \
        f"Comparison: {len(c.labels)} scenarios against {c.a.name}"
    return title, tables, figures, []


def _ci(kpi: str, low: float, high: float, signed: bool = False, currency: str | None = None) -> str:
    if pd.isna(low):
        return "–"
    return f"[{_fmt(kpi, low, signed, currency)} … {_fmt(kpi, high, signed, currency)}]"


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1000px;
       color: #212121; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } .meta { color: #616161; font-size: 0.9rem; }
code { background: #f5f5f5; padding: 0.1rem 0.3rem; border-radius: 3px; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #e0e0e0; padding: 0.25rem 0.8rem; text-align: right; white-space: nowrap; }
th { white-space: normal; vertical-align: bottom; }  /* long parameter paths break after their dots */
.wide { overflow-x: auto; max-width: 100%; }
.note { background: #fff8e1; border-left: 4px solid #f9a825; padding: 0.5rem 0.8rem; }
th:first-child, td:first-child { text-align: left; } th { background: #fafafa; }
figure { margin: 1.5rem 0; } figure img { width: 100%; height: auto; }
figcaption { color: #616161; font-size: 0.85rem; }
"""


def _page(title: str, manifest: dict, tables: list[tuple[str, pd.DataFrame]], sections: list[str],
          notes: list[str] = ()) -> str:
    meta = [("command", manifest.get("command")), ("ccsim", manifest.get("ccsim_version")),
            ("seed", manifest.get("seed")), ("replications", manifest.get("replications")),
            ("finished", manifest.get("finished"))]
    meta_html = " · ".join(f"{k}: <code>{html.escape(str(v))}</code>" for k, v in meta if v is not None)
    table_html = "".join(f"<h2>{html.escape(caption)}</h2><div class=\"wide\">{_table_html(frame)}</div>"
                         for caption, frame in tables)
    notes_html = "".join(f'<p class="note">{html.escape(note)}</p>' for note in notes)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class=\"meta\">{meta_html}</p>"
        f"{table_html}<h2>Plots</h2>{notes_html}{''.join(sections)}"
        "<p class=\"meta\">Made by ccsim. Every plot is also saved beside this page as a PNG.</p>"
        "</body></html>\n"
    )


def _table_html(frame: pd.DataFrame) -> str:
    """A table whose headers may break after a dot or an underscore (``pools.tier1.<wbr>agents``),
    so a sweep's parameter columns fit the page instead of running off its right edge."""
    text = frame.to_html(index=False, escape=True, border=0)

    def breakable(match: re.Match) -> str:
        return match.group(1) + re.sub(r"([._])(?=\w)", r"\1<wbr>", match.group(2)) + match.group(3)

    return re.sub(r"(<th[^>]*>)([^<]*)(</th>)", breakable, text)
