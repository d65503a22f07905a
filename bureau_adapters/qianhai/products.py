"""Qianhai products 8005, 8036, 8037 and 8075: addresses, request records, typed parsing.

Parsing is pure (``records → result``) and turns every sentinel into ``None``:

- ``-1`` in numeric fields (no permission);
- ``99`` in code and date fields (no permission);
- ``0`` in 8037 ``busiDate`` and ``amount`` (no permission; a returned 8037 record with zero
  institutions would contradict itself, so ``0`` there is read as missing, while the later
  per-industry counts ``bnkAmount`` ... keep ``0`` as a real zero);
- empty strings and the literal ``"NULL"``.

>>> PRODUCTS["8005"].path
'/do/dmz/query/credoo/v1/MSC8005'
>>> result = parse_records("8005", [{"credooScore": "-1", "erCode": "E000000"}], trans_no="T1")
>>> (result.outcome, result.credoo_score)
('hit', None)
>>> parse_records("8036", [{"erCode": "E000996"}], trans_no="T2").outcome
'no_data'
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bureau_adapters.qianhai.errors import (
    NO_DATA,
    SUCCESS,
    QianhaiMalformedResponse,
    QianhaiRequestError,
    rejection_for,
)
from bureau_adapters.qianhai.models import (
    IP_FLAGS,
    PHONE_FLAGS,
    SUB_SCORES,
    CredooScore,
    FraudFlags,
    LenderHit,
    MultiLender,
    QianhaiResult,
    RiskEvent,
    RiskHints,
    Subject,
)

__all__ = ["PRODUCTS", "Product", "get_product", "parse_records", "request_record"]


@dataclass(frozen=True)
class Product:
    """One Qianhai product: its address and the name of its query-reason field."""

    code: str
    trans_name: str
    product_id: str
    name_zh: str
    reason_field: str
    needs_mobile: bool = False
    api_ver: str = "v1"

    @property
    def message_code(self) -> str:
        """``MSC`` + code, the last path segment."""
        return f"MSC{self.code}"

    @property
    def path(self) -> str:
        """``/do/{netType}/{transName}/{productId}/{apiVer}/{messageCode}``."""
        return f"/do/dmz/{self.trans_name}/{self.product_id}/{self.api_ver}/{self.message_code}"


PRODUCTS: dict[str, Product] = {
    "8005": Product("8005", "query", "credoo", "好信度", "reasonNo"),
    "8036": Product("8036", "query", "rskdoo", "风险度提示", "reasonCode"),
    "8037": Product("8037", "query", "loanee", "常贷客", "reasonCode"),
    "8075": Product("8075", "verify", "antiFraudDoo", "好信欺诈度", "reasonNo", needs_mobile=True),
}


def get_product(code: str) -> Product:
    """The product for ``8005`` or ``MSC8005``; :class:`QianhaiRequestError` otherwise."""
    key = code.strip().upper().removeprefix("MSC")
    if key not in PRODUCTS:
        raise QianhaiRequestError(
            f"The Qianhai product must be one of {', '.join(PRODUCTS)}. Got {code!r}.",
            field="product",
        )
    return PRODUCTS[key]


def request_record(
    product: Product,
    subject: Subject,
    *,
    reason: str,
    entity_auth_code: str,
    entity_auth_date: dt.date,
    seq_no: str = "1",
) -> dict[str, str]:
    """One ``records[i]`` of the plain ``busiData``, keys in the vendor's order.

    8005 and 8075 name the reason ``reasonNo``, the others ``reasonCode``; 8036 takes phones
    in ``moblieNos`` (sic), cards in ``cardNos`` and addresses in ``ips``.
    """
    if product.needs_mobile and not subject.mobile:
        raise QianhaiRequestError(
            f"Qianhai {product.code} needs the subject's mobile number.", field="mobile"
        )
    record = {"idNo": subject.id_number, "idType": subject.id_type, "name": subject.name}
    if product.code == "8036":
        record |= {"moblieNos": subject.mobile or "", "cardNos": "", "ips": subject.ip or ""}
    elif subject.mobile:
        record["mobileNo"] = subject.mobile
    if product.code == "8075" and subject.ip:
        record["ip"] = subject.ip
    record[product.reason_field] = reason
    record["entityAuthCode"] = entity_auth_code
    record["entityAuthDate"] = entity_auth_date.isoformat()
    record["seqNo"] = seq_no
    return record


# --- sentinels -------------------------------------------------------------------------------

_NULLS = frozenset({"", "NULL", "NONE"})
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%Y-%m", "%Y%m")


def _raw(record: Mapping[str, Any], name: str, sentinels: frozenset[str]) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    text = str(value).strip()
    if text.upper() in _NULLS or text in sentinels:
        return None
    return text


def _number(
    record: Mapping[str, Any], name: str, sentinels: frozenset[str] = frozenset({"-1"})
) -> float | None:
    text = _raw(record, name, sentinels)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise QianhaiMalformedResponse(
            f"Qianhai field '{name}' must be a number. Got {text[:20]!r}.", field=name
        )
    if str(int(value)) in sentinels and value.is_integer():
        return None
    return value


def _count(
    record: Mapping[str, Any], name: str, sentinels: frozenset[str] = frozenset({"-1"})
) -> int | None:
    value = _number(record, name, sentinels)
    if value is None:
        return None
    if value < 0 or not value.is_integer():
        raise QianhaiMalformedResponse(
            f"Qianhai field '{name}' must be a whole number >= 0. Got {value!r}.", field=name
        )
    return int(value)


def _code(record: Mapping[str, Any], name: str, allowed: frozenset[str] | None = None) -> Any:
    text = _raw(record, name, frozenset({"99"}))
    if text is not None and allowed is not None and text not in allowed:
        raise QianhaiMalformedResponse(
            f"Qianhai field '{name}' must be one of {sorted(allowed)} or 99. Got {text!r}.",
            field=name,
        )
    return text


def _date(
    record: Mapping[str, Any], name: str, sentinels: frozenset[str] = frozenset({"99"})
) -> dt.date | None:
    text = _raw(record, name, sentinels)
    if text is None:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise QianhaiMalformedResponse(
        f"Qianhai field '{name}' must be a date (yyyy-MM-dd). Got {text[:20]!r}.", field=name
    )


def _flag(record: Mapping[str, Any], name: str) -> bool | None:
    text = _code(record, name, frozenset({"0", "1"}))
    return None if text is None else text == "1"


# --- product parsers -------------------------------------------------------------------------


def _parse_8005(hits: Sequence[Mapping[str, Any]], base: dict[str, Any]) -> QianhaiResult:
    if not hits:
        return CredooScore(**base)
    rec = _single(hits, "8005")
    scores = {attr: _number(rec, name) for name, attr in SUB_SCORES.items()}
    return CredooScore(
        **base,
        source_id=_code(rec, "sourceId"),
        credoo_score=_number(rec, "credooScore"),
        data_build_time=_date(rec, "dataBuildTime"),
        **scores,
    )


def _parse_8036(hits: Sequence[Mapping[str, Any]], base: dict[str, Any]) -> QianhaiResult:
    events = []
    for rec in hits:
        events.append(
            RiskEvent(
                source_id=_code(rec, "sourceId", frozenset({"A", "B", "C"})),
                rsk_score=_number(rec, "rskScore"),
                rsk_mark=_code(rec, "rskMark"),
                data_build_time=_date(rec, "dataBuildTime"),
                data_status=_code(rec, "dataStatus", frozenset({"1", "2", "3"})),
            )
        )
    return RiskHints(**base, events=tuple(events))


_ZERO_OR_MINUS_ONE = frozenset({"-1", "0"})


def _parse_8037(hits: Sequence[Mapping[str, Any]], base: dict[str, Any]) -> QianhaiResult:
    lenders = [
        LenderHit(
            industry=_code(rec, "industry"),
            amount=_count(rec, "amount", _ZERO_OR_MINUS_ONE),
            busi_date=_date(rec, "busiDate", frozenset({"0", "99"})),
            reason_code=_code(rec, "reasonCode"),
            bnk_amount=_count(rec, "bnkAmount"),
            cnss_amount=_count(rec, "cnssAmount"),
            p2p_amount=_count(rec, "p2pAmount"),
            query_amt=_count(rec, "queryAmt"),
            query_amt_m3=_count(rec, "queryAmtM3"),
            query_amt_m6=_count(rec, "queryAmtM6"),
        )
        for rec in hits
    ]
    return MultiLender(**base, lenders=tuple(lenders))


def _parse_8075(hits: Sequence[Mapping[str, Any]], base: dict[str, Any]) -> QianhaiResult:
    if not hits:
        return FraudFlags(**base)
    rec = _single(hits, "8075")
    return FraudFlags(
        **base,
        flags={name: _flag(rec, name) for name in (*IP_FLAGS, *PHONE_FLAGS)},
        rsk_score=_number(rec, "rskScore"),
        i_update_date=_date(rec, "iUpdateDate"),
        m_update_date=_date(rec, "mUpdateDate"),
        i_rsk_desc=_raw(rec, "iRskDesc", frozenset({"99"})),
        m_rsk_desc=_raw(rec, "mRskDesc", frozenset({"99"})),
    )


_PARSERS: dict[str, Callable[[Sequence[Mapping[str, Any]], dict[str, Any]], QianhaiResult]] = {
    "8005": _parse_8005,
    "8036": _parse_8036,
    "8037": _parse_8037,
    "8075": _parse_8075,
}


def _single(hits: Sequence[Mapping[str, Any]], code: str) -> Mapping[str, Any]:
    if len(hits) != 1:
        raise QianhaiMalformedResponse(
            f"Qianhai {code} must return one record per subject. Got {len(hits)}.",
            field="records",
        )
    return hits[0]


def parse_records(
    product: str,
    records: Sequence[Mapping[str, Any]],
    *,
    trans_no: str,
    received_at: dt.datetime | None = None,
) -> QianhaiResult:
    """Typed result of one subject's decrypted ``records``.

    A record whose ``erCode`` is neither ``E000000`` nor ``E000996`` raises the coded
    rejection: a vendor error never becomes "no risk". An empty ``records`` list is not "no
    data" (Qianhai says that with ``E000996``) but a malformed answer (``QH_NO_RECORDS``).
    """
    code = get_product(product).code
    if not records:
        raise QianhaiMalformedResponse(
            f"Qianhai answered {code} with an empty 'records' list (no data is E000996).",
            code="QH_NO_RECORDS",
            field="records",
            product=code,
            trans_no=trans_no,
        )
    hits: list[Mapping[str, Any]] = []
    for rec in records:
        if not isinstance(rec, Mapping):
            raise QianhaiMalformedResponse("Qianhai 'records' must hold objects.", field="records")
        er_code = str(rec.get("erCode", "")).strip()
        if er_code == SUCCESS:
            hits.append(rec)
        elif er_code != NO_DATA:
            if not er_code:
                raise QianhaiMalformedResponse(
                    "A Qianhai record carries no 'erCode'.", field="records.erCode"
                )
            raise rejection_for(
                er_code, rec.get("erMsg"), level="record", trans_no=trans_no, product=code
            )
    outcome = "hit" if hits else "no_data"
    base = {"trans_no": trans_no, "outcome": outcome, "received_at": received_at}
    return _PARSERS[code](hits, base)
