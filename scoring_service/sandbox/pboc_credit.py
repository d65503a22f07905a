"""Summary units of the sandbox PBOC report: ``PCO/PC02``, ``PNO/PC03``, ``PPO/PC04``,
``PQO/PC05`` — values from :mod:`.pboc_summary`, so they always equal the details."""

from __future__ import annotations

from scoring_service.sandbox.bureau import BureauFacts
from scoring_service.sandbox.pboc_summary import (
    Exposure,
    category_groups,
    exposure,
    overdue_summary,
    query_summary,
)
from scoring_service.sandbox.xmltext import Doc, day_text

__all__ = ["render_summaries"]

_OVERDUE_ITEMS = ("PC02DD01", "PC02DS02", "PC02DS03", "PC02DJ01", "PC02DS04")
_EXPOSURE_UNITS = (("D1", "E"), ("R4", "F"), ("R1", "G"), ("R2", "H"), ("R3", "I"))


def _accounts_summary(doc: Doc, facts: BureauFacts) -> None:
    groups = category_groups(facts.accounts)
    doc.open("PC02A", 3)
    doc.items(4, [("PC02AS01", len(facts.accounts)), ("PC02AS02", len(groups))])
    for code, cat, count, first in groups:
        doc.block(
            "PC02AH",
            4,
            [("PC02AD01", code), ("PC02AD02", cat), ("PC02AS03", count), ("PC02AR01", first)],
        )
    doc.close("PC02A", 3)
    late = overdue_summary(facts.accounts)
    if late:
        doc.open("PC02D", 3)
        doc.items(4, [("PC02DS01", len(late))])
        for row in late:
            doc.block("PC02DH", 4, list(zip(_OVERDUE_ITEMS, row, strict=True)))
        doc.close("PC02D", 3)
    for kind, letter in _EXPOSURE_UNITS:
        exp = exposure(facts.accounts, kind)
        if exp is not None:
            doc.block(f"PC02{letter}", 3, _exposure_rows(f"PC02{letter}", kind, exp))


def _exposure_rows(p: str, kind: str, exp: Exposure) -> list[tuple[str, object]]:
    head: list[tuple[str, object]] = [
        (f"{p}S01", exp.institutions),
        (f"{p}S02", exp.accounts),
        (f"{p}J01", exp.limit),
    ]
    if kind in ("D1", "R4", "R1"):
        return [*head, (f"{p}J02", exp.balance), (f"{p}J03", exp.due_or_high)]
    cards = [exp.due_or_high, exp.low, exp.used, exp.avg_used]
    return head + [(f"{p}J0{k}", v) for k, v in enumerate(cards, start=2)]


def _guarantee_summary(doc: Doc, facts: BureauFacts) -> None:
    if not facts.guarantees:
        return
    doc.open("PC02K", 3)
    doc.items(4, [("PC02KS01", 1)])
    doc.block("PC02KH", 4, [
        ("PC02KD01", "1"), ("PC02KD02", "1"), ("PC02KS02", len(facts.guarantees)),
        ("PC02KJ01", sum(g.amount for g in facts.guarantees)),
        ("PC02KJ02", sum(g.balance for g in facts.guarantees)),
    ])  # fmt: skip
    doc.close("PC02K", 3)


def _public_summaries(doc: Doc, facts: BureauFacts) -> None:
    if facts.telecom_arrears:
        doc.open("PNO", 1)
        doc.open("PC03", 2)
        doc.items(3, [("PC030S01", 1)])
        doc.block(
            "PC030H", 3, [("PC030D01", "1"), ("PC030S02", 1), ("PC030J01", facts.telecom_arrears)]
        )
        doc.close("PC03", 2)
        doc.close("PNO", 1)
    kinds = [
        (code, recs) for code, recs in (("2", facts.judgments), ("3", facts.enforcements)) if recs
    ]
    if kinds:
        doc.open("PPO", 1)
        doc.open("PC04", 2)
        doc.items(3, [("PC040S01", len(kinds))])
        for code, recs in kinds:
            doc.block(
                "PC040H",
                3,
                [
                    ("PC040D01", code),
                    ("PC040S02", len(recs)),
                    ("PC040J01", sum(a for _, a in recs)),
                ],
            )
        doc.close("PC04", 2)
        doc.close("PPO", 1)


def _query_summary(doc: Doc, facts: BureauFacts, month_only: bool) -> None:
    doc.open("PQO", 1)
    doc.open("PC05", 2)
    if facts.queries:
        last = facts.queries[0]
        doc.block(
            "PC05A",
            3,
            [
                ("PC05AR01", day_text(last.date, month_only)),
                ("PC05AD01", last.inst_type),
                ("PC05AI01", last.inst_code),
                ("PC05AQ01", last.reason),
            ],
        )
    counts = query_summary(facts)
    doc.block("PC05B", 3, [(f"PC05BS{i + 1:02d}", v) for i, v in enumerate(counts)])
    doc.close("PC05", 2)
    doc.close("PQO", 1)


def render_summaries(doc: Doc, facts: BureauFacts, month_only: bool) -> None:
    """``PCO`` (always, with ``PC02A``), ``PNO``/``PPO`` when there is something, ``PQO``."""
    doc.open("PCO", 1)
    doc.open("PC02", 2)
    _accounts_summary(doc, facts)
    _guarantee_summary(doc, facts)
    doc.close("PC02", 2)
    doc.close("PCO", 1)
    _public_summaries(doc, facts)
    _query_summary(doc, facts, month_only)
