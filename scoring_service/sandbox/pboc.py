"""Render a household's :class:`~.bureau.BureauFacts` as a second-generation PBOC personal
report (``<Document>`` with the ``PRH``…``POQ`` units), by fast string building.

Element names, order and indentation follow the shared real-format sample. Deliberate
real-world quirks ("traps", see docs/sandbox.md) are chosen per report by :class:`Quirks`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from xml.sax.saxutils import escape

from scoring_service.sandbox.bureau import BureauFacts
from scoring_service.sandbox.months import months_back
from scoring_service.sandbox.pboc_accounts import DetailStyle, render_details
from scoring_service.sandbox.pboc_credit import render_summaries
from scoring_service.sandbox.xmltext import Doc, day_text

__all__ = ["Person", "Quirks", "render_report"]

_EDUCATION = {"primary": "91", "junior": "91", "senior": "60", "college": "30"}
_MARITAL = {"single": "10", "married": "20", "widowed": "30", "divorced": "40"}


@dataclass(frozen=True, slots=True)
class Person:
    """Identity and contact data shown in ``PRH``/``PIM``/``PMM``/``PRM``/``POM``."""

    name: str
    id_number: str
    male: bool
    birth: dt.date
    education: str
    marital: str
    phone: str
    spouse_name: str
    spouse_id: str
    spouse_phone: str
    address: str
    employment: str  # PB01AD04 code
    bank_inst: str
    county: str


@dataclass(frozen=True, slots=True)
class Quirks:
    """Real-message quirks applied to one report."""

    month_only_dates: bool  # day-precision fields given as YYYY-MM
    bad_inst_type: bool  # institution type 2010 on the querying bank's own accounts
    masked_account_ids: bool  # PD01AI03 = ******
    shuffled_windows: bool  # PD01DH not in month order on some accounts
    query_user: bool  # PA01BI03 present

    @classmethod
    def draw(cls, rnd: random.Random) -> Quirks:
        """Each quirk independently, at the rates documented in docs/sandbox.md."""
        return cls(
            rnd.random() < 0.10,
            rnd.random() < 0.05,
            rnd.random() < 0.30,
            rnd.random() < 0.10,
            rnd.random() < 0.5,
        )


def _header(
    doc: Doc, person: Person, facts: BureauFacts, quirks: Quirks, rnd: random.Random
) -> None:
    hms = rnd.randint(8 * 3600, 17 * 3600)
    stamp = dt.datetime.combine(facts.report_date, dt.time(hms // 3600, hms // 60 % 60, hms % 60))
    doc.open("PRH", 1)
    doc.open("PA01", 2)
    doc.open("PA01A", 3)
    doc.items(
        4,
        [
            ("PA01AI01", f"{stamp:%Y%m%d%H%M%S}{rnd.randint(0, 99_999_999):08d}"),
            ("PA01AR01", stamp.isoformat()),
        ],
    )
    doc.close("PA01A", 3)
    doc.open("PA01B", 3)
    rows: list[tuple[str, object]] = [
        ("PA01BQ01", escape(person.name)),
        ("PA01BD01", "10"),
        ("PA01BI01", person.id_number),
        ("PA01BI02", person.bank_inst),
    ]
    if quirks.query_user:
        rows.append(("PA01BI03", f"{person.bank_inst[1:4]}_user{rnd.randint(1, 40):02d}"))
    rows.append(("PA01BD02", "02"))
    doc.items(4, rows)
    doc.close("PA01B", 3)
    doc.open("PA01E", 3)
    doc.items(4, [("PA01ES01", 0)])
    doc.close("PA01E", 3)
    doc.close("PA01", 2)
    doc.close("PRH", 1)


def _identity(doc: Doc, person: Person, updated: str) -> None:
    doc.open("PIM", 1)
    doc.open("PB01", 2)
    doc.block("PB01A", 3, [
        ("PB01AD01", "1" if person.male else "2"), ("PB01AR01", person.birth.isoformat()),
        ("PB01AD02", _EDUCATION[person.education]), ("PB01AD03", "4" if person.education == "college" else "5"),
        ("PB01AD04", person.employment), ("PB01AQ01", ""), ("PB01AQ02", escape(person.address)),
        ("PB01AD05", "CHN"), ("PB01AQ03", escape(person.address)),
    ])  # fmt: skip
    doc.open("PB01B", 3)
    doc.items(4, [("PB01BS01", 1)])
    doc.block("PB01BH", 4, [("PB01BQ01", person.phone), ("PB01BR01", updated)])
    doc.close("PB01B", 3)
    doc.close("PB01", 2)
    doc.close("PIM", 1)


def _family_home_work(doc: Doc, person: Person, updated: str) -> None:
    marriage: list[tuple[str, object]] = [("PB020D01", _MARITAL[person.marital])]
    if person.spouse_id:
        marriage += [
            ("PB020Q01", escape(person.spouse_name)), ("PB020D02", "10"), ("PB020I01", person.spouse_id),
            ("PB020Q02", ""), ("PB020Q03", person.spouse_phone),
        ]  # fmt: skip
    doc.nested(("PMM", "PB02"), 1, marriage)
    home = escape(person.address)
    doc.nested(
        ("PRM", "PB03"),
        1,
        [("PB030D01", "11"), ("PB030Q01", home), ("PB030Q02", ""), ("PB030R01", updated)],
    )
    doc.nested(("POM", "PB04"), 1, [
        ("PB040D01", person.employment), ("PB040Q01", "--"), ("PB040D02", "99"), ("PB040D03", "A"),
        ("PB040R02", updated),
    ])  # fmt: skip


def _score(doc: Doc, facts: BureauFacts) -> None:
    doc.open("PSM", 1)
    doc.open("PC01", 2)
    if facts.crc_score is None:
        doc.items(3, [("PC010Q01", "--"), ("PC010Q02", "--"), ("PC010S01", 0)])
    else:
        pct = min(99, max(1, round((facts.crc_score - 300) / 6.5)))
        doc.items(3, [("PC010Q01", facts.crc_score), ("PC010Q02", pct), ("PC010S01", 0)])
    doc.close("PC01", 2)
    doc.close("PSM", 1)


def render_report(person: Person, facts: BureauFacts, quirks: Quirks, rnd: random.Random) -> str:
    """The report XML (no declaration, like the real decoded samples) as text."""
    doc = Doc("Document")
    _header(doc, person, facts, quirks, rnd)
    updated = day_text(months_back(facts.report_date, 7), quirks.month_only_dates)
    _identity(doc, person, updated)
    _family_home_work(doc, person, updated)
    _score(doc, facts)
    render_summaries(doc, facts, quirks.month_only_dates)
    style = DetailStyle(
        person.bank_inst, person.county, quirks.month_only_dates, quirks.bad_inst_type,
        quirks.masked_account_ids, quirks.shuffled_windows,
    )  # fmt: skip
    render_details(doc, facts, style, rnd)
    return doc.text("Document")
