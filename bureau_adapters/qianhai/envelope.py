"""The Qianhai message envelope (§2.2 of the reference): ``header``, ``busiData``, ``securityInfo``.

Both directions seal the same way: compact UTF-8 JSON → 3DES → Base64 → ``SHA1withRSA`` over
that Base64 string. Opening a response checks ``header.rtCode`` first, then Qianhai's signature,
and only then decrypts: a tampered ``busiData`` is refused before any decryption is tried.

>>> plain = busi_json({"batchNo": "B1", "records": []})
>>> plain
b'{"batchNo":"B1","records":[]}'
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from bureau_adapters.qianhai import crypto
from bureau_adapters.qianhai.errors import (
    NO_DATA,
    SUCCESS,
    QianhaiMalformedResponse,
    rejection_for,
)

__all__ = [
    "HEADER_FIELDS",
    "TIME_FORMAT",
    "OpenedResponse",
    "busi_json",
    "new_batch_no",
    "new_trans_no",
    "open_response",
    "request_envelope",
    "seal",
]

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
HEADER_FIELDS = ("orgCode", "chnlId", "transNo", "transDate", "authCode", "authDate")


def new_trans_no(now: dt.datetime | None = None) -> str:
    """A fresh 24-character transNo: ``QH`` + yyyyMMddHHmmss + 8 random hex digits."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d%H%M%S")
    return f"QH{stamp}{secrets.token_hex(4).upper()}"


def new_batch_no(trans_no: str) -> str:
    """The batchNo of a single-batch request: ``B`` + its transNo (<= 32 characters)."""
    return f"B{trans_no}"


def busi_json(busi: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON in insertion order, non-ASCII kept as is (what the vendor signs)."""
    return json.dumps(busi, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def seal(
    busi: Mapping[str, Any], check_code: SecretStr | str, private_key: rsa.RSAPrivateKey
) -> tuple[str, str]:
    """``(busiData, signatureValue)`` for a business payload."""
    b64 = crypto.encrypt_busi_data(busi_json(busi), check_code)
    return b64, crypto.sign(b64, private_key)


def request_envelope(
    header: Mapping[str, str],
    busi: Mapping[str, Any],
    *,
    check_code: SecretStr,
    private_key: rsa.RSAPrivateKey,
    user_name: str,
    password_sha1: str,
) -> bytes:
    """The request body: header as given, sealed ``busiData`` and ``securityInfo``."""
    b64, signature = seal(busi, check_code, private_key)
    envelope = {
        "header": {name: header[name] for name in HEADER_FIELDS},
        "busiData": b64,
        "securityInfo": {
            "signatureValue": signature,
            "userName": user_name,
            "userPassword": password_sha1,
        },
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class OpenedResponse:
    """A verified, decrypted response. ``busi`` is ``None`` for a message-level ``E000996``."""

    header: dict[str, Any]
    rt_code: str
    busi: dict[str, Any] | None
    busi_data: str

    @property
    def records(self) -> list[Any]:
        """``busi['records']`` (empty when there is no business data)."""
        if self.busi is None:
            return []
        return list(self.busi.get("records") or [])


def _malformed(message: str, field: str, **fields: Any) -> QianhaiMalformedResponse:
    return QianhaiMalformedResponse(message, field=field, bureau="qianhai", **fields)


def _load_json(body: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _malformed(f"Qianhai's {what} is not UTF-8 JSON.", what) from exc
    if not isinstance(value, dict):
        raise _malformed(f"Qianhai's {what} must be a JSON object.", what)
    return value


def open_response(
    body: bytes,
    *,
    check_code: SecretStr,
    vendor_public_key: rsa.RSAPublicKey,
    expected_trans_no: str,
    product: str,
) -> OpenedResponse:
    """Check ``rtCode``, the echoed transNo and Qianhai's signature; then decrypt.

    Raises the coded rejection for any ``rtCode`` other than ``E000000``/``E000996``,
    :class:`~bureau_adapters.qianhai.errors.QianhaiSignatureError` before any decryption when
    the signature is missing or wrong, and ``QianhaiMalformedResponse`` for anything else
    that is not the documented envelope.
    """
    envelope = _load_json(body, "response")
    header = envelope.get("header")
    if not isinstance(header, dict):
        raise _malformed("Qianhai's response has no 'header' object.", "header")
    rt_code = str(header.get("rtCode", "")).strip()
    if not rt_code:
        raise _malformed("Qianhai's response header has no 'rtCode'.", "header.rtCode")
    echoed = header.get("transNo")
    if echoed is not None and echoed != expected_trans_no:
        raise QianhaiMalformedResponse(
            "Qianhai answered for another transNo than the one sent; refused.",
            code="QH_TRANSNO_MISMATCH",
            field="header.transNo",
            trans_no=expected_trans_no,
        )
    if rt_code not in {SUCCESS, NO_DATA}:
        raise rejection_for(
            rt_code, header.get("rtMsg"), trans_no=expected_trans_no, product=product
        )
    busi_data = envelope.get("busiData")
    if rt_code == NO_DATA and not busi_data:
        return OpenedResponse(header=header, rt_code=rt_code, busi=None, busi_data="")
    if not isinstance(busi_data, str):
        raise _malformed("Qianhai's response 'busiData' must be a string.", "busiData")
    security = envelope.get("securityInfo")
    signature = security.get("signatureValue") if isinstance(security, dict) else None
    crypto.verify(busi_data, signature if isinstance(signature, str) else None, vendor_public_key)
    busi = _load_json(crypto.decrypt_busi_data(busi_data, check_code), "busiData")
    if not isinstance(busi.get("records", []), list):
        raise _malformed("Qianhai's 'busiData.records' must be a list.", "busiData.records")
    return OpenedResponse(header=header, rt_code=rt_code, busi=busi, busi_data=busi_data)
