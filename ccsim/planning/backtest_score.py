"""How close a prediction came to what happened: point errors, pooled errors, calibration.

For every day and interval the backtest has what happened (the log) and, from the
simulation, 40 replications of what could have happened. The point prediction is their
pooled value (abandoned over offered in all replications, and so on); its error is the
prediction minus the observation, in percentage points for abandonment and service level
and in seconds for ASA. Errors are averaged weighted by the interval's offered calls
(a busy hour counts more than a quiet one):

- per interval: every day x interval on its own;
- pooled by hour of day: all days of each interval together (what a planner's weekday
  profile would be judged on), observed from the summed counts, predicted as the
  offered-weighted mean of the intervals' predictions (ASA weighted by predicted answers);
- pooled by day: all intervals of each day together.

A simulator also gives a distribution: the observed value's rank among the replications
(0 = below all, 1 = above all; uniform when the model is calibrated) and the coverage of the
central 50 % and 90 % predictive intervals (the share of intervals whose observed rank falls
between 0.25 and 0.75, and between 0.05 and 0.95; 50 % and 90 % when calibrated). Erlang A
gives one number per interval, no spread.

The rank is the randomized probability integral transform: with ``b`` of ``n`` replications
below the observed value and ``t`` tied with it, the observed value is equally likely to be
any of the ``t + 1`` places among them, so its rank is spread evenly over
``[b / (n + 1), (b + t + 1) / (n + 1)]``. When the observed value is drawn like another
replication (a calibrated model), this rank is exactly uniform on [0, 1] for any ``n`` and
any ties, and the coverages are exactly 50 % and 90 % in expectation; counting ``b / n``
instead would give 60 % for a 50 % interval with 4 replications.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The KPIs compared: name, scale to the reported unit, unit.
KPIS = (("abandon_rate", 100.0, "pp"), ("asa_seconds", 1.0, "s"), ("service_level", 100.0, "pp"))
KPI_NAMES = tuple(k for k, _, _ in KPIS)
LEVELS = ("per interval", "pooled by hour", "pooled by day")


def with_ratios(counts: pd.DataFrame) -> pd.DataFrame:
    """Abandon rate, ASA and service level from counts (offered, answered, abandoned,
    answered_within, wait_answered); undefined (NaN) without offered or answered calls."""
    offered = counts["offered"].where(counts["offered"] > 0)
    answered = counts["answered"].where(counts["answered"] > 0)
    return counts.assign(abandon_rate=counts["abandoned"] / offered, asa_seconds=counts["wait_answered"] / answered,
                         service_level=counts["answered_within"] / offered)


def point_predictions(sim: pd.DataFrame) -> pd.DataFrame:
    """Per (date, interval): the replications' counts summed, as ratios (the point prediction)."""
    counts = sim.groupby(["date", "interval"])[["offered", "answered", "abandoned", "answered_within",
                                                 "wait_answered"]].sum()
    return with_ratios(counts)[list(KPI_NAMES)]


def comparison_table(observed: pd.DataFrame, predictions: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Observed counts and KPIs per (date, interval) beside each model's predictions
    (columns ``<kpi>_<model>``), on the intervals every model predicts and some call was offered."""
    table = observed[["offered", "answered", "abandoned", "answered_in_sl", *KPI_NAMES]].copy()
    for model, pred in predictions.items():
        table = table.join(pred[list(KPI_NAMES)].add_suffix(f"_{model}"), how="inner")
    return table[(table["offered"] > 0).to_numpy()]


def pooled(table: pd.DataFrame, level: str, models: list[str]) -> pd.DataFrame:
    """The comparison table pooled by ``"interval"`` (hour of day) or ``"date"``."""
    t = table.assign(wait=table["asa_seconds"].fillna(0) * table["answered"])
    sums = {"offered": t["offered"], "answered": t["answered"], "abandoned": t["abandoned"],
            "answered_in_sl": t["answered_in_sl"], "wait": t["wait"]}
    for m in models:  # each prediction weighted by the offered calls of the intervals it exists for
        answers = (1 - t[f"abandon_rate_{m}"].fillna(0)) * t["offered"]
        sums.update({f"ab_{m}": t[f"abandon_rate_{m}"] * t["offered"],
                     f"abw_{m}": t["offered"].where(t[f"abandon_rate_{m}"].notna()),
                     f"sl_{m}": t[f"service_level_{m}"] * t["offered"],
                     f"slw_{m}": t["offered"].where(t[f"service_level_{m}"].notna()),
                     f"asa_{m}": t[f"asa_seconds_{m}"] * answers,
                     f"ans_{m}": answers.where(t[f"asa_seconds_{m}"].notna())})
    g = pd.DataFrame(sums).groupby(level=level).sum(min_count=1)
    out = pd.DataFrame({"offered": g["offered"], "answered": g["answered"], "abandoned": g["abandoned"],
                        "answered_in_sl": g["answered_in_sl"],
                        "abandon_rate": g["abandoned"] / g["offered"], "asa_seconds": g["wait"] / g["answered"],
                        "service_level": g["answered_in_sl"] / g["offered"]})
    for m in models:
        out[f"abandon_rate_{m}"] = g[f"ab_{m}"] / g[f"abw_{m}"]
        out[f"asa_seconds_{m}"] = g[f"asa_{m}"] / g[f"ans_{m}"]
        out[f"service_level_{m}"] = g[f"sl_{m}"] / g[f"slw_{m}"]
    return out


def errors(table: pd.DataFrame, model: str) -> dict[str, float]:
    """Offered-weighted MAE and bias of each KPI (prediction - observation, in pp or s)."""
    out: dict[str, float] = {}
    for name, scale, _ in KPIS:
        error = (table[f"{name}_{model}"] - table[name]) * scale
        ok = (error.notna() & (table["offered"] > 0)).to_numpy()
        w = table["offered"].to_numpy(dtype=float)[ok]
        e = error.to_numpy(dtype=float)[ok]
        out[f"{name}_mae"] = float(np.abs(e) @ w / w.sum()) if w.sum() else float("nan")
        out[f"{name}_bias"] = float(e @ w / w.sum()) if w.sum() else float("nan")
    return out


def error_table(table: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """MAE and bias per level (per interval, pooled by hour, pooled by day) and model."""
    levels = {"per interval": table, "pooled by hour": pooled(table, "interval", models),
              "pooled by day": pooled(table, "date", models)}
    rows = [{"level": level, "model": m, **errors(t, m)} for level, t in levels.items() for m in models]
    return pd.DataFrame(rows).set_index(["level", "model"])


def calibration(sim: pd.DataFrame, observed: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (date, interval) and KPI: where the observed value falls among the replications,
    and whether it is inside the central 50 % and 90 % predictive intervals; and the summary
    (coverage, offered-weighted and plain; intervals counted).

    The observed value's rank is a range ``[low, high]`` (the module docstring: its place
    among the replications, ties included, spread evenly); it counts as inside an interval for
    the share of that range inside it. Without this, discrete KPIs (a few hang-ups an hour)
    would look better covered than they are.
    """
    per_rep = with_ratios(sim.groupby(["date", "interval", "replication"])[
        ["offered", "answered", "abandoned", "answered_within", "wait_answered"]].sum())
    rows, summary = [], []
    for name, _, _ in KPIS:
        values = per_rep[name].unstack("replication").reindex(observed.index)
        x = values.to_numpy(dtype=float)
        y = observed[name].to_numpy(dtype=float)
        defined = np.isfinite(x)
        n = defined.sum(axis=1)
        enough = (n >= 2) & np.isfinite(y) & (observed["offered"].to_numpy() > 0)
        with np.errstate(invalid="ignore"):
            below = np.where(defined, x < y[:, None], False).sum(axis=1)
            tied = np.where(defined, x == y[:, None], False).sum(axis=1)
        low, high = below / (n + 1), (below + tied + 1) / (n + 1)
        frame = pd.DataFrame({"kpi": name, "rank_low": low, "rank_high": high, "rank": (low + high) / 2,
                              "in50": _inside(low, high, 0.25, 0.75), "in90": _inside(low, high, 0.05, 0.95),
                              "offered": observed["offered"].to_numpy()}, index=observed.index)[enough]
        rows.append(frame)
        w = frame["offered"].to_numpy(dtype=float)
        summary.append({"kpi": name, "intervals": len(frame),
                        "coverage50": float(frame["in50"].to_numpy() @ w / w.sum()) if len(frame) else np.nan,
                        "coverage90": float(frame["in90"].to_numpy() @ w / w.sum()) if len(frame) else np.nan,
                        "coverage50_plain": float(frame["in50"].mean()) if len(frame) else np.nan,
                        "coverage90_plain": float(frame["in90"].mean()) if len(frame) else np.nan})
    return pd.concat(rows), pd.DataFrame(summary).set_index("kpi")


def _inside(low: np.ndarray, high: np.ndarray, a: float, b: float) -> np.ndarray:
    """The share of the rank range [low, high] (never a single point) inside [a, b]."""
    overlap = np.clip(np.minimum(high, b) - np.maximum(low, a), 0, None)
    return overlap / (high - low)


def hour_bands(sim: pd.DataFrame, observed: pd.DataFrame) -> pd.DataFrame:
    """Per interval of the day and KPI: the pooled prediction of each replication (days
    weighted by their observed offered calls), summarized as its 5/25/50/75/95 % quantiles."""
    per_rep = with_ratios(sim.groupby(["date", "interval", "replication"])[
        ["offered", "answered", "abandoned", "answered_within", "wait_answered"]].sum())
    weights = observed["offered"].rename("weight")
    t = per_rep.join(weights, how="inner")
    t = t[(t["weight"] > 0).to_numpy()]
    rows = []
    for name, _, _ in KPIS:
        w = t["weight"] * (1 - t["abandon_rate"].fillna(0)) if name == "asa_seconds" else t["weight"]
        ok = t[name].notna()
        num = (t[name].where(ok, 0) * w.where(ok, 0)).groupby(level=["interval", "replication"]).sum()
        den = w.where(ok, 0).groupby(level=["interval", "replication"]).sum()
        per = (num / den.where(den > 0)).unstack("replication")
        q = per.quantile([0.05, 0.25, 0.5, 0.75, 0.95], axis=1).T
        q.columns = ["q05", "q25", "q50", "q75", "q95"]
        rows.append(q.assign(kpi=name))
    return pd.concat(rows).reset_index().set_index(["kpi", "interval"])


def pit_histogram(ranks: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Share of intervals whose observed value ranks in each tenth, per KPI (flat when calibrated);
    a value tied with replications is spread over its range of ranks."""
    edges = np.linspace(0, 1, bins + 1)
    out = {}
    for name, group in ranks.groupby("kpi"):
        low, high = group["rank_low"].to_numpy(), group["rank_high"].to_numpy()
        counts = np.array([_inside(low, high, a, b).sum() for a, b in zip(edges[:-1], edges[1:], strict=True)])
        out[name] = counts / max(counts.sum(), 1e-12)
    return pd.DataFrame(out, index=[f"{a:.1f}-{b:.1f}" for a, b in zip(edges[:-1], edges[1:], strict=True)])
