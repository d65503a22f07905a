"""Catalog entries of the ``qh_*`` features (catalog version ``qh-features/1``).

Declared once, as data; :mod:`bureau_adapters.qianhai.features` computes them in this order
and registers them in :data:`bureau_adapters.catalog.CATALOG`. Sources are the vendor field
names, prefixed by the product (``MSC8036.rskMark``).
"""

from __future__ import annotations

from bureau_adapters.catalog import FeatureSpec
from bureau_adapters.qianhai.models import IP_FLAGS, PHONE_FLAGS

__all__ = ["CATALOG_VERSION", "INDUSTRIES", "QH_FEATURES", "SUB_SCORE_FEATURES"]

CATALOG_VERSION = "qh-features/1"

#: 8037 industry codes, in the vendor's order.
INDUSTRIES: dict[str, str] = {
    "BAK": "bank",
    "MCL": "microloan company",
    "P2P": "P2P platform",
    "ASM": "asset management",
    "TRU": "trust",
    "LEA": "leasing",
    "CRF": "crowdfunding",
    "INV": "investment",
    "CNS": "consumer finance",
    "INS": "insurance",
    "THR": "third party",
    "OTH": "other",
}
#: qh_sub_<name> -> 8005 vendor field
SUB_SCORE_FEATURES: dict[str, str] = {
    "bse_info": "bseInfoScore",
    "fin_require": "finRequireScore",
    "pay_ability": "payAbilityScore",
    "perform": "performScore",
    "action": "actionScore",
    "vir_asset": "virAssetScore",
    "trend": "trendScore",
}

_UNQUERIED = "NaN when the product was not queried or its query failed (never 'no risk')"
_SCORE = f"NaN on E000996 (no data) and on the no-permission sentinel -1; {_UNQUERIED}"
_RISK = f"0 on E000996 (Qianhai: no related risk found); {_UNQUERIED}"
_LENDER = f"0 on E000996 (no institution hit); {_UNQUERIED}"
_FRAUD = f"NaN on E000996 (phone/IP unknown to Qianhai) and on 99/empty; {_UNQUERIED}"
_NO_A = f"NaN when no dated A-type event is returned (also on E000996); {_UNQUERIED}"
_NO_A_SCORE = f"NaN when no A-type event carries a score (also on E000996); {_UNQUERIED}"

# name, definition, unit, window, missing, sources, group
_ROWS: list[tuple[str, str, str, str, str, tuple[str, ...], str]] = [
    ("qh_score", "好信度 credit score credooScore (range not published).", "score",
     "as reported", _SCORE, ("MSC8005.credooScore",), "score"),
    *[
        (f"qh_sub_{name}", f"好信度 sub-score {field} (labels differ between integrators).",
         "score", "as reported", _SCORE, (f"MSC8005.{field}",), "score")
        for name, field in SUB_SCORE_FEATURES.items()
    ],
    ("qh_risk_a_cnt", "Number of A-type (credit overdue) risk events dated on or before the "
     "report date (undated events count).", "count", "all", _RISK,
     ("MSC8036.sourceId", "MSC8036.dataBuildTime"), "risk_hints"),
    ("qh_risk_a_cnt_12m", "Number of A-type risk events dated in the 365 days up to the report "
     "date.", "count", "12m", _RISK, ("MSC8036.sourceId", "MSC8036.dataBuildTime"), "risk_hints"),
    ("qh_risk_a_months_since_last", "Whole months from the latest dated A-type event to the "
     "report date.", "months", "all", _NO_A, ("MSC8036.sourceId", "MSC8036.dataBuildTime"),
     "risk_hints"),
    ("qh_risk_a_score_last", "rskScore of the latest dated A-type event (higher is worse).",
     "score", "all", _NO_A_SCORE, ("MSC8036.rskScore", "MSC8036.dataBuildTime"), "risk_hints"),
    ("qh_risk_a_score_max", "Highest rskScore of any A-type event.", "score", "all", _NO_A_SCORE,
     ("MSC8036.rskScore",), "risk_hints"),
    ("qh_b1_dishonest", "1 if a B1 dishonest judgement debtor (失信被执行人) event is returned.",
     "flag", "all", _RISK, ("MSC8036.rskMark",), "risk_hints"),
    ("qh_b2_debtor", "1 if a B2 judgement debtor (被执行人) event is returned.", "flag", "all",
     _RISK, ("MSC8036.rskMark",), "risk_hints"),
    ("qh_fraud_event_cnt", "Number of C-type (fraud: phone, card, ID, IP) risk events.", "count",
     "all", _RISK, ("MSC8036.sourceId",), "risk_hints"),
    *[
        (f"qh_lender_cnt_{code.lower()}", f"Institutions of industry {code} ({label}) that dealt "
         "with the subject, over Qianhai's (unpublished) window.", "count", "as reported",
         f"{_LENDER}; NaN when every amount of the industry is a sentinel",
         ("MSC8037.industry", "MSC8037.amount"), "multi_lender")
        for code, label in INDUSTRIES.items()
    ],
    ("qh_lender_cnt_total", "Institutions of every industry that dealt with the subject.",
     "count", "as reported", f"{_LENDER}; NaN when every amount is a sentinel",
     ("MSC8037.amount",), "multi_lender"),
    ("qh_query_amt_3m", "Queries about the subject by other institutions in the last 3 months.",
     "count", "3m", f"{_LENDER}; NaN when the field is not returned", ("MSC8037.queryAmtM3",),
     "multi_lender"),
    ("qh_query_amt_6m", "Queries about the subject by other institutions in the last 6 months.",
     "count", "6m", f"{_LENDER}; NaN when the field is not returned", ("MSC8037.queryAmtM6",),
     "multi_lender"),
    ("qh_fraud_phone_blacklist", "1 if the phone is on a third-party blacklist.", "flag",
     "as reported", _FRAUD, ("MSC8075.isMachdBlMakt",), "fraud"),
    ("qh_fraud_phone_fraud", "1 if the phone is a known fraud number.", "flag", "as reported",
     _FRAUD, ("MSC8075.isMachFraud",), "fraud"),
    ("qh_fraud_ip_proxy", "1 if the IP is a proxy or VPN egress.", "flag", "as reported", _FRAUD,
     ("MSC8075.isMachdProxy", "MSC8075.isMachdVPN"), "fraud"),
    ("qh_fraud_phone_flag_cnt", "Number of phone flags set.", "count", "as reported",
     f"{_FRAUD}; NaN when no phone flag is returned", tuple(f"MSC8075.{f}" for f in PHONE_FLAGS),
     "fraud"),
    ("qh_fraud_ip_flag_cnt", "Number of IP flags set.", "count", "as reported",
     f"{_FRAUD}; NaN when no IP flag is returned", tuple(f"MSC8075.{f}" for f in IP_FLAGS),
     "fraud"),
    ("qh_fraud_score", "好信欺诈度 rskScore (range not published).", "score", "as reported",
     _FRAUD, ("MSC8075.rskScore",), "fraud"),
]  # fmt: skip

QH_FEATURES: tuple[FeatureSpec, ...] = tuple(
    FeatureSpec(
        name=name,
        definition=definition,
        unit=unit,
        window=window,
        missing=missing,
        sources=sources,
        bureau="qianhai",
        catalog_version=CATALOG_VERSION,
        dtype="float",
        group=group,
    )
    for name, definition, unit, window, missing, sources, group in _ROWS
)
