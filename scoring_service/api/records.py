"""Reads scoped to the calling bank: decisions, consents, stored reports (404 for others')."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from model_registry.exceptions import RegistryError
from scoring_service.api.deps import BankDep, ServicesDep
from scoring_service.api.schemas import ConsentIn, ConsentOut, RatingOut
from scoring_service.api.views import consent_out, rating_out
from scoring_service.decisions import DecisionRecord

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["records"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such id at the calling bank (another bank's ids are not found)."}
}


def decision_view(record: DecisionRecord, services: ServicesDep) -> RatingOut:
    """A stored decision as the rating response (texts from its model's reason catalog)."""
    catalog = None
    try:
        catalog = services.champions.get(record.bank_code).model.reason_catalog
    except RegistryError:  # texts are optional when reading a decision
        catalog = None
    return rating_out(record.outcome, record.to_dict(), catalog)


@router.get("/decisions/{decision_id}", response_model=RatingOut, responses=_NOT_FOUND)
def get_decision(
    decision_id: Annotated[str, Path(max_length=64, description="Decision id (32 hex digits).")],
    bank: BankDep,
    services: ServicesDep,
) -> RatingOut:
    """A stored decision of the calling bank, with its lineage."""
    return decision_view(services.decisions.get(bank, decision_id), services)


@router.post("/consents", response_model=ConsentOut, status_code=201)
def create_consent(body: ConsentIn, bank: BankDep, services: ServicesDep) -> ConsentOut:
    """Record a signed written authorisation for the calling bank."""
    consent = services.bureaus.pboc.gate.consents.record(
        bank_code=bank,
        subject_id=body.id_number,
        bureau=body.bureau,
        reason=body.reason,
        signed_on=body.signed_on,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        document_sha256=body.document_sha256,
        document_ref=body.document_ref,
        recorded_by=body.recorded_by,
        id_type=body.id_type,
    )
    return consent_out(consent)


@router.get("/consents/{consent_id}", response_model=ConsentOut, responses=_NOT_FOUND)
def get_consent(
    consent_id: Annotated[str, Path(max_length=64)], bank: BankDep, services: ServicesDep
) -> ConsentOut:
    """A consent of the calling bank."""
    return consent_out(services.bureaus.pboc.gate.consents.get(bank, consent_id))


@router.get("/reports/{store_id}", responses=_NOT_FOUND)
def get_report(
    store_id: Annotated[int, Path(ge=1, description="Report store id (lineage report_ids).")],
    bank: BankDep,
    services: ServicesDep,
) -> dict[str, Any]:
    """Metadata of a bureau report stored for the calling bank (not its content)."""
    stored = services.bureaus.pboc.gate.store.get(bank, store_id)
    return {
        "store_id": stored.store_id,
        "bureau": stored.bureau,
        "outcome": stored.outcome,
        "report_id": stored.report_id,
        "report_date": stored.report_date,
        "fetched_at": stored.fetched_at,
        "content_sha256": stored.content_sha256,
    }
