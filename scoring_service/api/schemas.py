"""Request and response bodies of the HTTP API (separate from the domain models).

Money is in yuan (元), land in mu (亩), flows per year, PD a probability of default within 12
months (0-1). Every field carries its unit or its allowed codes in the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ApplicantIn",
    "ConsentIn",
    "ConsentOut",
    "LimitTermsOut",
    "LineageOut",
    "RatingIn",
    "RatingOut",
    "ReasonOut",
    "ScoreIn",
    "ScoreOut",
    "SurveyIn",
]


def _yuan(what: str) -> float:
    return Field(ge=0, le=1e10, description=f"{what}, yuan (元).")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApplicantIn(_Strict):
    """The data subject (PII: never logged in clear)."""

    name: str = Field(min_length=1, max_length=30, description="Full name as on the ID.")
    id_type: str = Field(
        default="10",
        pattern=r"^[0-9A-Z]{1,2}$",
        description="PBOC certificate type; 10 = resident ID.",
    )
    id_number: str = Field(
        min_length=1,
        max_length=18,
        description="Certificate number; a resident ID must have a valid check digit (GB 11643).",
    )


class SurveyIn(_Strict):
    """Household survey (``docs/data-model.md``); flows are yuan per year."""

    village_id: str = Field(min_length=1, max_length=16, description="Village id, e.g. V00001.")
    head_age: int = Field(ge=16, le=100, description="Age of the household head, years.")
    marital_status: Literal["single", "married", "divorced", "widowed"]
    health: Literal["good", "average", "poor"]
    education: Literal["primary", "junior", "senior", "college"]
    members: int = Field(ge=1, le=30, description="Persons in the household.")
    workers: int = Field(ge=0, le=30, description="Persons able to work.")
    years_resident: int = Field(ge=0, le=100, description="Years living in the village.")
    land_mu: float = Field(ge=0, le=1e5, description="Cultivated land, mu (亩).")
    main_crop: Literal["grain", "vegetables", "fruit", "tea", "cash_crop", "none"]
    livestock_heads: int = Field(ge=0, le=1e6, description="Livestock, pig-equivalent heads.")
    income_crop: float = _yuan("Crop income per year")
    income_livestock: float = _yuan("Livestock income per year")
    income_wage: float = _yuan("Wage income per year")
    income_business: float = _yuan("Business income per year")
    income_other: float = _yuan("Other income per year")
    expense_living: float = _yuan("Living expenses per year")
    expense_production: float = _yuan("Production expenses per year")
    expense_education: float = _yuan("Education expenses per year")
    expense_medical: float = _yuan("Medical expenses per year")
    assets_house: float = _yuan("House value")
    assets_vehicle: float = _yuan("Vehicle value")
    assets_machinery: float = _yuan("Machinery value")
    assets_livestock: float = _yuan("Livestock value")
    assets_deposits: float = _yuan("Deposits")
    deposits_this_bank_avg: float = _yuan("Daily-average deposits at this bank")
    debt_this_bank: float = _yuan("Outstanding debt at this bank")
    debt_other_banks: float = _yuan("Outstanding debt at other banks")
    debt_informal: float = _yuan("Outstanding informal debt")
    informal_high_interest: bool = Field(description="Borrows informally at high interest.")
    guarantees_given: float = _yuan("Guarantees given to others")
    years_with_bank: int = Field(ge=0, le=100, description="Years of credit relationship.")
    village_review: Literal["very_good", "good", "average", "poor"] = Field(
        description="Village committee integrity review."
    )
    bad_habits: bool = Field(description="Gambling / drugs flagged by the village review.")
    credit_village_status: Literal["credit_township", "credit_village", "ordinary", "watchlist"]


class RatingIn(_Strict):
    """One household to rate."""

    bank_code: str = Field(
        pattern=r"^[0-9]{3}$", description="Bank code; must be the API key's bank."
    )
    applicant: ApplicantIn
    survey: SurveyIn
    product: Literal["pure_credit", "joint_guarantee", "guaranteed", "mortgage"] = Field(
        description="Requested product: 信用 / 联保 / 保证 / 抵押."
    )
    consent_id: str | None = Field(
        default=None,
        max_length=64,
        description="PBOC consent reference (POST /v1/consents, bureau pboc); any valid one "
        "of the subject for this bank and query reason if absent.",
    )
    query_reason: str = Field(
        default="02",
        pattern=r"^[0-9]{2}$",
        description="PBOC query reason code; 02 = loan approval.",
    )
    qianhai_consent_id: str | None = Field(
        default=None,
        max_length=64,
        description="Qianhai (前海) consent reference (POST /v1/consents, bureau qianhai); any "
        "valid one of the subject for this bank and Qianhai reason if absent. Used only when "
        "the bank's Qianhai plan (config/bureaus.yaml) names products; a missing, expired or "
        "revoked one is a 422 CONSENT_* naming this field, and PBOC is not queried.",
    )
    qianhai_reason: Literal["01", "02", "03"] | None = Field(
        default=None,
        description="Qianhai reasonCode: 01 = loan approval, 02 = in-loan management, 03 = "
        "post-loan management. Default: mapped from query_reason by config/bureaus.yaml "
        "(02 -> 01, 01 -> 03).",
    )
    household_id: str | None = Field(
        default=None, max_length=64, description="Bank's household id."
    )
    business_ref: str = Field(
        default="-",
        min_length=1,
        max_length=64,
        description="Bank's application reference (audit).",
    )
    operator: str = Field(default="api", min_length=1, max_length=30, description="Operator id.")


class ReasonOut(BaseModel):
    """A reason code with its texts; knockouts (K0x) come first."""

    code: str = Field(description="Reason code (config/reason_codes.yaml), e.g. R301 or K01.")
    zh: str = Field(description="Chinese text.")
    en: str = Field(description="English text.")


class LimitTermsOut(BaseModel):
    """The terms of the limit formula (yuan; null when the formula does not use a term)."""

    capacity_income: float | None = Field(description="Net income x k_income[grade], yuan.")
    capacity_assets: float | None = Field(description="Net assets x asset share, yuan.")
    need: float | None = Field(description="Production need, yuan.")
    debt_deduction: float | None = Field(description="Debts deducted, yuan.")
    village_coef: float | None = Field(description="Village coefficient (dimensionless).")
    cap_grade: float | None = Field(description="Grade cap, yuan.")
    cap_product: float | None = Field(description="Product cap, yuan (-1: not offered).")
    cap_regulatory: float | None = Field(description="Regulatory cap, yuan.")


class LineageOut(BaseModel):
    """What the decision depended on (enough to replay it)."""

    model_name: str
    model_version: int
    model_hash: str = Field(description="sha256 of the model's canonical JSON.")
    policy_bank_hash: str = Field(description="Content hash of the bank policy.")
    policy_federation_hash: str = Field(description="Content hash of the federation red lines.")
    feature_catalog_version: str = Field(
        description="Bureau feature catalogs of the inputs, joined by '+': pboc-features/1, "
        "or pboc-features/1+qh-features/1 when the inputs hold Qianhai (qh_*) features."
    )
    report_ids: list[str] = Field(
        description="Bureau reports used: pboc:<report_id or no_record>@<store_id>, then one "
        "per Qianhai product queried: qianhai:<product>:<transNo or no_data>@<store_id>."
    )
    inputs_hash: str = Field(description="Hash of the typed input row.")
    decided_at: dt.datetime = Field(description="Decision time, UTC.")


class RatingOut(BaseModel):
    """A stored decision."""

    decision_id: str = Field(description="32 hex digits; GET /v1/decisions/{decision_id}.")
    bank_code: str
    household_id: str | None
    score: float = Field(description="Score, points (higher is better).")
    pd: float = Field(ge=0, le=1, description="Probability of default within 12 months (0-1).")
    grade: Literal["A", "B", "C", "D", "E"] = Field(description="Grade under the bank's cut-offs.")
    model_grade: str = Field(description="Grade under the model's own scale.")
    escalate: bool = Field(description="Needs a credit officer (cards disagree / not validated).")
    knockouts: list[ReasonOut] = Field(description="Knockout rules hit (grade forced to E).")
    reasons: list[ReasonOut] = Field(description="Top reason codes, knockouts first.")
    limit: int = Field(ge=0, description="Credit limit, yuan, rounded down by the bank's unit.")
    binding: list[str] = Field(
        description="What set the limit: income, assets, need, base_plus_shares, grade_cap, "
        "product_cap, regulatory_cap; or why it is 0: knockout, grade_no_credit, "
        "product_not_offered, debt."
    )
    limit_terms: LimitTermsOut
    lineage: LineageOut


class ScoreIn(_Strict):
    """Scoring only: the full input row given (survey + ``pboc-features/1``), no bureau query,
    nothing stored."""

    bank_code: str = Field(
        pattern=r"^[0-9]{3}$", description="Bank code; must be the API key's bank."
    )
    inputs: dict[str, float | int | bool | str | None] = Field(
        description="Survey columns (docs/data-model.md, incl. requested_product), PBOC "
        "features (pboc-features/1) and optionally Qianhai qh_* features (qh-features/1) by "
        "catalog name (null = missing)."
    )


class ScoreOut(BaseModel):
    """Score, PD, grade and limit of one input row (not a stored decision)."""

    score: float = Field(description="Score, points (higher is better).")
    pd: float = Field(ge=0, le=1, description="Probability of default within 12 months (0-1).")
    grade: str = Field(description="Grade A-E under the bank's cut-offs.")
    knockouts: list[str] = Field(description="Knockout codes hit.")
    reasons: list[str] = Field(description="Top reason codes.")
    limit: int = Field(ge=0, description="Credit limit, yuan.")
    binding: list[str] = Field(description="What set the limit (see RatingOut.binding).")
    model_version: int
    inputs_hash: str


class ConsentIn(_Strict):
    """A signed written authorisation (授权书) to query a bureau about a subject."""

    id_type: str = Field(default="10", description="PBOC certificate type; 10 = resident ID.")
    id_number: str = Field(min_length=1, max_length=18, description="Subject's certificate number.")
    bureau: Literal["pboc", "qianhai"] = Field(default="pboc", description="Bureau queried.")
    reason: str = Field(
        default="02", max_length=4, description="Query reason code; 02 = loan approval."
    )
    signed_on: dt.date
    valid_from: dt.date | None = Field(default=None, description="Default: signed_on.")
    valid_until: dt.date
    document_sha256: str = Field(description="SHA-256 (hex) of the signed form on file.")
    document_ref: str | None = Field(default=None, max_length=200, description="Where it is kept.")
    recorded_by: str = Field(min_length=1, max_length=30, description="Operator recording it.")


class ConsentOut(BaseModel):
    """A stored consent (the ID number masked)."""

    consent_id: str
    bank_code: str
    bureau: str
    subject_masked: str
    reason: str
    signed_on: dt.date
    valid_from: dt.date
    valid_until: dt.date
    revoked: bool
