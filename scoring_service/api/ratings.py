"""``POST /v1/ratings``: rate one household, persist the decision, answer it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from bureau_adapters.compliance.subject import Subject
from scoring_service.api.deps import BankDep, ServicesDep
from scoring_service.api.schemas import RatingIn, RatingOut, ScoreIn, ScoreOut
from scoring_service.api.views import rating_out
from scoring_service.exceptions import TenantError
from scoring_service.pipeline import (
    DecisionContext,
    RatingRequest,
    decide_records,
    gather_inputs,
)
from scoring_service.pipeline.decide import OUTCOME_COLUMNS

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["ratings"])


def _json(model: RatingOut | ScoreOut) -> Response:
    """The body as JSON, serialised once by pydantic (the route's response model documents
    it; FastAPI does not validate it a second time)."""
    return Response(model.model_dump_json(), media_type="application/json")


def _request(body: RatingIn) -> RatingRequest:
    subject = Subject(body.applicant.name, body.applicant.id_type, body.applicant.id_number)
    return RatingRequest(
        bank_code=body.bank_code,
        subject=subject,
        survey=body.survey.model_dump(),
        product=body.product,
        query_reason=body.query_reason,
        consent_id=body.consent_id,
        operator=body.operator,
        business_ref=body.business_ref,
        household_id=body.household_id,
        qianhai_consent_id=body.qianhai_consent_id,
        qianhai_reason=body.qianhai_reason,
    )


@router.post(
    "/ratings",
    response_model=RatingOut,
    summary="Rate one household",
    responses={
        401: {"description": "Missing or invalid API key (API_KEY_INVALID)."},
        404: {"description": "Unknown bank, or not the API key's bank (BANK_NOT_FOUND)."},
        422: {
            "description": "Invalid body (REQUEST_INVALID), ID number (SUBJECT_INVALID), or "
            "consent (CONSENT_*; field consent_id or query_reason for PBOC, "
            "qianhai_consent_id or qianhai_reason for Qianhai)."
        },
        503: {
            "description": "Bureau failed (PBOC_READ_TIMEOUT, PBOC_DBE003, QH_E900006, "
            "QH_NOT_CONFIGURED ...) or no model; no decision is stored."
        },
    },
)
def create_rating(body: RatingIn, bank: BankDep, services: ServicesDep) -> Response:
    """Consent check → PBOC report and the Qianhai products of the bank's plan (each reused
    inside the bank's window) → features → champion → knockouts → grade → limit; the decision is stored before this answer is sent. A failure
    at any step stores no decision."""
    if body.bank_code != bank:
        raise TenantError(
            f"Bank {body.bank_code} is not known to this API key.",
            code="BANK_NOT_FOUND",
            field="bank_code",
        )
    request = _request(body)
    policy = services.policies.get(bank)
    model = services.champions.get(bank)  # before the bureau: no paid query without a model
    inputs = gather_inputs([request], services.bureaus)  # checked once, used as they are
    decisions = decide_records(inputs, DecisionContext(bank, policy, model))  # no frame
    services.decisions.save(decisions, inputs)
    row = decisions[0]
    return _json(rating_out({c: row[c] for c in OUTCOME_COLUMNS}, row, model.model.reason_catalog))


@router.post(
    "/scores", response_model=ScoreOut, summary="Score one input row (no bureau, not stored)"
)
def score(body: ScoreIn, bank: BankDep, services: ServicesDep) -> Response:
    """The decide stage alone on a given input row: champion → knockouts → grade → limit.
    Nothing is queried or stored (what-if and comparison with plain model serving)."""
    if body.bank_code != bank:
        raise TenantError(
            f"Bank {body.bank_code} is not known to this API key.",
            code="BANK_NOT_FOUND",
            field="bank_code",
        )
    model = services.champions.get(bank)
    rows = [{**body.inputs, "bank_code": bank}]
    row = decide_records(rows, DecisionContext(bank, services.policies.get(bank), model))[0]
    out = ScoreOut(
        score=float(row["score"]),
        pd=float(row["pd"]),
        grade=str(row["grade"]),
        knockouts=[c for c in str(row["knockout"]).split(";") if c],
        reasons=[c for c in str(row["reasons"]).split(";") if c],
        limit=int(row["limit"]),
        binding=str(row["binding"]).split("+"),
        model_version=int(row["model_version"]),
        inputs_hash=str(row["inputs_hash"]),
    )
    return _json(out)
