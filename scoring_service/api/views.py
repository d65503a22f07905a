"""Domain rows → response bodies (one place, used by ratings and decisions alike)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bureau_adapters.compliance.consent import Consent
from rating_models.exceptions import RatingModelsError
from rating_models.rating import ReasonCatalog
from scoring_service.api.schemas import (
    ConsentOut,
    LimitTermsOut,
    LineageOut,
    RatingOut,
    ReasonOut,
)

__all__ = ["consent_out", "rating_out"]


def _reason(code: str, catalog: ReasonCatalog | None) -> ReasonOut:
    texts = {"zh": "", "en": ""}
    if catalog is not None:
        for lang in texts:
            try:
                texts[lang] = catalog.text(code, lang)
            except RatingModelsError:
                texts[lang] = ""
    return ReasonOut(code=code, **texts)


def _codes(joined: Any) -> list[str]:
    return [c for c in str(joined or "").split(";") if c]


def rating_out(
    outcome: Mapping[str, Any], lineage: Mapping[str, Any], catalog: ReasonCatalog | None
) -> RatingOut:
    """The response body of one decision (``outcome``: :data:`OUTCOME_COLUMNS` values)."""
    decided_at = lineage["decided_at"]
    if not isinstance(decided_at, dt.datetime):
        decided_at = dt.datetime.fromisoformat(str(decided_at))
    return RatingOut(
        decision_id=str(lineage["decision_id"]),
        bank_code=str(lineage["bank_code"]),
        household_id=lineage.get("household_id"),
        score=float(outcome["score"]),
        pd=float(outcome["pd"]),
        grade=outcome["grade"],
        model_grade=str(outcome["model_grade"]),
        escalate=bool(outcome["escalate"]),
        knockouts=[_reason(c, catalog) for c in _codes(outcome["knockout"])],
        reasons=[_reason(c, catalog) for c in _codes(outcome["reasons"])],
        limit=int(outcome["limit"]),
        binding=str(outcome["binding"]).split("+"),
        limit_terms=LimitTermsOut(**{k: outcome.get(k) for k in LimitTermsOut.model_fields}),
        lineage=LineageOut(
            model_name=str(lineage["model_name"]),
            model_version=int(lineage["model_version"]),
            model_hash=str(lineage["model_hash"]),
            policy_bank_hash=str(lineage["policy_bank_hash"]),
            policy_federation_hash=str(lineage["policy_federation_hash"]),
            feature_catalog_version=str(lineage["feature_catalog_version"]),
            report_ids=_codes(lineage.get("report_ids")),
            inputs_hash=str(lineage["inputs_hash"]),
            decided_at=decided_at,
        ),
    )


def consent_out(consent: Consent) -> ConsentOut:
    """The response body of one consent."""
    return ConsentOut(
        consent_id=consent.consent_id,
        bank_code=consent.bank_code,
        bureau=consent.bureau,
        subject_masked=consent.subject_masked,
        reason=consent.reason,
        signed_on=consent.signed_on,
        valid_from=consent.valid_from,
        valid_until=consent.valid_until,
        revoked=consent.revoked_at is not None,
    )
