"""Everything a household's PBOC report says, as plain facts (rendered by :mod:`.pboc`).

:func:`draw_bureau` draws, for one household: its accounts (:mod:`.accounts`,
:mod:`.performance`) and credit agreements, query records, guarantees given (``PD03``),
court and enforcement records, telecom arrears and the CRC score. Thin-file households
(白户) get no accounts but still get queries, guarantees and an identity section.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from scoring_service.sandbox.accounts import (
    Account,
    Agreement,
    HouseholdProfile,
    new_accounts,
)
from scoring_service.sandbox.institutions import BIG_BANKS, NONBANK, VILLAGE_BANKS
from scoring_service.sandbox.months import months_back
from scoring_service.sandbox.performance import fill_performance

__all__ = ["BureauFacts", "Guarantee", "Query", "draw_bureau"]

QUERY_WINDOWS = (1, 3, 6, 12, 24)


@dataclass(frozen=True, slots=True)
class Query:
    """One ``PH01`` query record."""

    date: dt.date
    inst_type: str
    inst_code: str
    reason: str  # 02 loan, 03 card, 08 guarantee qualification, 19 merchant review


@dataclass(frozen=True, slots=True)
class Guarantee:
    """A guarantee given for another farmer's loan (``PD03``, responsibility type 2)."""

    inst_type: str
    inst_code: str
    open_date: dt.date
    maturity: dt.date
    amount: int
    balance: int


@dataclass(slots=True)
class BureauFacts:
    """The content of one household's report."""

    report_date: dt.date
    accounts: list[Account] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    queries: list[Query] = field(default_factory=list)
    guarantees: list[Guarantee] = field(default_factory=list)
    judgments: list[tuple[dt.date, int]] = field(default_factory=list)
    enforcements: list[tuple[dt.date, int]] = field(default_factory=list)
    telecom_arrears: int = 0
    self_queries_1m: int = 0
    postloan_24m: int = 0
    crc_score: int | None = None

    @property
    def thin_file(self) -> bool:
        """白户: no loan or card account at all."""
        return not self.accounts


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _poisson(lam: float, rnd: random.Random) -> int:
    limit, k, prod = math.exp(-lam), 0, rnd.random()
    while prod > limit:
        k += 1
        prod *= rnd.random()
    return k


def thin_file_probability(age: int, income: float, z: float) -> float:
    """Chance that a household has never had a loan or card (白户)."""
    logit = -1.05 + (1.1 if age < 30 else 0.0) + 0.06 * max(age - 58, 0)
    logit += 0.6 if income < 30_000 else 0.0
    return _sigmoid(logit + 0.1 * z)


def _split_usage(acc: Account, cards: int) -> None:
    acc.balance //= cards
    acc.avg_used_6m //= cards
    acc.max_used //= cards
    acc.due //= cards
    acc.cur_amt //= cards


def _link_agreements(
    accounts: list[Account], report_date: dt.date, rnd: random.Random
) -> list[Agreement]:
    groups: dict[tuple[str, str], list[Account]] = {}
    for acc in accounts:
        if acc.kind in ("R4", "R2") or acc.kind == "R1":
            groups.setdefault((acc.kind, acc.inst_code), []).append(acc)
        elif acc.kind == "D1" and acc.business in ("51", "52", "53") and rnd.random() < 0.5:
            groups[("D1", f"{acc.inst_code}#{len(groups)}")] = [acc]
    out: list[Agreement] = []
    for (kind, _), members in groups.items():
        start = min(a.open_date for a in members)
        if kind == "R2":
            purpose = "30" if len(members) > 1 else "31"
            limit = max(a.amount for a in members)
            for a in members:  # every card repeats the shared limit; usage is split
                a.amount = limit
                if len(members) > 1:
                    _split_usage(a, len(members))
        elif kind == "R4":
            purpose, limit = "10", int(round(sum(a.amount for a in members) * 1.2, -4))
        else:
            purpose, limit = ("10" if kind == "R1" else "20"), members[0].amount
        ident = f"{members[0].inst_code[-6:]}{start:%Y%m%d}{len(out) + 1:02d}"
        for a in members:
            a.agreement = ident
        end = months_back(start, -36)
        while kind != "D1" and any(not a.closed for a in members) and end < report_date:
            end = months_back(end, -36)
        out.append(
            Agreement(ident, members[0].inst_type, members[0].inst_code, purpose, limit, start, end)
        )
    return out


def _avoid_boundaries(day: dt.date, report_date: dt.date) -> dt.date:
    """Move a query date off the exact first day of each window, so >= and > agree."""
    for n in QUERY_WINDOWS:
        if day == months_back(report_date, n):
            return day + dt.timedelta(days=1)
    return day


def _query_date(report_date: dt.date, recent: bool, rnd: random.Random) -> dt.date:
    back = min(729, 1 + int(rnd.expovariate(1 / 40.0))) if recent else rnd.randint(1, 729)
    return _avoid_boundaries(report_date - dt.timedelta(days=back), report_date)


def _application_queries(
    p: HouseholdProfile, accounts: list[Account], rnd: random.Random
) -> list[Query]:
    T = p.report_date
    earliest = T - dt.timedelta(days=729)
    out: list[Query] = []
    for acc in accounts:  # an application query precedes every recent account
        day = acc.open_date - dt.timedelta(days=rnd.randint(1, 15))
        if earliest <= day < T:
            reason = "02" if acc.is_loan else "03"
            out.append(Query(_avoid_boundaries(day, T), acc.inst_type, acc.inst_code, reason))
    recent = rnd.random() < _sigmoid(1.3 * p.z - 0.6)
    for _ in range(_poisson(0.3 * math.exp(0.85 * p.z), rnd)):  # credit hunting
        nonbank = rnd.random() < _sigmoid(p.z - 0.3)
        inst = rnd.choice(NONBANK) if nonbank else rnd.choice(VILLAGE_BANKS + BIG_BANKS)
        out.append(Query(_query_date(T, recent and rnd.random() < 0.8, rnd), *inst, "02"))
    for _ in range(_poisson(0.12 + 0.3 * _sigmoid(p.z - 0.5), rnd)):
        out.append(
            Query(_query_date(T, recent and rnd.random() < 0.5, rnd), *rnd.choice(BIG_BANKS), "03")
        )
    return out


def _other_queries(p: HouseholdProfile, accounts: list[Account], rnd: random.Random) -> list[Query]:
    T = p.report_date
    out: list[Query] = []
    if any(a.inst_code == p.bank_inst and not a.closed for a in accounts):
        for low, high in ((330, 400), (695, 728)):  # the bank's yearly re-rating
            if rnd.random() < 0.6:
                day = _avoid_boundaries(T - dt.timedelta(days=rnd.randint(low, high)), T)
                out.append(Query(day, "11", p.bank_inst, "02"))
    if p.joint_guarantee:
        for _ in range(_poisson(0.8, rnd)):
            inst = ("11", p.bank_inst) if rnd.random() < 0.7 else rnd.choice(VILLAGE_BANKS)
            out.append(Query(_query_date(T, False, rnd), *inst, "08"))
    if rnd.random() < 0.02:
        out.append(Query(_query_date(T, False, rnd), *rnd.choice(BIG_BANKS), "19"))
    return out


def _guarantees(p: HouseholdProfile, rnd: random.Random) -> list[Guarantee]:
    if rnd.random() >= (0.55 if p.joint_guarantee else 0.04):
        return []
    out = []
    for _ in range(1 + (rnd.random() < 0.35) + (rnd.random() < 0.1)):
        opened = p.report_date - dt.timedelta(days=rnd.randint(30, 700))
        term = rnd.choice((12, 24, 36))
        maturity = months_back(opened, -term)
        if maturity <= p.report_date:
            maturity = months_back(p.report_date, -rnd.randint(1, 6))
        amount = int(round(rnd.uniform(20_000, 60_000), -3))
        balance = int(round(amount * rnd.uniform(0.3, 1.0), -2))
        inst = ("11", p.bank_inst) if rnd.random() < 0.8 else rnd.choice(VILLAGE_BANKS)
        out.append(Guarantee(*inst, opened, maturity, amount, balance))
    return out


def _public_records(facts: BureauFacts, p: HouseholdProfile, rnd: random.Random) -> None:
    T = p.report_date
    if rnd.random() < _sigmoid(-6.0 + 1.4 * p.z):
        filed = T - dt.timedelta(days=rnd.randint(60, 1500))
        amount = int(round(rnd.uniform(5_000, 80_000), -2))
        facts.judgments.append((filed, amount))
        if rnd.random() < 0.6:
            facts.enforcements.append((filed + dt.timedelta(days=rnd.randint(30, 50)), amount))
    if rnd.random() < _sigmoid(-4.5 + 1.0 * p.z):
        facts.telecom_arrears = rnd.randint(30, 600)


def _crc_score(p: HouseholdProfile, thin: bool, rnd: random.Random) -> int | None:
    if thin:
        return None
    return int(min(950, max(300, round(640 - 70 * p.z + rnd.gauss(0.0, 45.0)))))


def draw_bureau(p: HouseholdProfile, thin: bool, rnd: random.Random) -> BureauFacts:
    """All report facts of one household (thin-file households get no accounts)."""
    facts = BureauFacts(report_date=p.report_date)
    if not thin:
        facts.accounts = new_accounts(p, rnd)
        for acc in facts.accounts:
            fill_performance(acc, p, rnd)
        facts.agreements = _link_agreements(facts.accounts, p.report_date, rnd)
    queries = _application_queries(p, facts.accounts, rnd) + _other_queries(p, facts.accounts, rnd)
    facts.queries = sorted(queries, key=lambda q: (q.date, q.inst_code, q.reason), reverse=True)
    facts.guarantees = _guarantees(p, rnd)
    _public_records(facts, p, rnd)
    open_bank_loans = sum(
        1 for a in facts.accounts if a.is_loan and not a.closed and a.inst_type == "11"
    )
    facts.postloan_24m = sum(rnd.randint(1, 2) for _ in range(open_bank_loans))
    facts.self_queries_1m = int(rnd.random() < 0.04)
    facts.crc_score = _crc_score(p, thin, rnd)
    return facts
