"""The arithmetic behind the figures: rates, Wilson intervals, the Kaplan–Meier median.

Pure functions over numbers and pandas objects; the definitions they implement are in
docs/analytics.md and analytics/definitions.py. The Kaplan–Meier median comes twice: over pandas
Series (one line per letter: thousands) and over counted lines in plain Python (the letter counts:
a few hundred lines, where building the frames cost more than the arithmetic); both multiply the same
factors in the same order, so they give the same floats (tests/analytics/test_letter_facts.py).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from typing import Any

import pandas as pd

Z_95 = 1.959963984540054  # the standard normal quantile for a two-sided 95% interval
MIN_RANKED = 10  # groups with fewer decided cases are shown, never ranked (Alaveteli's rule)
DIGITS = 4


def rate(part: int, whole: int) -> float | None:
    """part / whole rounded to 4 places; None when there is nothing to divide by."""
    return round(part / whole, DIGITS) if whole else None


def wilson(successes: int, trials: int, z: float = Z_95) -> tuple[float | None, float | None]:
    """The Wilson score interval for a proportion (E. B. Wilson, 1927); (None, None) for no trials.

    With p = k/n: centre = (p + z²/2n) / (1 + z²/n), half-width = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n).
    Unlike p ± z·√(p(1−p)/n) it stays inside [0, 1] and is not zero-width at 0% or 100%.
    """
    if trials <= 0:
        return None, None
    p, n, z2 = successes / trials, trials, z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return round(max(0.0, centre - half), DIGITS), round(min(1.0, centre + half), DIGITS)


def km_median(durations: pd.Series, observed: pd.Series) -> float | None:
    """The Kaplan–Meier median of ``durations`` (events where ``observed``, else censored there).

    S(t) = Π over event times u ≤ t of (1 − d_u / n_u), with n_u the cases whose duration is ≥ u
    (a case censored at u is still at risk at u). The median is the first t with S(t) ≤ 0.5;
    None when the curve never gets there (too many cases still open).
    """
    medians = km_medians(pd.Series(0, index=durations.index), durations, observed)
    return medians.get(0)


def km_medians(groups: pd.Series, durations: pd.Series, observed: pd.Series,
               weights: pd.Series | None = None) -> pd.Series:
    """``km_median`` of every group at once: {group: median}, groups whose curve never reaches 0.5 left out.

    ``weights``: how many cases each line stands for (counted cases, analytics/letter_facts.py); one each if None."""
    if durations.empty:
        return pd.Series(dtype=float)
    weight = pd.Series(1, index=durations.index) if weights is None else weights.astype(int)
    frame = pd.DataFrame({"group": groups, "t": durations.astype(float), "event": observed.astype(int) * weight,
                          "size": weight})
    counts = frame.groupby(["group", "t"])[["event", "size"]].sum().rename(columns={"event": "sum"})
    counts = counts.sort_index(ascending=[True, False])
    counts["at_risk"] = counts.groupby(level="group")["size"].cumsum()  # cases lasting t or longer
    counts = counts.sort_index()
    counts["survival"] = (1 - counts["sum"] / counts["at_risk"]).groupby(level="group").cumprod()
    reached = counts[(counts["survival"] <= 0.5 + 1e-12) & (counts["sum"] > 0)].reset_index()
    return reached.groupby("group")["t"].first().astype(float)


def km_medians_counted(lines: Iterable[tuple[Hashable, float, int, int]]) -> dict[Hashable, float]:
    """``km_medians`` over counted lines ``(group, duration, events, cases)``, in plain Python.

    The same steps as the pandas one: per group and duration, the events and cases summed; at risk at t the
    cases lasting t or longer; S(t) the running product of (1 − events / at risk) in ascending t; the median
    the first t with an event where S(t) ≤ 0.5. Groups whose curve never gets there are left out."""
    grouped: dict[Hashable, dict[float, list[int]]] = {}
    for group, duration, events, cases in lines:
        sums = grouped.setdefault(group, {}).setdefault(duration, [0, 0])
        sums[0] += events
        sums[1] += cases
    medians: dict[Hashable, float] = {}
    for group in sorted(grouped, key=_group_order):
        by_duration = grouped[group]
        durations = sorted(by_duration)
        at_risk, remaining = [], 0
        for duration in reversed(durations):
            remaining += by_duration[duration][1]
            at_risk.append(remaining)
        at_risk.reverse()
        survival = 1.0
        for duration, risk in zip(durations, at_risk, strict=True):
            events = by_duration[duration][0]
            survival *= 1 - events / risk
            if survival <= 0.5 + 1e-12 and events > 0:
                medians[group] = float(duration)
                break
    return medians


def _group_order(group: Hashable) -> tuple[bool, Any]:
    return group is None, group
