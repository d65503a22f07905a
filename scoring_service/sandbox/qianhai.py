"""Qianhai (前海征信) business results of one sandbox household: products 8005, 8036, 8037.

The file ``reports/qianhai/<household_id>.json`` holds the *decrypted* ``busiData`` records
of each product, keyed by product code (see ``docs/sandbox.md`` for the exact shape)::

    {"household_id": "H00000001", "products": {"8005": [record], "8036": [...], "8037": [...]}}

Each record carries ``erCode``/``erMsg``: ``E000000`` with the product fields, or a single
``E000996`` record ("no data"). Sentinels occur as the vendor documents them: ``-1`` (no
permission, numbers), ``"99"`` (no permission, codes and dates), ``"0"`` (8037 ``busiDate``
without permission) and the literal string ``"NULL"``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from scoring_service.sandbox.bureau import BureauFacts

__all__ = ["draw_qianhai", "qianhai_drivers"]

_OK = {"erCode": "E000000", "erMsg": "成功"}
_NO_DATA = [{"erCode": "E000996", "erMsg": "查无数据"}]
_SUB_SCORES = (
    "bseInfoScore", "finRequireScore", "payAbilityScore", "performScore",
    "actionScore", "virAssetScore", "trendScore",
)  # fmt: skip
_INDUSTRY_RATES = (
    ("BAK", 0.5, 0.2),
    ("CNS", 0.1, 0.5),
    ("MCL", 0.05, 0.5),
    ("P2P", 0.01, 0.2),
    ("OTH", 0.05, 0.1),
)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _poisson(lam: float, rnd: random.Random) -> int:
    limit, k, prod = math.exp(-lam), 0, rnd.random()
    while prod > limit:
        k += 1
        prod *= rnd.random()
    return k


def _day(report_date: dt.date, rnd: random.Random, most: int) -> str:
    return (report_date - dt.timedelta(days=rnd.randint(0, most))).isoformat()


def _credoo(z: float, facts: BureauFacts, rnd: random.Random) -> list[dict[str, Any]]:
    if rnd.random() < (0.22 if facts.thin_file else 0.07):
        return list(_NO_DATA)
    record: dict[str, Any] = {"sourceId": "1"}
    record["credooScore"] = int(min(850, max(300, round(600 - 55 * z + rnd.gauss(0.0, 35.0)))))
    for name in _SUB_SCORES:
        record[name] = int(min(41, max(0, round(20 - 6 * z + rnd.gauss(0.0, 6.0)))))
    if rnd.random() < 0.3:
        record["virAssetScore"] = -1
    record["dataBuildTime"] = _day(facts.report_date, rnd, 30)
    return [{**record, **_OK}]


def _hint(source: str, score: int | str, mark: str, built: str, status: str) -> dict[str, Any]:
    return {
        "sourceId": source,
        "rskScore": score,
        "rskMark": mark,
        "dataBuildTime": built,
        "dataStatus": status,
    }


def _risk_hints(
    z: float, facts: BureauFacts, delinq: float, rnd: random.Random
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if delinq >= 2 or rnd.random() < _sigmoid(-4.0 + 1.2 * z):
        score = int(min(45, max(10, round(20 + 8 * z + rnd.gauss(0.0, 5.0)))))
        status = "3" if rnd.random() < 0.03 else "1"
        out.append(_hint("A", score, "", _day(facts.report_date, rnd, 400), status))
    if facts.enforcements:
        mark = "B1" if rnd.random() < 0.6 else "B2"
        out.append(_hint("B", "", mark, facts.enforcements[0][0].isoformat(), "1"))
    if rnd.random() < _sigmoid(-5.5 + 1.0 * z):
        mark = rnd.choice(("C1", "C2", "C3", "C4"))
        out.append(_hint("C", "", mark, _day(facts.report_date, rnd, 700), "2"))
    if rnd.random() < 0.01:
        out.append(_hint("99", -1, "99", "99", "99"))
    return [{**r, **_OK} for r in out] if out else list(_NO_DATA)


def _multi_lender(z: float, facts: BureauFacts, rnd: random.Random) -> list[dict[str, Any]]:
    nonbank = len({q.inst_code for q in facts.queries if q.inst_type in ("24", "25", "51")})
    counts = {
        ind: _poisson(base * math.exp(slope * z * 2), rnd) for ind, base, slope in _INDUSTRY_RATES
    }
    counts["MCL"] += nonbank
    if not any(counts.values()):
        return list(_NO_DATA)
    query_amt = sum(counts.values()) + _poisson(1.0 + max(z, 0.0), rnd)
    m6 = min(query_amt, _poisson(0.5 + max(z, 0.0), rnd) + counts["MCL"])
    totals = {
        "bnkAmount": counts["BAK"],
        "cnssAmount": counts["CNS"],
        "p2pAmount": "NULL" if rnd.random() < 0.05 else counts["P2P"],
        "queryAmt": query_amt,
        "queryAmtM3": min(m6, _poisson(0.3 + max(z, 0.0), rnd)),
        "queryAmtM6": m6,
    }
    out = []
    for industry, amount in counts.items():
        if amount:
            busi = "0" if rnd.random() < 0.02 else _day(facts.report_date, rnd, 365)
            out.append(
                {
                    "amount": amount,
                    "busiDate": busi,
                    "industry": industry,
                    "reasonCode": "01",
                    **totals,
                    **_OK,
                }
            )
    return out


def draw_qianhai(
    household_id: str, z: float, facts: BureauFacts, delinq: float, rnd: random.Random
) -> dict[str, Any]:
    """The Qianhai results document of one household."""
    return {
        "household_id": household_id,
        "products": {
            "8005": _credoo(z, facts, rnd),
            "8036": _risk_hints(z, facts, delinq, rnd),
            "8037": _multi_lender(z, facts, rnd),
        },
    }


def qianhai_drivers(doc: dict[str, Any]) -> dict[str, float]:
    """``qh_credoo_score`` (NaN without data) and ``qh_dishonest_debtor`` (any 8036 B1)."""
    credoo = doc["products"]["8005"][0]
    score = credoo.get("credooScore", -1)
    hints = doc["products"]["8036"]
    return {
        "qh_credoo_score": float(score) if isinstance(score, int) and score >= 0 else math.nan,
        "qh_dishonest_debtor": float(any(r.get("rskMark") == "B1" for r in hints)),
    }
