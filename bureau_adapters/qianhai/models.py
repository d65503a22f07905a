"""Typed Qianhai results: what 8005, 8036, 8037 and 8075 say about one subject.

Every vendor sentinel (``-1``, ``99``, ``0`` for 8037 dates and institution counts, empty,
``"NULL"``) is ``None`` here: missing, never a number. ``outcome`` is ``"hit"`` when Qianhai
returned data and ``"no_data"`` for ``E000996``, a valid answer distinct from every error
(errors are exceptions and never become a result).

Results are frozen pydantic models with ``to_dict``/``from_dict`` and a schema version.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "IP_FLAGS",
    "PHONE_FLAGS",
    "RESULT_SCHEMA_VERSION",
    "SUB_SCORES",
    "CredooScore",
    "FraudFlags",
    "LenderHit",
    "MultiLender",
    "QianhaiResult",
    "RiskEvent",
    "RiskHints",
    "Subject",
    "result_from_dict",
]

RESULT_SCHEMA_VERSION = 1

#: 8005 sub-scores: vendor field -> attribute of :class:`CredooScore`.
SUB_SCORES: dict[str, str] = {
    "bseInfoScore": "bse_info_score",
    "finRequireScore": "fin_require_score",
    "payAbilityScore": "pay_ability_score",
    "performScore": "perform_score",
    "actionScore": "action_score",
    "virAssetScore": "vir_asset_score",
    "trendScore": "trend_score",
}
#: 8075 IP flags and phone flags, vendor field names in the vendor's order.
IP_FLAGS: tuple[str, ...] = (
    "isMachdForce",
    "isMachdDNS",
    "isMachdMailServ",
    "isMachdSEO",
    "isMachdOrg",
    "isMachdCrawler",
    "isMachdProxy",
    "isMachdBlacklist",
    "isMachdWebServ",
    "isMachdVPN",
)
PHONE_FLAGS: tuple[str, ...] = (
    "isMachdBlMakt",
    "isMachCraCall",
    "isMachFraud",
    "isMachEmpty",
    "isMachYZmobile",
    "isMachSmallNo",
    "isMachSZNo",
)

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Subject(BaseModel):
    """The data subject of a query. PII fields are left out of ``repr``."""

    model_config = _FROZEN

    id_number: str = Field(repr=False, min_length=1, max_length=32)
    name: str = Field(repr=False, min_length=1, max_length=64)
    id_type: str = Field(default="0", pattern=r"^[0-9XAB]$", description="Qianhai idType.")
    mobile: str | None = Field(default=None, repr=False)
    ip: str | None = Field(default=None, repr=False)


class QianhaiResult(BaseModel):
    """What every product result has: product, transNo, outcome and when it was received."""

    model_config = _FROZEN
    schema_version: ClassVar[int] = RESULT_SCHEMA_VERSION

    product: str
    trans_no: str
    outcome: Literal["hit", "no_data"]
    received_at: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the schema version."""
        return {"schema_version": self.schema_version, **self.model_dump(mode="json")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QianhaiResult:
        """Inverse of :meth:`to_dict` for this class."""
        body = dict(data)
        version = body.pop("schema_version", RESULT_SCHEMA_VERSION)
        if version != RESULT_SCHEMA_VERSION:
            raise ValueError(
                f"Qianhai result schema_version must be {RESULT_SCHEMA_VERSION}. Got {version!r}."
            )
        return cls.model_validate(body)


class CredooScore(QianhaiResult):
    """8005 好信度: the credit score and its seven sub-scores (range not published)."""

    product: Literal["8005"] = "8005"
    source_id: str | None = None
    credoo_score: float | None = None
    bse_info_score: float | None = None
    fin_require_score: float | None = None
    pay_ability_score: float | None = None
    perform_score: float | None = None
    action_score: float | None = None
    vir_asset_score: float | None = None
    trend_score: float | None = None
    data_build_time: dt.date | None = None


class RiskEvent(BaseModel):
    """One 8036 risk event: A credit overdue, B administrative negative, C fraud."""

    model_config = _FROZEN

    source_id: Literal["A", "B", "C"] | None = None
    rsk_score: float | None = Field(default=None, description="A only; higher is worse.")
    rsk_mark: str | None = Field(default=None, description="B1 dishonest debtor ... C4.")
    data_build_time: dt.date | None = None
    data_status: Literal["1", "2", "3"] | None = Field(
        default=None, description="1 verified, 2 unverified, 3 under dispute."
    )


class RiskHints(QianhaiResult):
    """8036 风险度提示: the subject's risk events (none when ``outcome`` is ``no_data``)."""

    product: Literal["8036"] = "8036"
    events: tuple[RiskEvent, ...] = ()


class LenderHit(BaseModel):
    """One 8037 record: institutions of one industry that dealt with the subject."""

    model_config = _FROZEN

    industry: str | None = None
    amount: int | None = Field(default=None, description="Institutions hit.")
    busi_date: dt.date | None = Field(default=None, description="Last activity.")
    reason_code: str | None = None
    bnk_amount: int | None = None
    cnss_amount: int | None = None
    p2p_amount: int | None = None
    query_amt: int | None = None
    query_amt_m3: int | None = None
    query_amt_m6: int | None = None


class MultiLender(QianhaiResult):
    """8037 常贷客: multi-lender and multi-application counts."""

    product: Literal["8037"] = "8037"
    lenders: tuple[LenderHit, ...] = ()


class FraudFlags(QianhaiResult):
    """8075 好信欺诈度: phone and IP flags (``None`` when not returned) and a risk score."""

    product: Literal["8075"] = "8075"
    flags: dict[str, bool | None] = Field(default_factory=dict)
    rsk_score: float | None = None
    i_update_date: dt.date | None = None
    m_update_date: dt.date | None = None
    i_rsk_desc: str | None = None
    m_rsk_desc: str | None = None


_BY_PRODUCT: dict[str, type[QianhaiResult]] = {
    "8005": CredooScore,
    "8036": RiskHints,
    "8037": MultiLender,
    "8075": FraudFlags,
}


def result_from_dict(data: dict[str, Any]) -> QianhaiResult:
    """Rebuild any product result from :meth:`QianhaiResult.to_dict` output."""
    product = str(data.get("product", ""))
    if product not in _BY_PRODUCT:
        raise ValueError(f"'product' must be one of {sorted(_BY_PRODUCT)}. Got {product!r}.")
    return _BY_PRODUCT[product].from_dict(data)
