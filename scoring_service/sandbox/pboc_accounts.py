"""Detail units of the sandbox PBOC report: agreements (``PCA/PD02``), accounts
(``PDA/PD01``), guarantees (``PCR/PD03``), telecom arrears (``PND/PE01``), court records
(``PCJ/PF02``, ``PCE/PF03``) and query records (``POQ/PH01``)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from scoring_service.sandbox.accounts import Account
from scoring_service.sandbox.bureau import BureauFacts
from scoring_service.sandbox.months import month_index, month_label, month_start, months_back
from scoring_service.sandbox.xmltext import PAD, Doc, day_text

__all__ = ["DetailStyle", "render_details"]

_DH_OPEN = f"{PAD[4]}<PD01DH>\n"
_DR03 = f"{PAD[5]}<PD01DR03>"
_DD01 = f"{PAD[5]}<PD01DD01>"
_DH_CLOSE = f"{PAD[4]}</PD01DH>"


@dataclass(frozen=True, slots=True)
class DetailStyle:
    """Per-report rendering choices (the quirks of docs/sandbox.md)."""

    bank_inst: str
    county: str
    month_only_dates: bool
    bad_inst_type: bool
    masked_account_ids: bool
    shuffled_windows: bool


def _inst_type(inst_type: str, inst_code: str, style: DetailStyle) -> str:
    return "2010" if style.bad_inst_type and inst_code == style.bank_inst else inst_type


def _agreements(doc: Doc, facts: BureauFacts, style: DetailStyle, rnd: random.Random) -> None:
    if not facts.agreements:
        return
    doc.open("PCA", 1)
    base = rnd.randint(10_000, 80_000)
    for k, agr in enumerate(facts.agreements):
        used = sum(a.balance for a in facts.accounts if a.agreement == agr.ident and not a.closed)
        doc.open("PD02", 2)
        doc.block("PD02A", 3, [
            ("PD02AI01", base + k), ("PD02AD01", _inst_type(agr.inst_type, agr.inst_code, style)),
            ("PD02AI02", agr.inst_code), ("PD02AI03", agr.ident), ("PD02AD02", agr.purpose),
            ("PD02AJ01", agr.limit), ("PD02AD03", "CNY"), ("PD02AR01", agr.start.isoformat()),
            ("PD02AR02", agr.end.isoformat()), ("PD02AD04", "1" if agr.end >= facts.report_date else "2"),
            ("PD02AJ04", used),
        ])  # fmt: skip
        doc.close("PD02", 2)
    doc.close("PCA", 1)


def _basic(
    acc: Account, seq: int, style: DetailStyle, rnd: random.Random
) -> list[tuple[str, object]]:
    ident = "******" if style.masked_account_ids else f"{rnd.randint(10**11, 10**12 - 1)}"
    rows: list[tuple[str, object]] = [
        ("PD01AI01", seq), ("PD01AD01", acc.kind), ("PD01AD02", _inst_type(acc.inst_type, acc.inst_code, style)),
        ("PD01AI02", acc.inst_code), ("PD01AI03", ident),
    ]  # fmt: skip
    if acc.agreement:
        rows.append(("PD01AI04", acc.agreement))
    if acc.term:
        maturity = months_back(acc.open_date, -acc.term).isoformat()
    else:
        maturity = months_back(acc.open_date, -36).isoformat() if acc.kind == "R1" else "--"
    rows += [
        ("PD01AD03", acc.business),
        ("PD01AR01", acc.open_date.isoformat()),
        ("PD01AR02", maturity),
        ("PD01AD04", "CNY"),
    ]
    if acc.kind in ("D1", "R4"):
        rows.append(("PD01AJ01", acc.amount))
    else:
        rows.append(("PD01AJ02", acc.amount))
        if acc.agreement and acc.kind == "R2":
            rows.append(("PD01AJ03", acc.amount))
    rows += [("PD01AD05", acc.method), ("PD01AD06", "03"), ("PD01AS01", acc.term or "--")]
    rows += [("PD01AD07", acc.guarantee), ("PD01AD08", "1"), ("PD01AD09", "0")]
    return rows


def _report_day(acc: Account, report_date: dt.date, rnd: random.Random) -> dt.date:
    if acc.last_month == month_index(report_date):
        return report_date - dt.timedelta(days=rnd.randint(0, min(report_date.day - 1, 9)))
    return month_start(acc.last_month) + dt.timedelta(days=rnd.randint(19, 27))


def _five_class(periods: int) -> str:
    return "1" if periods == 0 else "2" if periods <= 2 else "3" if periods <= 4 else "4"


def _latest(acc: Account, report_day: dt.date, last_status: str) -> list[tuple[str, object]]:
    paid = acc.due if acc.cur_periods == 0 else 0
    if acc.cur_periods:
        last_paid = day_text(months_back(report_day, acc.cur_periods))
    elif acc.balance == 0 and not acc.is_loan:
        last_paid = "0000-00"
    else:
        last_paid = day_text(report_day)
    rows: list[tuple[str, object]] = [
        ("PD01CR01", month_label(acc.last_month)),
        ("PD01CD01", "2" if acc.cur_periods and acc.is_loan else "1"),
        ("PD01CJ01", acc.balance),
    ]
    if acc.kind in ("R1", "R2", "R3"):
        rows.append(("PD01CJ02", acc.balance))
    elapsed = acc.last_month - month_index(acc.open_date)
    rows += [
        ("PD01CD02", _five_class(acc.cur_periods)),
        ("PD01CS01", max(acc.term - elapsed, 0) if acc.term else "--"),
        ("PD01CR02", (month_start(acc.last_month) + dt.timedelta(days=19)).isoformat()),
        ("PD01CJ04", acc.due), ("PD01CJ05", paid), ("PD01CR03", last_paid),
        ("PD01CS02", acc.cur_periods), ("PD01CJ06", acc.cur_amt),
    ]  # fmt: skip
    bucket = {
        2: "PD01CJ07",
        3: "PD01CJ08",
        4: "PD01CJ09",
        5: "PD01CJ09",
        6: "PD01CJ09",
        7: "PD01CJ10",
    }.get(acc.cur_periods)
    if bucket:
        rows.append((bucket, int(acc.cur_amt * 0.8)))
    if acc.kind == "R2":
        rows += [("PD01CJ12", acc.avg_used_6m), ("PD01CJ14", acc.max_used)]
    elif acc.kind == "R3":
        rows += [("PD01CJ13", acc.avg_used_6m), ("PD01CJ15", acc.max_used)]
    rows.append(("PD01CR04", report_day.isoformat()))
    return rows


def _performance(
    doc: Doc, acc: Account, facts: BureauFacts, style: DetailStyle, rnd: random.Random
) -> None:
    if acc.closed:
        closed = min(
            month_start(acc.close_month) + dt.timedelta(days=rnd.randint(0, 27)), facts.report_date
        )
        doc.block("PD01B", 3, [
            ("PD01BD01", "4" if acc.kind in ("R2", "R3") else "3"),
            ("PD01BR01", day_text(closed, style.month_only_dates)), ("PD01BJ01", 0),
            ("PD01BR02", closed.isoformat()), ("PD01BJ02", acc.due or acc.amount), ("PD01BD04", "C"),
            ("PD01BR03", closed.isoformat()),
        ])  # fmt: skip
        return
    day = _report_day(acc, facts.report_date, rnd)
    last_status = next((s for s in reversed(acc.statuses) if s), "*")
    doc.block("PD01B", 3, [
        ("PD01BD01", ""), ("PD01BJ01", acc.balance), ("PD01BR02", day.isoformat()), ("PD01BJ02", acc.due if not acc.cur_periods else 0),
        ("PD01BD03", _five_class(acc.cur_periods)), ("PD01BD04", last_status), ("PD01BR03", day.isoformat()),
    ])  # fmt: skip
    doc.block("PD01C", 3, _latest(acc, day, last_status))


def _window(doc: Doc, acc: Account, style: DetailStyle, rnd: random.Random) -> None:
    first = acc.last_month - 23
    entries = [(month_label(first + i), s) for i, s in enumerate(acc.statuses)]
    if style.shuffled_windows and rnd.random() < 0.5:
        cut = rnd.randint(1, 23)
        entries = entries[cut:] + entries[:cut]
    doc.open("PD01D", 3)
    doc.items(4, [("PD01DR01", month_label(first)), ("PD01DR02", month_label(acc.last_month))])
    doc.lines.extend(
        f"{_DH_OPEN}{_DR03}{month}</PD01DR03>\n{_DD01}{status}</PD01DD01>\n{_DH_CLOSE}"
        for month, status in entries
    )
    doc.close("PD01D", 3)


def _accounts(doc: Doc, facts: BureauFacts, style: DetailStyle, rnd: random.Random) -> None:
    if not facts.accounts:
        return
    doc.open("PDA", 1)
    base = rnd.randint(10_000, 80_000)
    for k, acc in enumerate(facts.accounts):
        doc.open("PD01", 2)
        doc.block("PD01A", 3, _basic(acc, base + k, style, rnd))
        _performance(doc, acc, facts, style, rnd)
        _window(doc, acc, style, rnd)
        doc.close("PD01", 2)
    doc.close("PDA", 1)


def _guarantees(doc: Doc, facts: BureauFacts, rnd: random.Random) -> None:
    if not facts.guarantees:
        return
    doc.open("PCR", 1)
    for g in facts.guarantees:
        doc.open("PD03", 2)
        doc.block("PD03A", 3, [
            ("PD03AD08", "1"), ("PD03AD01", g.inst_type), ("PD03AQ01", g.inst_code), ("PD03AD02", "51"),
            ("PD03AR01", g.open_date.isoformat()), ("PD03AR02", g.maturity.isoformat()), ("PD03AD03", "2"),
            ("PD03AQ02", f"DB{g.open_date:%Y%m%d}{rnd.randint(0, 9999):04d}"), ("PD03AJ01", g.amount),
            ("PD03AD04", "CNY"), ("PD03AJ02", g.balance), ("PD03AD05", "1"), ("PD03AD06", "D1"),
            ("PD03AD07", "N"), ("PD03AS01", 0),
            ("PD03AR03", (facts.report_date - dt.timedelta(days=rnd.randint(1, 20))).isoformat()),
        ])  # fmt: skip
        doc.close("PD03", 2)
    doc.close("PCR", 1)


def _public(doc: Doc, facts: BureauFacts, style: DetailStyle) -> None:
    T = facts.report_date
    if facts.telecom_arrears:
        doc.nested(("PND", "PE01", "PE01A"), 1, [
            ("PE01AD01", "TE"), ("PE01AQ01", "中国移动湖南分公司"), ("PE01AD02", "2"),
            ("PE01AR01", months_back(T, 60).isoformat()), ("PE01AD03", "1"), ("PE01AJ01", facts.telecom_arrears),
            ("PE01AR02", month_label(month_index(T) - 1)), ("PE01AQ02", "N" * 21 + "123"),
        ])  # fmt: skip
    court = f"{style.county}人民法院"
    for unit, seg, records in (
        ("PCJ", "PF02", facts.judgments),
        ("PCE", "PF03", facts.enforcements),
    ):
        if not records:
            continue
        doc.open(unit, 1)
        for filed, amount in records:
            rows = (
                _judgment(court, filed, amount)
                if seg == "PF02"
                else _enforcement(court, filed, amount)
            )
            doc.nested((seg, f"{seg}A"), 2, rows)
        doc.close(unit, 1)


def _judgment(court: str, filed: dt.date, amount: int) -> list[tuple[str, object]]:
    return [
        ("PF02AQ01", court), ("PF02AQ02", "借款合同纠纷"), ("PF02AR01", filed.isoformat()), ("PF02AD01", "1"),
        ("PF02AQ03", "判决"), ("PF02AR02", (filed + dt.timedelta(days=25)).isoformat()), ("PF02AQ04", "借款"),
        ("PF02AJ01", amount),
    ]  # fmt: skip


def _enforcement(court: str, filed: dt.date, amount: int) -> list[tuple[str, object]]:
    return [
        ("PF03AQ01", court), ("PF03AQ02", "借款合同纠纷"), ("PF03AR01", filed.isoformat()), ("PF03AD01", "001"),
        ("PF03AQ03", "执行中"), ("PF03AR02", ""), ("PF03AQ04", "借款"), ("PF03AJ01", amount),
        ("PF03AQ05", "--"), ("PF03AJ02", 0),
    ]  # fmt: skip


def _queries(doc: Doc, facts: BureauFacts) -> None:
    if not facts.queries:
        return
    doc.open("POQ", 1)
    for q in facts.queries:
        doc.block(
            "PH01",
            2,
            [
                ("PH010R01", q.date.isoformat()),
                ("PH010D01", q.inst_type),
                ("PH010Q02", q.inst_code),
                ("PH010Q03", q.reason),
            ],
        )
    doc.close("POQ", 1)


def render_details(doc: Doc, facts: BureauFacts, style: DetailStyle, rnd: random.Random) -> None:
    """``PCA``, ``PDA``, ``PCR``, ``PND``, ``PCJ``, ``PCE``, ``POQ`` in the sample's order."""
    _agreements(doc, facts, style, rnd)
    _accounts(doc, facts, style, rnd)
    _guarantees(doc, facts, rnd)
    _public(doc, facts, style)
    _queries(doc, facts)
