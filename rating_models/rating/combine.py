"""Multi-mode rating (多模式评级): combine the statistical and the expert result.

Modes (farmer-rating doc §4):

``statistical`` / ``expert``
    One card alone.
``blend``
    Weighted blend on the log-odds scale — the scale scorecard points live on — so
    ``logit(pd) = w · logit(pd_expert) + (1 − w) · logit(pd_statistical)``.
``agree_or_escalate``
    When the two grades agree the grade stands; when they differ the household is flagged
    for manual review with both grades shown, and the provisional grade is the worse one.
``minimum``
    The worse of the two grades (and its PD).

A validated statistical model is required for automatic approval: without one every row is
escalated. Rows where a needed result is missing (e.g. no statistical score for a thin file)
use the other card and are escalated. Knockouts then force the lowest grade.

Examples
--------
>>> from rating_models.rating.grades import GradeScale
>>> scale = GradeScale(max_pd=(0.01, 0.03, 0.08, 0.20, 1.0))
>>> out = combine_ratings([0.02, 0.02], [0.02, 0.10], mode="agree_or_escalate", scale=scale)
>>> out[["grade_statistical", "grade_expert", "grade", "escalate"]].values.tolist()
[['B', 'B', 'B', False], ['B', 'D', 'D', True]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from rating_models.exceptions import InvalidDataError, InvalidParameterError
from rating_models.rating.grades import GradeScale

__all__ = [
    "DECIDED_BY",
    "ESCALATE_REASONS",
    "MODES",
    "Combined",
    "apply_knockouts",
    "combine_arrays",
    "combine_ratings",
    "grade_names",
]

MODES: tuple[str, ...] = ("statistical", "expert", "blend", "agree_or_escalate", "minimum")
_EPS = 1e-12


def _optional(values: ArrayLike | None, n: int | None, name: str) -> NDArray[np.float64] | None:
    if values is None:
        return None
    p = np.asarray(values, dtype=np.float64)
    if n is not None and p.size != n:
        raise InvalidDataError(f"'{name}' must have {n} rows. Got {p.size}.", field=name)
    if ((p < 0) | (p > 1)).any():
        raise InvalidDataError(f"'{name}' must lie in [0, 1].", field=name)
    return p


def _logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    q = np.clip(p, _EPS, 1 - _EPS)
    return np.log(q / (1 - q))


def _check_params(mode: str, expert_weight: float) -> None:
    if mode not in MODES:
        raise InvalidParameterError(
            f"The 'mode' parameter of combine_ratings must be one of {list(MODES)}. Got {mode!r}.",
            parameter="mode",
        )
    if not 0.0 <= float(expert_weight) <= 1.0:
        raise InvalidParameterError(
            f"The 'expert_weight' parameter of combine_ratings must be in [0, 1]. Got {expert_weight!r}.",
            parameter="expert_weight",
        )


#: ``decided_by`` values by code (:class:`Combined` keeps the codes)
DECIDED_BY: tuple[str, ...] = ("statistical", "expert", "blend")
#: ``escalate_reason`` values by code; code 0 (empty) means no escalation
ESCALATE_REASONS: tuple[str, ...] = (
    "",
    "statistical_missing",
    "expert_missing",
    "grades_differ",
    "model_not_validated",
)
_STAT, _EXPERT, _BLEND = 0, 1, 2


@dataclass(frozen=True)
class Combined:
    """The combined rating as plain arrays (codes for the text columns).

    ``grade_*`` are 0-based positions on the scale (-1 where the card has no PD);
    ``decided_by`` indexes :data:`DECIDED_BY`, ``reason`` :data:`ESCALATE_REASONS`.
    """

    pd_statistical: NDArray[np.float64]
    pd_expert: NDArray[np.float64]
    grade_statistical: NDArray[np.intp]
    grade_expert: NDArray[np.intp]
    pd: NDArray[np.float64]
    grade: NDArray[np.intp]
    decided_by: NDArray[np.int8]
    reason: NDArray[np.int8]


def combine_arrays(
    pd_statistical: ArrayLike | None,
    pd_expert: ArrayLike | None,
    *,
    mode: str,
    scale: GradeScale,
    expert_weight: float = 0.3,
    statistical_validated: bool = True,
) -> Combined:
    """The engine of :func:`combine_ratings`: the same combination, as arrays and codes."""
    _check_params(mode, expert_weight)
    given = [np.asarray(v).size for v in (pd_statistical, pd_expert) if v is not None]
    if not given:
        raise InvalidDataError("At least one of 'pd_statistical' and 'pd_expert' is needed.")
    n = given[0]
    p_s = _optional(pd_statistical, n, "pd_statistical")
    p_e = _optional(pd_expert, n, "pd_expert")
    p_s = np.full(n, np.nan) if p_s is None else p_s
    p_e = np.full(n, np.nan) if p_e is None else p_e
    has_s, has_e = ~np.isnan(p_s), ~np.isnan(p_e)
    if not (has_s | has_e).all():
        raise InvalidDataError("Some rows have neither a statistical nor an expert PD.")
    g_s = _grade_or_none(scale, p_s, has_s)
    g_e = _grade_or_none(scale, p_e, has_e)
    final_pd, decided_by, reason = _decide(mode, p_s, p_e, g_s, g_e, expert_weight)
    if not statistical_validated:
        reason[reason == 0] = ESCALATE_REASONS.index("model_not_validated")
    return Combined(p_s, p_e, g_s, g_e, final_pd, scale.index(final_pd), decided_by, reason)


def _grade_or_none(
    scale: GradeScale, p: NDArray[np.float64], has: NDArray[np.bool_]
) -> NDArray[np.intp]:
    if has.all():
        return scale.index(p)
    return np.where(has, scale.index(np.where(has, p, 0.0)), -1)


def combine_ratings(
    pd_statistical: ArrayLike | None,
    pd_expert: ArrayLike | None,
    *,
    mode: str,
    scale: GradeScale,
    expert_weight: float = 0.3,
    statistical_validated: bool = True,
) -> pd.DataFrame:
    """Combine the two cards' PDs into one grade per row.

    Parameters
    ----------
    pd_statistical, pd_expert : array-like of float or None
        Each card's PD per row (NaN where the card could not rate the row).
    mode : str
        One of :data:`MODES`.
    scale : GradeScale
        The bank's cut-offs.
    expert_weight : float
        Weight of the expert card in ``blend`` (the bank's value, within the federation's
        range — checked by the policy, not here).
    statistical_validated : bool
        Whether the statistical model is validated; if not, every row is escalated.

    Returns
    -------
    pandas.DataFrame
        ``pd_statistical, grade_statistical, pd_expert, grade_expert, pd, grade, decided_by,
        mode, escalate, escalate_reason``. ``decided_by`` is ``statistical``, ``expert`` or
        ``blend``: the card whose result is the final one (reason codes follow it).
    """
    c = combine_arrays(
        pd_statistical,
        pd_expert,
        mode=mode,
        scale=scale,
        expert_weight=expert_weight,
        statistical_validated=statistical_validated,
    )
    grades = grade_names(scale)
    return pd.DataFrame(
        {
            "pd_statistical": c.pd_statistical,
            "grade_statistical": grades[c.grade_statistical],
            "pd_expert": c.pd_expert,
            "grade_expert": grades[c.grade_expert],
            "pd": c.pd,
            "grade": grades[c.grade],
            "decided_by": np.asarray(DECIDED_BY, dtype=object)[c.decided_by],
            "mode": mode,
            "escalate": c.reason != 0,
            "escalate_reason": np.asarray(ESCALATE_REASONS, dtype=object)[c.reason],
        }
    )


def grade_names(scale: GradeScale) -> NDArray[np.object_]:
    """The scale's grades as an object array with ``None`` last (position -1: no grade)."""
    return np.asarray([*scale.grades, None], dtype=object)


def _decide(
    mode: str,
    p_s: NDArray[np.float64],
    p_e: NDArray[np.float64],
    g_s: NDArray[np.intp],
    g_e: NDArray[np.intp],
    w: float,
) -> tuple[NDArray[np.float64], NDArray[np.int8], NDArray[np.int8]]:
    has_s, has_e = g_s >= 0, g_e >= 0
    reason = np.zeros(p_s.size, dtype=np.int8)
    s_missing, e_missing = (
        ESCALATE_REASONS.index(r) for r in ("statistical_missing", "expert_missing")
    )
    if mode == "statistical":
        use_e = ~has_s
        reason[use_e] = s_missing
        return np.where(use_e, p_e, p_s), use_e.astype(np.int8), reason
    if mode == "expert":
        use_s = ~has_e
        reason[use_s] = e_missing
        return np.where(use_s, p_s, p_e), (~use_s).astype(np.int8), reason
    both = has_s & has_e
    reason[~has_s] = s_missing
    reason[~has_e] = e_missing
    if mode == "blend":
        blended = 1.0 / (1.0 + np.exp(-(w * _logit(p_e) + (1 - w) * _logit(p_s))))
        final = np.where(both, blended, np.where(has_s, p_s, p_e))
        by = np.where(both, _BLEND, np.where(has_s, _STAT, _EXPERT)).astype(np.int8)
        return final, by, reason
    # minimum and agree_or_escalate: the worse grade wins (ties: the statistical card)
    expert_worse = both & (g_e > g_s) | ~has_s
    final = np.where(expert_worse, p_e, p_s)
    if mode == "agree_or_escalate":
        reason[both & (g_s != g_e)] = ESCALATE_REASONS.index("grades_differ")
    return final, expert_worse.astype(np.int8), reason


def apply_knockouts(rating: pd.DataFrame, fired: pd.DataFrame, scale: GradeScale) -> pd.DataFrame:
    """Force the lowest grade where any knockout fired and name the rules.

    Parameters
    ----------
    rating : pandas.DataFrame
        Output of :func:`combine_ratings` (a ``grade`` column at least).
    fired : pandas.DataFrame
        Output of :func:`~rating_models.rating.knockouts.evaluate_knockouts` (one bool column
        per rule code, aligned row by row).

    Returns
    -------
    pandas.DataFrame
        A copy with ``grade`` forced to the lowest grade where a rule fired, ``knockout``
        (the fired codes joined by ``;``, empty if none), and ``escalate`` cleared on those
        rows (the rule decides; there is nothing to review).
    """
    if len(fired) != len(rating):
        raise InvalidDataError("Knockout results and ratings must have the same rows.")
    out = rating.copy()
    flags = fired.to_numpy(dtype=bool)
    codes = np.asarray(fired.columns, dtype=object)
    any_fired = flags.any(axis=1) if flags.size else np.zeros(len(out), dtype=bool)
    joined = np.full(len(out), "", dtype=object)
    for row in np.flatnonzero(any_fired):  # only the knocked-out rows
        joined[row] = ";".join(codes[flags[row]])
    out["knockout"] = joined
    out["grade"] = np.where(any_fired, scale.lowest, out["grade"].to_numpy(dtype=object))
    if "escalate" in out.columns:
        out["escalate"] = out["escalate"].to_numpy(dtype=bool) & ~any_fired
        out["escalate_reason"] = np.where(
            any_fired, "", out["escalate_reason"].to_numpy(dtype=object)
        )
    return out
