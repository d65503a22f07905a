"""Stage (a) of the pipeline: consent check → bureau fetch or reuse → parse → features.

Per request and I/O-bound; the batch job skips it when the features are precomputed. Every
bureau query goes through :class:`~bureau_adapters.pboc.client.PbocClient`, i.e. the
compliance gate (consent, reuse window, report store, audit row). A bureau that fails raises
its coded :class:`~bureau_adapters.exceptions.BureauError`; a failed fetch is never "no risk".
"No record" (白户) is an answer: the features of an empty report (no history, not clean).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bureau_adapters.compliance.audit import QueryOutcome
from bureau_adapters.compliance.gate import QueryResult
from bureau_adapters.compliance.subject import Subject
from bureau_adapters.pboc import parse_report
from bureau_adapters.pboc.client import PbocClient
from bureau_adapters.pboc.features import personal_features
from bureau_adapters.pboc.models import PersonalReport
from scoring_service.exceptions import InputError
from scoring_service.pipeline.inputs import SURVEY_COLUMNS, input_frame

__all__ = ["BureauGateway", "RatingRequest", "gather"]


@dataclass(frozen=True)
class RatingRequest:
    """One household to rate at one bank.

    Parameters
    ----------
    bank_code : str
        The bank whose consent, reports and policy apply.
    subject : Subject
        The applicant (name, ID type and number; the ID check digit is verified).
    survey : mapping
        Survey values by column name (``docs/data-model.md``), without ``requested_product``.
    product : str
        Requested product (``pure_credit``, ``joint_guarantee``, ``guaranteed``, ``mortgage``).
    query_reason : str
        PBOC query reason code (``02`` loan approval).
    consent_id : str, optional
        The consent that must authorise the query (any valid one when absent).
    operator, business_ref : str
        Who asks and the bank's reference of the application (audit).
    household_id : str, optional
        The bank's household reference (passed through to the decision).
    """

    bank_code: str
    subject: Subject
    survey: Mapping[str, Any]
    product: str
    query_reason: str = "02"
    consent_id: str | None = None
    operator: str = "api"
    business_ref: str = "-"
    household_id: str | None = None


@dataclass
class BureauGateway:
    """PBOC access for the pipeline, with parsed features cached by stored report.

    Parameters
    ----------
    pboc : PbocClient
        Consent-gated, audited PBOC client.
    cache_size : int
        Stored reports whose features are kept in memory (reuse skips parsing).
    """

    pboc: PbocClient
    cache_size: int = 4096
    _cache: OrderedDict[tuple[str, int], dict[str, Any]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def pboc_features(self, request: RatingRequest) -> tuple[dict[str, Any], QueryResult]:
        """The PBOC features of the request's subject and the gate's answer."""
        result = self.pboc.query(
            request.bank_code,
            request.subject,
            request.query_reason,
            request.operator,
            request.business_ref,
            consent_id=request.consent_id,
        )
        key = (request.bank_code, result.store_id)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached, result
        features = _features(result)
        with self._lock:
            self._cache[key] = features
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return features, result


def _features(result: QueryResult) -> dict[str, Any]:
    if result.outcome is QueryOutcome.NO_RECORD or result.content is None:
        day = result.report_date or result.fetched_at.date()
        return personal_features(PersonalReport(report_id="", report_date=day))
    report = parse_report(result.content)
    if not isinstance(report, PersonalReport):
        raise InputError("The stored PBOC report is not a personal report.", field="subject")
    return personal_features(report)


def _row(request: RatingRequest, features: Mapping[str, Any], report_ids: str) -> dict[str, Any]:
    unknown = sorted(set(request.survey) - set(SURVEY_COLUMNS))
    if unknown:
        raise InputError(f"Unknown survey fields: {unknown}.", field=f"survey.{unknown[0]}")
    return {
        "household_id": request.household_id,
        "business_ref": request.business_ref,
        "bank_code": request.bank_code,
        **request.survey,
        "requested_product": request.product,
        **features,
        "report_ids": report_ids,
    }


def gather(requests: Sequence[RatingRequest], bureaus: BureauGateway) -> pd.DataFrame:
    """The typed input frame of ``requests`` (stage (a)); one row per request, in order.

    Raises
    ------
    ConsentError, BureauError
        From the compliance gate and the bureau (coded; nothing is decided).
    InputError
        A malformed survey (the field is named).
    """
    rows = []
    for request in requests:
        features, result = bureaus.pboc_features(request)
        report_ids = f"pboc:{result.report_id or 'no_record'}@{result.store_id}"
        rows.append(_row(request, features, report_ids))
    raw = pd.DataFrame(rows)
    frame = input_frame(raw)
    for name in ("household_id", "business_ref", "report_ids"):
        frame[name] = raw[name].to_numpy()
    return frame
