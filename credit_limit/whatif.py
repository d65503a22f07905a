"""What-if: a proposed bank policy applied to a portfolio, beside the current one.

Nothing is written anywhere: the portfolio is read, both policies are run through
:func:`credit_limit.engine.compute_limits`, and the totals are compared. Expected loss is
``PD x LGD x limit x utilisation`` with LGD and utilisation from each policy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_limit._base import GRADES
from credit_limit.config import EffectivePolicy
from credit_limit.engine import compute_limits
from credit_limit.exceptions import LimitInputError

__all__ = ["render_whatif", "whatif"]


def _summary(portfolio: pd.DataFrame, policy: EffectivePolicy, regrade: bool) -> pd.Series:
    frame = portfolio
    if regrade:
        frame = portfolio.assign(grade=policy.bank.rating.grades_for_pd(portfolio["pd"]))
    limits = compute_limits(frame, policy)["limit"].to_numpy(dtype=float)
    grades = frame["grade"].to_numpy()
    el = policy.bank.expected_loss
    rows: dict[str, float] = {
        "households": float(len(frame)),
        "total_limit": float(limits.sum()),
    }
    for grade in GRADES:
        rows[f"limit_grade_{grade}"] = float(limits[grades == grade].sum())
    for grade in GRADES:
        rows[f"households_grade_{grade}"] = float((grades == grade).sum())
    rows["share_limit_zero"] = float((limits == 0).mean()) if len(limits) else 0.0
    rows["expected_loss"] = float(
        (frame["pd"].to_numpy(dtype=float) * el.lgd * limits * el.utilisation).sum()
    )
    return pd.Series(rows)


def whatif(
    portfolio: pd.DataFrame,
    current: EffectivePolicy,
    proposed: EffectivePolicy,
    *,
    regrade: bool = False,
) -> pd.DataFrame:
    """Compare a proposed policy with the current one on a portfolio.

    Parameters
    ----------
    portfolio : DataFrame
        Survey columns plus ``grade`` and ``pd`` (12-month PD), as for
        :func:`~credit_limit.engine.compute_limits`.
    current, proposed : EffectivePolicy
        The bank's policy in force and the proposal (both already inside the red lines).
    regrade : bool, default False
        Re-derive each household's grade from ``pd`` by each policy's cut-offs (to see the
        effect of new cut-offs); otherwise the portfolio's ``grade`` is used for both.

    Returns
    -------
    DataFrame
        One row per metric (``households``, ``total_limit``, ``limit_grade_A`` ...,
        ``households_grade_A`` ..., ``share_limit_zero``, ``expected_loss``) and columns
        ``current``, ``proposed``, ``change``.
    """
    if "pd" not in portfolio.columns:
        raise LimitInputError(
            "The portfolio lacks column 'pd' needed for expected loss", columns=["pd"]
        )
    pd_values = pd.to_numeric(portfolio["pd"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(pd_values).any() or ((pd_values < 0) | (pd_values > 1)).any():
        raise LimitInputError("Column 'pd' must hold probabilities in [0, 1]", column="pd")
    table = pd.DataFrame(
        {
            "current": _summary(portfolio, current, regrade),
            "proposed": _summary(portfolio, proposed, regrade),
        }
    )
    table["change"] = table["proposed"] - table["current"]
    return table


def render_whatif(table: pd.DataFrame, current: EffectivePolicy, proposed: EffectivePolicy) -> str:
    """The what-if table as aligned text, amounts in yuan, shares in per cent."""
    head = (
        f"bank {current.bank.code} {current.bank.name}: current {current.bank.version} "
        f"({current.bank_hash[:12]}) vs proposed {proposed.bank.version} "
        f"({proposed.bank_hash[:12]})"
    )
    lines = [head, f"{'metric':<22}{'current':>18}{'proposed':>18}{'change':>18}"]
    for metric, row in table.iterrows():
        if metric == "share_limit_zero":
            cells = [f"{row[c] * 100:.2f}%" for c in ("current", "proposed")]
            cells.append(f"{row['change'] * 100:+.2f} pt")
        else:
            cells = [f"{row['current']:,.0f}", f"{row['proposed']:,.0f}", f"{row['change']:+,.0f}"]
        lines.append(f"{metric!s:<22}" + "".join(f"{c:>18}" for c in cells))
    return "\n".join(lines)
