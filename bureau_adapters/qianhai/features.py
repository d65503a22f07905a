"""``qh_*`` features: Qianhai results → one flat row per subject (pure, versioned).

Every feature is declared once in :mod:`~bureau_adapters.qianhai.feature_specs` (catalog
version ``qh-features/1``: definition, unit, window, missing semantics, vendor source fields)
and registered in :data:`bureau_adapters.catalog.CATALOG` when this module is imported; the
values are computed from typed results
(:mod:`bureau_adapters.qianhai.models`) as of the report date, never today.

Missing semantics, product by product:

- a product **not queried** (or whose query failed) → every feature of it is NaN: a vendor
  error never becomes "no risk";
- ``E000996`` **no data**: for 8036 this is Qianhai's "no related risk found", so counts and
  flags are 0; for 8037 no institution was hit, so counts are 0; for 8005 there is no score
  (NaN); for 8075 the phone and IP are unknown to Qianhai (NaN);
- a **sentinel** (no permission, ``-1``/``99``/``0``/empty/``NULL``) is NaN, never a number.

>>> import datetime as dt
>>> from bureau_adapters.qianhai.models import RiskEvent, RiskHints
>>> hints = RiskHints(trans_no="T", outcome="hit", events=(
...     RiskEvent(source_id="A", rsk_score=35, data_build_time=dt.date(2026, 8, 15)),))
>>> row = qh_features({"8036": hints}, as_of=dt.date(2026, 11, 1))
>>> row["qh_risk_a_cnt"], row["qh_risk_a_months_since_last"], row["qh_b1_dishonest"]
(1.0, 2.0, 0.0)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from bureau_adapters.catalog import CATALOG
from bureau_adapters.qianhai.feature_specs import (
    CATALOG_VERSION,
    INDUSTRIES,
    QH_FEATURES,
    SUB_SCORE_FEATURES,
)
from bureau_adapters.qianhai.models import (
    IP_FLAGS,
    PHONE_FLAGS,
    CredooScore,
    FraudFlags,
    MultiLender,
    QianhaiResult,
    RiskEvent,
    RiskHints,
)

__all__ = [
    "CATALOG_VERSION",
    "INDUSTRIES",
    "QH_FEATURES",
    "qh_feature_frame",
    "qh_features",
]

NAN = math.nan
_NAMES = tuple(spec.name for spec in QH_FEATURES)
CATALOG.register_all(QH_FEATURES)


def _num(value: float | int | None) -> float:
    return NAN if value is None else float(value)


def _months_between(earlier: dt.date, later: dt.date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)


def _score_features(result: CredooScore | None) -> dict[str, float]:
    if result is None:
        return {}
    out = {"qh_score": _num(result.credoo_score)}
    for name in SUB_SCORE_FEATURES:
        out[f"qh_sub_{name}"] = _num(getattr(result, f"{name}_score"))
    return out


def _risk_features(result: RiskHints | None, as_of: dt.date) -> dict[str, float]:
    if result is None:
        return {}
    events = [e for e in result.events if e.data_build_time is None or e.data_build_time <= as_of]
    a_events = [e for e in events if e.source_id == "A"]
    dated = sorted((e for e in a_events if e.data_build_time), key=_event_date)
    year_ago = as_of - dt.timedelta(days=365)
    scored = [e.rsk_score for e in a_events if e.rsk_score is not None]
    last_scored = [e for e in dated if e.rsk_score is not None]
    marks = {e.rsk_mark for e in events}
    return {
        "qh_risk_a_cnt": float(len(a_events)),
        "qh_risk_a_cnt_12m": float(sum(_event_date(e) > year_ago for e in dated)),
        "qh_risk_a_months_since_last": (
            float(_months_between(_event_date(dated[-1]), as_of)) if dated else NAN
        ),
        "qh_risk_a_score_last": _num(last_scored[-1].rsk_score) if last_scored else NAN,
        "qh_risk_a_score_max": max(scored) if scored else NAN,
        "qh_b1_dishonest": float("B1" in marks),
        "qh_b2_debtor": float("B2" in marks),
        "qh_fraud_event_cnt": float(sum(e.source_id == "C" for e in events)),
    }


def _event_date(event: RiskEvent) -> dt.date:
    return event.data_build_time or dt.date.min


def _sum_known(values: Sequence[int | None]) -> float:
    known = [v for v in values if v is not None]
    if values and not known:
        return NAN
    return float(sum(known))


def _max_known(values: Sequence[int | None], no_data: bool) -> float:
    known = [v for v in values if v is not None]
    if known:
        return float(max(known))
    return 0.0 if no_data else NAN


def _lender_features(result: MultiLender | None) -> dict[str, float]:
    if result is None:
        return {}
    lenders = result.lenders
    out = {
        f"qh_lender_cnt_{code.lower()}": _sum_known(
            [x.amount for x in lenders if x.industry == code]
        )
        for code in INDUSTRIES
    }
    no_data = result.outcome == "no_data"
    out["qh_lender_cnt_total"] = _sum_known([x.amount for x in lenders])
    out["qh_query_amt_3m"] = _max_known([x.query_amt_m3 for x in lenders], no_data)
    out["qh_query_amt_6m"] = _max_known([x.query_amt_m6 for x in lenders], no_data)
    return out


def _flag(value: bool | None) -> float:
    return NAN if value is None else float(value)


def _count_flags(flags: Mapping[str, bool | None], names: Sequence[str]) -> float:
    known = [flags[n] for n in names if flags.get(n) is not None]
    return float(sum(bool(v) for v in known)) if known else NAN


def _fraud_features(result: FraudFlags | None) -> dict[str, float]:
    if result is None:
        return {}
    flags = result.flags
    proxy = [flags.get("isMachdProxy"), flags.get("isMachdVPN")]
    known_proxy = [v for v in proxy if v is not None]
    return {
        "qh_fraud_phone_blacklist": _flag(flags.get("isMachdBlMakt")),
        "qh_fraud_phone_fraud": _flag(flags.get("isMachFraud")),
        "qh_fraud_ip_proxy": float(any(known_proxy)) if known_proxy else NAN,
        "qh_fraud_phone_flag_cnt": _count_flags(flags, PHONE_FLAGS),
        "qh_fraud_ip_flag_cnt": _count_flags(flags, IP_FLAGS),
        "qh_fraud_score": _num(result.rsk_score),
    }


def _typed(results: Mapping[str, QianhaiResult | None], code: str, cls: type[Any]) -> Any:
    result = results.get(code)
    if result is not None and not isinstance(result, cls):
        raise TypeError(f"results[{code!r}] must be a {cls.__name__}. Got {type(result).__name__}.")
    return result


def qh_features(results: Mapping[str, QianhaiResult | None], *, as_of: dt.date) -> dict[str, float]:
    """All ``qh_*`` features of one subject, in catalog order (NaN where missing).

    Parameters
    ----------
    results : mapping
        Product code (``"8005"`` ...) → typed result; absent or ``None`` = not queried.
    as_of : date
        The report date windows count back from.
    """
    row = dict.fromkeys(_NAMES, NAN)
    row.update(_score_features(_typed(results, "8005", CredooScore)))
    row.update(_risk_features(_typed(results, "8036", RiskHints), as_of))
    row.update(_lender_features(_typed(results, "8037", MultiLender)))
    row.update(_fraud_features(_typed(results, "8075", FraudFlags)))
    return row


def qh_feature_frame(
    results_by_subject: Mapping[str, Mapping[str, QianhaiResult | None]],
    *,
    as_of: dt.date | Mapping[str, dt.date],
) -> Any:
    """A pandas frame of :func:`qh_features`, one row per key (e.g. ``household_id``).

    ``as_of`` is one report date for all, or a mapping key → report date.
    """
    import numpy as np
    import pandas as pd

    keys = list(results_by_subject)
    rows = [
        list(
            qh_features(
                results_by_subject[k], as_of=as_of if isinstance(as_of, dt.date) else as_of[k]
            ).values()
        )
        for k in keys
    ]
    values = np.array(rows, dtype=float).reshape(len(keys), len(_NAMES))
    return pd.DataFrame(values, index=pd.Index(keys, name="household_id"), columns=list(_NAMES))
