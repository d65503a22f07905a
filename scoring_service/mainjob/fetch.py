"""Step 2's bulk fetch: every household's PBOC report over SOAP and Qianhai results over HTTP.

Both bureaus are real loopback servers answering from the sandbox province
(:class:`~bureau_adapters.pboc.simulator.PbocSimulator`,
:class:`~bureau_adapters.qianhai.simulator.QianhaiSimulator`); every query goes through
the bureau's client and so through the compliance gate (signed consent checked, answer
stored, one audit row). A failed query stops the job with its coded error: a vendor error
never becomes "no risk".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from bureau_adapters.pboc.models import PersonalReport

__all__ = [
    "OPERATOR",
    "PBOC_REASON",
    "QIANHAI_PRODUCTS",
    "QIANHAI_REASON",
    "BulkAnswers",
    "fetch_all",
    "record_consents",
]

#: Who the main job says it is in consents, queries and approvals.
OPERATOR = "nongxin-demo"
#: PBOC query reason: loan approval (贷款审批).
PBOC_REASON = "02"
#: Qianhai reasonCode: loan approval (贷款审批).
QIANHAI_REASON = "01"
#: Qianhai products queried for every household: credit score (8005), risk hints incl. the
#: dishonest judgment debtor list (8036), multi-lender borrowing (8037).
QIANHAI_PRODUCTS: tuple[str, ...] = ("8005", "8036", "8037")


def record_consents(engine: Any, households: pd.DataFrame, as_of: dt.date) -> int:
    """One signed consent per household and bureau at its bank (PBOC reason 02 and Qianhai
    reason 01, both loan approval; signed a week before ``as_of``, valid a year)."""
    from bureau_adapters.compliance import ConsentRegistry

    registry = ConsentRegistry(engine)
    for row in households.itertuples(index=False):
        for bureau, reason in (("pboc", PBOC_REASON), ("qianhai", QIANHAI_REASON)):
            registry.record(
                bank_code=str(row.bank_code),
                subject_id=str(row.id_number),
                bureau=bureau,
                reason=reason,
                signed_on=as_of - dt.timedelta(days=7),
                valid_until=as_of + dt.timedelta(days=365),
                document_sha256=hashlib.sha256(
                    f"consent-form:{bureau}:{row.household_id}".encode()
                ).hexdigest(),
                recorded_by=OPERATOR,
            )
    return len(households)


@dataclass
class BulkAnswers:
    """What the bulk fetch got, by ``household_id``."""

    pboc: dict[str, PersonalReport] = field(default_factory=dict)
    qianhai: dict[str, dict[str, Any]] = field(default_factory=dict)
    pboc_outcomes: dict[str, int] = field(default_factory=dict)
    qianhai_outcomes: dict[str, int] = field(default_factory=dict)
    reused: int = 0

    def count(self, table: dict[str, int], key: str) -> None:
        """Add one to ``table[key]``."""
        table[key] = table.get(key, 0) + 1


def _pboc_report(result: Any) -> PersonalReport:
    """The personal report of a PBOC answer; "no record" is an empty report (no history)."""
    from bureau_adapters.compliance import QueryOutcome
    from bureau_adapters.pboc import parse_report
    from scoring_service.mainjob.context import StepFailed

    if result.outcome is QueryOutcome.NO_RECORD or result.content is None:
        day = result.report_date or result.fetched_at.date()
        return PersonalReport(report_id="", report_date=day)
    report = parse_report(result.content)
    if not isinstance(report, PersonalReport):
        raise StepFailed("The PBOC answer is not a personal report.", code="MAINJOB_BUREAU")
    return report


def fetch_all(
    engine: Any, province: Path, households: pd.DataFrame, *, progress: bool = False
) -> tuple[BulkAnswers, dict[str, str]]:
    """Query both bureaus for every row of ``households`` (consents must be on record).

    Returns the answers and the simulators' endpoints (``pboc``, ``qianhai``).

    Raises
    ------
    BureauError
        The first query that failed (consent refused, vendor error, transport), coded.
    """
    from bureau_adapters.compliance import ComplianceGate, Subject
    from bureau_adapters.pboc.client import PbocClient
    from bureau_adapters.pboc.simulator import PbocSimulator
    from bureau_adapters.qianhai.models import Subject as QianhaiSubject
    from bureau_adapters.qianhai.simulator import QianhaiSimulator

    answers = BulkAnswers()
    rows: Iterable[Any] = households.itertuples(index=False)
    bar = tqdm(rows, total=len(households), desc="query bureaus", unit="household",
               disable=not progress)  # fmt: skip
    with PbocSimulator(province) as pboc_sim, QianhaiSimulator(province) as qh_sim:
        endpoints = {"pboc": pboc_sim.endpoint, "qianhai": qh_sim.base_url}
        with (
            PbocClient(engine, endpoint=pboc_sim.endpoint) as pboc,
            qh_sim.client(ComplianceGate(engine)) as qianhai,
        ):
            for row in bar:
                bank, hid = str(row.bank_code), str(row.household_id)
                subject = Subject(str(row.head_name), str(row.id_type), str(row.id_number))
                result = pboc.query(bank, subject, PBOC_REASON, OPERATOR, f"BOOK-{hid}")
                answers.pboc[hid] = _pboc_report(result)
                answers.count(answers.pboc_outcomes, result.outcome.value)
                answers.reused += int(result.reused)
                who = QianhaiSubject(name=str(row.head_name), id_number=str(row.id_number))
                ref = f"BOOK-{hid}"
                answers.qianhai[hid] = {
                    product: qianhai.query(product, who, bank_code=bank, reason=QIANHAI_REASON,
                                           business_ref=ref, operator=OPERATOR)
                    for product in QIANHAI_PRODUCTS
                }  # fmt: skip
                for r in answers.qianhai[hid].values():
                    answers.count(answers.qianhai_outcomes, str(r.outcome))
    return answers, endpoints
