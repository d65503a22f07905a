"""PBOC features (catalog ``pboc-features/1``), pure functions of typed reports.

Two implementations of the same definitions: :func:`features_frame` flattens many reports
into record arrays (accounts, monthly statuses, queries) and aggregates them with grouped
numpy reductions; :func:`personal_features` computes one report in plain Python
(:mod:`bureau_adapters.pboc.single`, same values bit for bit, checked by property tests).
For report bytes, :func:`bureau_adapters.pboc.fast.features_from_bytes` skips the typed
model altogether. Definitions,
units, windows and thin-file values are in :mod:`bureau_adapters.pboc.feature_specs`
(``nongxin bureau catalog``). Windows count back from the report date, never from today.

>>> from bureau_adapters.pboc.features import FEATURE_NAMES
>>> FEATURE_NAMES[:3]
['inq_loan_inst_1m', 'inq_card_inst_1m', 'inq_loan_cnt_1m']
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from bureau_adapters.exceptions import MalformedReportError
from bureau_adapters.pboc.feature_specs import PBOC_CATALOG_VERSION, PBOC_FEATURES
from bureau_adapters.pboc.flatten import WINDOWS, Flat, flatten
from bureau_adapters.pboc.models import PersonalReport
from bureau_adapters.pboc.single import account_rows, report_values

__all__ = [
    "FEATURE_NAMES",
    "PBOC_CATALOG_VERSION",
    "features_frame",
    "personal_features",
]

FEATURE_NAMES: list[str] = [s.name for s in PBOC_FEATURES]
_INT_FEATURES = frozenset(s.name for s in PBOC_FEATURES if s.dtype == "int")
_CASTS: tuple[type, ...] = tuple(int if name in _INT_FEATURES else float for name in FEATURE_NAMES)
#: Values by name → their tuple in catalog order.
_ordered = operator.itemgetter(*FEATURE_NAMES)
_W = {w: i for i, w in enumerate(WINDOWS)}  # window in months -> column of Flat.cutoffs


def personal_features(report: PersonalReport) -> dict[str, float | int | None]:
    """All ``pboc-features/1`` features of one personal report, in catalog order.

    Parameters
    ----------
    report : PersonalReport
        A parsed personal report (:func:`bureau_adapters.pboc.parse_report`).

    Returns
    -------
    dict
        Feature name → value: ``int`` for counts, flags and ranks; ``float`` for amounts,
        ratios and months; ``None`` where the catalog says the value is missing (e.g.
        ``card_util`` without a card limit). The same values as the row of
        :func:`features_frame`.

    Raises
    ------
    MalformedReportError
        ``PBOC_NOT_PERSONAL`` for an enterprise report.

    Examples
    --------
    >>> from datetime import date
    >>> thin = PersonalReport(report_id="1", report_date=date(2026, 6, 30))
    >>> f = personal_features(thin)
    >>> f["n_accounts"], f["card_util"], f["months_since_oldest_account"]
    (0, None, None)
    """
    report = _check(report)
    return feature_dict(report_values(report, [account_rows(a) for a in report.accounts]))


def feature_dict(values: dict[str, float]) -> dict[str, float | int | None]:
    """Values by name (NaN for missing) → the catalog-ordered dict of
    :func:`personal_features` (``int`` for integer features, ``None`` for NaN)."""
    return {
        name: None if value != value else cast(value)
        for name, cast, value in zip(FEATURE_NAMES, _CASTS, _ordered(values), strict=True)
    }


def features_frame(reports: Iterable[PersonalReport | bytes]) -> pd.DataFrame:
    """Features of many personal reports: one row per report, columns in catalog order.

    Parameters
    ----------
    reports : iterable of PersonalReport or bytes
        Parsed personal reports, or report bytes (envelopes or bare ``<Document>``), which
        are read by the fast path without building typed reports
        (:func:`bureau_adapters.pboc.fast.features_frame_from_bytes`, the same values).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``report_id``; integer features are ``int64``, the others ``float64``
        with NaN where :func:`personal_features` gives ``None``. Computed with grouped
        numpy reductions over all reports at once (the batch path).

    Examples
    --------
    >>> from datetime import date
    >>> reports = [PersonalReport(report_id=str(i), report_date=date(2026, 6, 30))
    ...            for i in range(3)]
    >>> features_frame(reports).shape
    (3, 91)
    """
    items = list(reports)
    if any(isinstance(r, bytes | bytearray | memoryview) for r in items):
        return _frame_of_mixed(items)
    typed = [_check(r) for r in items]
    columns = _compute(typed)
    frame = pd.DataFrame(
        {
            name: columns[name].astype(np.int64) if name in _INT_FEATURES else columns[name]
            for name in FEATURE_NAMES
        },
        index=pd.Index([r.report_id for r in typed], name="report_id", dtype=object),
    )
    return frame


def _frame_of_mixed(items: list[Any]) -> pd.DataFrame:
    """Rows of bytes by the fast path, of typed reports by the one-report path."""
    from bureau_adapters.pboc.fast import frame_of_rows, lite_from_bytes

    ids: list[str] = []
    rows: list[Sequence[float]] = []
    for item in items:
        if isinstance(item, bytes | bytearray | memoryview):
            lite = lite_from_bytes(bytes(item))
            values = report_values(lite, lite.accounts)
            ids.append(lite.report_id)
        else:
            report = _check(item)
            values = report_values(report, [account_rows(a) for a in report.accounts])
            ids.append(report.report_id)
        rows.append(_ordered(values))
    return frame_of_rows(ids, rows)


def _check(report: Any) -> PersonalReport:
    if not isinstance(report, PersonalReport):
        raise MalformedReportError(
            f"PBOC personal features need a PersonalReport, got {type(report).__name__}.",
            code="PBOC_NOT_PERSONAL",
        )
    return report


# --- grouped reductions --------------------------------------------------------------------


# Each reduction has a one-report fast path: same result, no scatter into groups.


def _sum(g: np.ndarray, w: np.ndarray, n: int) -> np.ndarray:
    if n == 1:
        return np.array([w.sum()], dtype=np.float64)
    return np.bincount(g, weights=w, minlength=n)[:n]


def _count(g: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    if n == 1:
        return np.array([np.count_nonzero(mask)], dtype=np.float64)
    return np.bincount(g[mask], minlength=n)[:n].astype(np.float64)


def _max(g: np.ndarray, v: np.ndarray, n: int, empty: float) -> np.ndarray:
    """Group maximum ignoring NaN; ``empty`` for groups without values."""
    if n == 1:
        best = np.fmax.reduce(v) if v.size else empty
        return np.array([empty if np.isnan(best) else best], dtype=np.float64)
    out = np.full(n, np.nan, dtype=np.float64)
    np.fmax.at(out, g, v)
    return np.where(np.isnan(out), empty, out)


def _min(g: np.ndarray, v: np.ndarray, n: int, empty: float) -> np.ndarray:
    """Group minimum ignoring NaN; ``empty`` for groups without values."""
    if n == 1:
        best = np.fmin.reduce(v) if v.size else empty
        return np.array([empty if np.isnan(best) else best], dtype=np.float64)
    out = np.full(n, np.nan, dtype=np.float64)
    np.fmin.at(out, g, v)
    return np.where(np.isnan(out), empty, out)


def _nunique(g: np.ndarray, key: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    width = int(key.max()) + 1 if key.size else 1
    pairs = np.unique(g[mask].astype(np.int64) * width + key[mask])
    return np.bincount(pairs // width, minlength=n)[:n].astype(np.float64)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.shape, np.nan)
    ok = np.isfinite(num) & np.isfinite(den) & (den > 0)
    np.divide(num, den, out=out, where=ok)
    return out


# --- the computation -----------------------------------------------------------------------


def _compute(reports: Sequence[PersonalReport]) -> dict[str, np.ndarray]:
    flat = flatten(reports)
    n = len(reports)
    out: dict[str, np.ndarray] = dict(flat.scalars)
    out.update(_table_features(_query_features, flat.queries, flat, n))
    out.update(_table_features(_account_features, flat.accounts, flat, n))
    out.update(_table_features(_status_features, flat.months, flat, n))
    out["inq_without_new_account_3m"] = np.maximum(
        out["inq_apply_cnt_3m"] - out["new_accounts_3m"], 0.0
    )
    out["has_bad_debt"] = np.maximum.reduce(
        [out.pop("_bad_summary"), out.pop("_bad_records"), out.pop("_bad_months")]
    )
    out["has_recovery"] = np.maximum.reduce(
        [out.pop("_recovery_summary"), out.pop("_recovery_records"), out.pop("_recovery_months")]
    )
    out["monthly_obligation"] = out.pop("_obligation_summary") + out.pop("_card_min_payment")
    return out


_EMPTY: dict[str, dict[str, float]] = {}


def _table_features(
    func: Callable[[Flat, int], dict[str, np.ndarray]],
    table: dict[str, np.ndarray],
    flat: Flat,
    n: int,
) -> dict[str, np.ndarray]:
    """``func`` over a record table; an empty table (thin files) gives cached constants."""
    if table["g"].size:
        return func(flat, n)
    empty = _EMPTY.get(func.__name__)
    if empty is None:
        blank = flatten([PersonalReport(report_id="0", report_date=date(2000, 1, 1))])
        empty = {k: float(v[0]) for k, v in func(blank, 1).items()}
        _EMPTY[func.__name__] = empty
    return {k: np.full(n, v) for k, v in empty.items()}


def _in_window(flat: Flat, g: np.ndarray, ords: np.ndarray, months: int) -> np.ndarray:
    """Dated records on or after T minus ``months`` months and not after T."""
    return (ords >= flat.cutoffs[g, _W[months]]) & (ords <= flat.t_ord[g])


def _query_features(flat: Flat, n: int) -> dict[str, np.ndarray]:
    q = flat.queries
    g, ords, reason, nonbank, inst = q["g"], q["ord"], q["reason"], q["nonbank"], q["inst"]
    loan, card = reason == 2, reason == 3
    apply_ = loan | card | (reason == 24)
    # within[:, i]: on or after T minus WINDOWS[i] months and not after T (one 2-D test)
    within = (ords[:, None] >= flat.cutoffs[g]) & (ords <= flat.t_ord[g])[:, None]
    win = {m: within[:, i] for i, m in enumerate(WINDOWS)}
    out = {
        "inq_loan_cnt_3m": _count(g, loan & win[3], n),
        "inq_loan_cnt_6m": _count(g, loan & win[6], n),
        "inq_loan_cnt_12m": _count(g, loan & win[12], n),
        "inq_card_cnt_12m": _count(g, card & win[12], n),
        "inq_apply_cnt_1m": _count(g, apply_ & win[1], n),
        "inq_apply_cnt_3m": _count(g, apply_ & win[3], n),
        "inq_apply_cnt_6m": _count(g, apply_ & win[6], n),
        "inq_org_cnt_6m": _nunique(g, inst, apply_ & win[6], n),
        "inq_org_cnt_12m": _nunique(g, inst, apply_ & win[12], n),
        "inq_nonbank_cnt_1m": _count(g, apply_ & nonbank & win[1], n),
        "inq_nonbank_cnt_3m": _count(g, apply_ & nonbank & win[3], n),
    }
    # four 6-month buckets over 24 months: bucket k holds [cutoff(6(k+1)), cutoff(6k)),
    # i.e. 4 minus the number of the 6/12/18/24-month windows the query falls in
    six = [WINDOWS.index(m) for m in (6, 12, 18, 24)]
    bucket = 4 - within[:, six].sum(axis=1)
    used = apply_ & (bucket < 4)
    counts = np.bincount(g[used] * 4 + bucket[used], minlength=4 * n)[: 4 * n].reshape(n, 4)
    mean = counts.sum(axis=1) / 4.0
    spread = np.sqrt(((counts - mean[:, None]) ** 2).sum(axis=1) / 4.0)
    out["inq_volatility_24m"] = _ratio(spread, mean)
    return out


def _account_features(flat: Flat, n: int) -> dict[str, np.ndarray]:
    a = flat.accounts
    g, kind, is_open = a["g"], a["type"], a["open"]
    loan = (kind <= 2) & is_open  # D1, R4, R1
    card = (kind == 3) & is_open  # R2
    util = _ratio(a["used"], a["limit"])
    util_ok = card & np.isfinite(util)
    opened = a["open_ord"]
    has_open = opened >= 0
    age_months = np.where(has_open, flat.t_midx[g] - a["open_midx"], np.nan)
    n_acc = np.bincount(g, minlength=n)[:n].astype(np.float64)
    return {
        "n_open_loans": _count(g, loan, n),
        "n_open_cards": _count(g, card, n),
        "card_util_max": _max(g[util_ok], util[util_ok], n, np.nan),
        "card_high_util_cnt": _count(g, util_ok & (util > 0.8), n),
        "_card_min_payment": _sum(g[card], a["min_payment"][card], n),
        "months_since_oldest_account": _max(g[has_open], age_months[has_open], n, np.nan),
        "months_since_newest_account": _min(g[has_open], age_months[has_open], n, np.nan),
        "new_accounts_3m": _count(g, has_open & _in_window(flat, g, opened, 3), n),
        "new_accounts_6m": _count(g, has_open & _in_window(flat, g, opened, 6), n),
        "has_mortgage": np.minimum(_count(g, a["mortgage"], n), 1.0),
        "n_auto_loans_open": _count(g, a["auto"] & is_open, n),
        "nonbank_loan_cnt_open": _count(g, loan & a["nonbank"], n),
        "n_farmer_loans": _count(g, a["farmer"], n),
        "n_farmer_loans_open": _count(g, a["farmer"] & is_open, n),
        "farmer_loan_balance": _sum(g, np.where(a["farmer"] & is_open, a["balance"], 0.0), n),
        "joint_guarantee_loans": _count(g, a["joint"], n),
        "rural_inst_share": _ratio(_count(g, a["village"], n), n_acc),
        "cur_overdue_amt": _sum(g, np.where(kind <= 4, a["overdue"], 0.0), n),
        "cur_overdue_principal_31p": _sum(g, a["principal_31p"], n),
        "max_cur_overdue_periods": _max(g, a["periods"], n, 0.0),
        "special_trans_cnt_24m": _count(
            flat.special["g"],
            _in_window(flat, flat.special["g"], flat.special["ord"], 24),
            n,
        ),
        "_bad_records": np.minimum(_count(g, a["bad_status"], n), 1.0),
        "_recovery_records": np.minimum(_count(g, kind == 5, n), 1.0),
    }


def _status_features(flat: Flat, n: int) -> dict[str, np.ndarray]:
    m = flat.months
    g, age, rank, grid, acc = m["g"], m["age"], m["rank"], m["grid"], m["acc"]
    card = m["card"]
    inside = {w: (age >= 0) & (age < w) for w in (3, 6, 12, 24, 60)}
    out = {
        f"worst_status_{w}m": _max(g[inside[w]], rank[inside[w]], n, 0.0) for w in (3, 6, 12, 24)
    }
    sel = inside[12] & ~card
    out["worst_loan_status_12m"] = _max(g[sel], rank[sel], n, 0.0)
    sel = inside[12] & card
    out["worst_card_status_12m"] = _max(g[sel], rank[sel], n, 0.0)
    out["n_delinq_months_24m"] = _count(g, grid & inside[24] & m["overdue"], n)
    delinq = rank >= 1
    for w in (12, 24, 60):
        sel = delinq & inside[w]
        accounts = np.unique(acc[sel])
        out[f"n_accounts_ever_delinq_{w}m"] = np.bincount(
            flat.accounts["g"][accounts], minlength=n
        )[:n].astype(np.float64)
    sel = delinq & inside[60]
    out["months_since_last_delinq"] = (
        _min(g[sel], age[sel], n, np.nan) if sel.any() else np.full(n, np.nan)
    )
    out["max_overdue_amt_60m"] = _max(g[inside[60]], np.nan_to_num(m["amount"][inside[60]]), n, 0.0)
    out["max_consecutive_delinq_24m"] = _longest_run(m, grid & delinq & inside[24], n)
    out["_bad_months"] = np.minimum(_count(g, m["bad"], n), 1.0)
    out["_recovery_months"] = np.minimum(_count(g, m["recovery"], n), 1.0)
    return out


def _longest_run(m: dict[str, np.ndarray], sel: np.ndarray, n: int) -> np.ndarray:
    """Longest run of consecutive delinquent months on one account, per report."""
    acc, midx = m["acc"][sel], m["midx"][sel]
    if acc.size == 0:
        return np.zeros(n)
    key = np.unique(acc.astype(np.int64) * 100_000 + midx)  # sorted, duplicates removed
    acc, midx = key // 100_000, key % 100_000
    gk = m["acc_g"][acc]
    starts = np.ones(key.size, dtype=bool)
    starts[1:] = (acc[1:] != acc[:-1]) | (midx[1:] != midx[:-1] + 1)
    run_id = np.cumsum(starts) - 1
    lengths = np.bincount(run_id).astype(np.float64)
    return _max(gk[starts], lengths, n, 0.0)
