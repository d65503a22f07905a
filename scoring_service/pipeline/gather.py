"""Stage (a) of the pipeline: consent check → bureau fetch or reuse → parse → features.

Per request and I/O-bound; the batch job skips it when the features are precomputed. Every
bureau query goes through the compliance gate (consent, reuse window, report store, audit
row): PBOC through :class:`~bureau_adapters.pboc.client.PbocClient`, then each Qianhai product
the bank's :class:`~bureau_adapters.qianhai.plan.QianhaiPlan` names through
:class:`~bureau_adapters.qianhai.client.QianhaiClient` (``qh_*`` features, catalog
``qh-features/1``). A bureau that fails raises its coded
:class:`~bureau_adapters.exceptions.BureauError`; a failed fetch is never "no risk" (a
bank's plan that leaves out a product whose features the champion reads is refused,
``QH_PLAN_INCOMPLETE``, so a knockout reading them cannot pass silently). "No record" (白户) is an answer: the features of an empty report (no history, not
clean); Qianhai's ``E000996`` is an answer too (see :mod:`bureau_adapters.qianhai.features`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from bureau_adapters.compliance.audit import QueryOutcome
from bureau_adapters.compliance.consent import query_date
from bureau_adapters.compliance.gate import QueryResult
from bureau_adapters.compliance.subject import RESIDENT_ID, Subject
from bureau_adapters.exceptions import ConsentError
from bureau_adapters.pboc import features_from_bytes
from bureau_adapters.pboc.client import PbocClient
from bureau_adapters.pboc.features import personal_features
from bureau_adapters.pboc.models import PersonalReport
from bureau_adapters.qianhai.errors import QianhaiConfigError
from bureau_adapters.qianhai.features import qh_features
from bureau_adapters.qianhai.models import QianhaiResult
from bureau_adapters.qianhai.models import Subject as QianhaiSubject
from bureau_adapters.qianhai.plan import QianhaiPlan
from scoring_service.exceptions import InputError
from scoring_service.pipeline.inputs import SURVEY_COLUMNS, TypedInputs, typed_inputs

if TYPE_CHECKING:
    from bureau_adapters.qianhai.client import QianhaiClient

__all__ = ["BureauGateway", "RatingRequest", "gather", "gather_inputs"]


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
    qianhai_consent_id : str, optional
        The Qianhai consent that must authorise its queries (any valid one when absent).
    qianhai_reason : str, optional
        Qianhai reasonCode (default: mapped from ``query_reason`` by the plan, 02 → 01).
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
    qianhai_consent_id: str | None = None
    qianhai_reason: str | None = None


#: PBOC certificate type -> Qianhai idType (resident ID card only, for now).
_QIANHAI_ID_TYPES = {RESIDENT_ID: "0"}


def _no_columns() -> Sequence[str]:
    return ()


@dataclass
class BureauGateway:
    """Bureau access for the pipeline, with features cached by stored report.

    Parameters
    ----------
    pboc : PbocClient
        Consent-gated, audited PBOC client.
    cache_size : int
        Stored reports whose features are kept in memory (reuse skips parsing).
    qianhai : QianhaiClient, optional
        Consent-gated, audited Qianhai client (sharing the PBOC client's gate). Without one,
        a bank whose plan names products gets ``QH_NOT_CONFIGURED`` (a coded 503).
    plan : QianhaiPlan
        Qianhai products per bank (``config/bureaus.yaml``); default ``model``.
    model_columns : callable, optional
        ``bank_code -> columns`` the bank's champion reads (for the plan's ``model``);
        without it, ``model`` means no Qianhai product.
    """

    pboc: PbocClient
    cache_size: int = 4096
    qianhai: QianhaiClient | None = None
    plan: QianhaiPlan = field(default_factory=QianhaiPlan)
    model_columns: Callable[[str], Sequence[str]] | None = None
    _cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _cached(
        self, key: tuple[Any, ...], compute: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        features = compute()
        with self._lock:
            self._cache[key] = features
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return features

    def qianhai_products(self, bank_code: str) -> tuple[str, ...]:
        """The Qianhai products queried for ``bank_code`` (the plan; ``model`` resolved)."""
        columns = self.model_columns
        return self.plan.products(
            bank_code, (lambda: columns(bank_code)) if columns is not None else _no_columns
        )

    def qianhai_ready(self, request: RatingRequest) -> tuple[str, ...]:
        """Refuse early what would fail the Qianhai step after PBOC was paid for: Qianhai not
        configured, an unmapped query reason, an ID type Qianhai does not take, no valid
        Qianhai consent (the refusal is audited by the gate, as always; nothing is sent).
        Returns the products the request will query (for :meth:`qianhai_features`)."""
        products = self.qianhai_products(request.bank_code)
        if not products:
            return products
        client = self._qianhai_client(request, products)
        _qianhai_subject(request.subject)  # an ID type Qianhai does not take: InputError
        reason = self._qianhai_reason(request)
        try:
            client.gate.consents.check(
                bank_code=request.bank_code,
                subject_id=request.subject.id_number,
                bureau="qianhai",
                reason=reason,
                consent_id=request.qianhai_consent_id,
            )
        except ConsentError:
            # run the first product: the gate checks the consent again, audits the refusal
            # and raises its own ConsentError. If the consent became valid in between, the
            # query ran and its answer is stored (reused below): no stale refusal after that.
            self._qianhai_run(client, request, products[0])
        return products

    def _qianhai_client(self, request: RatingRequest, products: Sequence[str]) -> QianhaiClient:
        if self.qianhai is None:
            raise QianhaiConfigError(
                f"Bank {request.bank_code} rates with Qianhai products {list(products)}, but "
                "Qianhai is not configured (NONGXIN_QIANHAI_*).",
                code="QH_NOT_CONFIGURED",
                bank_code=request.bank_code,
            )
        return self.qianhai

    def _qianhai_reason(self, request: RatingRequest) -> str:
        return request.qianhai_reason or self.plan.reason_for(request.query_reason)

    def _qianhai_run(
        self, client: QianhaiClient, request: RatingRequest, product: str
    ) -> tuple[QianhaiResult, QueryResult]:
        """One product about the request's subject through the gate (audited, maybe reused)."""
        return client.run(
            product,
            _qianhai_subject(request.subject),
            bank_code=request.bank_code,
            reason=self._qianhai_reason(request),
            business_ref=request.business_ref,
            operator=request.operator,
            consent_id=request.qianhai_consent_id,
        )

    def qianhai_features(
        self, request: RatingRequest, products: Sequence[str]
    ) -> tuple[dict[str, Any], list[str]]:
        """The ``qh_*`` features of the request's subject from ``products`` (what
        :meth:`qianhai_ready` answered for it; none when the bank's plan names no product)
        and the report ids (``qianhai:<product>:<transNo>@<store id>``)."""
        if not products:
            return {}, []
        client = self._qianhai_client(request, products)
        results: dict[str, QianhaiResult] = {}
        answers: list[QueryResult] = []
        for product in products:
            result, answer = self._qianhai_run(client, request, product)
            results[product] = result
            answers.append(answer)
        as_of = _as_of(answers)
        key = ("qianhai", request.bank_code, *(a.store_id for a in answers), as_of)
        features = self._cached(key, lambda: qh_features(results, as_of=as_of))
        ids = [
            f"qianhai:{p}:{a.report_id or 'no_data'}@{a.store_id}"
            for p, a in zip(products, answers, strict=True)
        ]
        return features, ids

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
        key = ("pboc", request.bank_code, result.store_id)
        return self._cached(key, lambda: _features(result)), result


def _qianhai_subject(subject: Subject) -> QianhaiSubject:
    id_type = _QIANHAI_ID_TYPES.get(subject.id_type)
    if id_type is None:
        raise InputError(
            f"Qianhai is queried with resident ID cards only (id_type {RESIDENT_ID}). "
            f"Got id_type {subject.id_type!r}.",
            field="applicant.id_type",
        )
    return QianhaiSubject(id_number=subject.id_number, name=subject.name, id_type=id_type)


def _as_of(answers: Sequence[QueryResult]) -> dt.date:
    """The date Qianhai windows count back from: the oldest answer's query date."""
    dates = [a.report_date or query_date(a.fetched_at) for a in answers]
    return min(dates)


def _features(result: QueryResult) -> dict[str, Any]:
    if result.outcome is QueryOutcome.NO_RECORD or result.content is None:
        day = result.report_date or result.fetched_at.date()
        return personal_features(PersonalReport(report_id="", report_date=day))
    # the fast path: exactly personal_features(parse_report(...)) without the typed report;
    # an enterprise report is refused (PBOC_NOT_PERSONAL, a coded bureau error)
    return features_from_bytes(result.content)


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
    """The typed input frame of ``requests`` (stage (a)); one row per request, in order:
    ``gather_inputs(requests, bureaus).frame()`` (see :func:`gather_inputs`)."""
    return gather_inputs(requests, bureaus).frame()


def gather_inputs(requests: Sequence[RatingRequest], bureaus: BureauGateway) -> TypedInputs:
    """The checked, typed inputs of ``requests`` (stage (a)), one row per request, in order,
    with ``household_id``, ``business_ref`` and ``report_ids`` passed through. The online
    path hands them to :func:`~scoring_service.pipeline.decide` and the decision store as
    they are (checked once, no frame built).

    Raises
    ------
    ConsentError, BureauError
        From the compliance gate and the bureaus (coded; nothing is decided), including
        ``QH_NOT_CONFIGURED`` when a bank's plan names Qianhai products and no client exists.
    InputError
        A malformed survey (the field is named).
    """
    rows = []
    for request in requests:
        products = bureaus.qianhai_ready(request)  # before PBOC is paid for
        features, result = bureaus.pboc_features(request)
        qh, qh_ids = bureaus.qianhai_features(request, products)
        report_ids = ";".join(
            [f"pboc:{result.report_id or 'no_record'}@{result.store_id}", *qh_ids]
        )
        rows.append(_row(request, {**features, **qh}, report_ids))
    return typed_inputs(rows, keep=("household_id", "business_ref", "report_ids"))
