"""Qianhai errors: the vendor's result-code table (§2.4 of the reference) as coded exceptions.

::

    BureauError
    ├── ConsentError
    │   └── QianhaiReasonError           reason code not one a bank may use (01, 02, 03)
    ├── MalformedReportError
    │   ├── QianhaiMalformedResponse     not JSON, missing members, bad field values
    │   └── QianhaiDecryptError          ciphertext that does not decrypt (after a good signature)
    ├── BureauTransportError
    │   ├── QianhaiSignatureError        Qianhai's signature is missing or wrong: fail closed
    │   └── QianhaiHttpError             HTTP status other than 200 (``QH_HTTP_STATUS``)
    ├── QianhaiConfigError               missing or unreadable key, certificate or secret
    ├── QianhaiRequestError              a request this adapter refuses to send (bad ID number ...)
    └── BureauRejected
        └── QianhaiRejected              Qianhai answered with a result code (``QH_<code>``)
            ├── QianhaiFormatError       envelope, header, length and data checks
            ├── QianhaiSecurityError     user, password, our signature, certificates, IP whitelist
            ├── QianhaiEntitlementError  channel, institution, product, authCode validity
            ├── QianhaiQuotaError        daily limit, balance, trial quota, packet and list sizes
            ├── QianhaiDuplicateError    reused transNo, seqNo not unique, duplicate data
            ├── QianhaiPendingError      ``E000990`` still processing (async products)
            └── QianhaiUpstreamError     failures inside Qianhai (``E000001``, ``E000997`` ...)

Connect failures and timeouts are the shared transport's errors
(:mod:`bureau_adapters.transport`: ``QIANHAI_CONNECT_FAILED``, ``QIANHAI_CONNECT_TIMEOUT``,
``QIANHAI_READ_TIMEOUT``, ``QIANHAI_CONNECTION_DROPPED``, with ``request_sent``).

``E000000`` (success) and ``E000996`` (no data found) are outcomes, not errors. Every vendor
code maps to ``code = "QH_<vendor code>"`` (e.g. ``QH_E000998``) with ``fields`` carrying
``vendor_code``, ``meaning``, ``trans_no`` and ``product``. Vendor messages are masked before
they reach an exception, since a vendor may echo the subject.
"""

from __future__ import annotations

from typing import Any

from bureau_adapters.exceptions import (
    BureauError,
    BureauRejected,
    BureauTransportError,
    ConsentError,
    MalformedReportError,
)
from bureau_adapters.pii import mask_text

__all__ = [
    "NO_DATA",
    "RETRYABLE_CODES",
    "SUCCESS",
    "VENDOR_CODES",
    "QianhaiConfigError",
    "QianhaiDecryptError",
    "QianhaiDuplicateError",
    "QianhaiEntitlementError",
    "QianhaiFormatError",
    "QianhaiHttpError",
    "QianhaiMalformedResponse",
    "QianhaiPendingError",
    "QianhaiQuotaError",
    "QianhaiReasonError",
    "QianhaiRejected",
    "QianhaiRequestError",
    "QianhaiSecurityError",
    "QianhaiSignatureError",
    "QianhaiUpstreamError",
    "rejection_for",
]

SUCCESS = "E000000"
NO_DATA = "E000996"
#: Codes after which the request provably never reached Qianhai's back end.
RETRYABLE_CODES = frozenset({"E000997"})


class QianhaiReasonError(ConsentError):
    """The query reason is not one a bank may use for Qianhai (01, 02, 03)."""

    default_code = "QH_REASON"


class QianhaiMalformedResponse(MalformedReportError):
    """A response that is not the documented envelope or has an unreadable field."""

    default_code = "QH_MALFORMED"


class QianhaiDecryptError(MalformedReportError):
    """``busiData`` passed the signature check but does not decrypt with the check code."""

    default_code = "QH_DECRYPT"


class QianhaiSignatureError(BureauTransportError):
    """Qianhai's signature over ``busiData`` is missing or does not verify: nothing is read."""

    default_code = "QH_BAD_SIGNATURE"


class QianhaiHttpError(BureauTransportError):
    """Qianhai answered with an HTTP status other than 200."""

    default_code = "QH_HTTP"


class QianhaiConfigError(BureauError):
    """A key, certificate, password or check code is missing or unreadable."""

    default_code = "QH_CONFIG"


class QianhaiRequestError(BureauError, ValueError):
    """A request the adapter refuses to send (bad ID number, unknown product, missing phone)."""

    default_code = "QH_REQUEST"


class QianhaiRejected(BureauRejected):
    """Qianhai answered with a result code; the query produced no usable result."""

    default_code = "QH_REJECTED"


class QianhaiFormatError(QianhaiRejected):
    """Envelope, header, length or data checks failed at Qianhai."""


class QianhaiSecurityError(QianhaiRejected):
    """User, password, our signature, a certificate or the IP whitelist was refused."""


class QianhaiEntitlementError(QianhaiRejected):
    """Channel, institution or product not entitled, or authCode outside its validity."""


class QianhaiQuotaError(QianhaiRejected):
    """Daily limit, account balance, trial quota, packet or record-count limit."""


class QianhaiDuplicateError(QianhaiRejected):
    """Reused transNo, seqNo not unique within the batch, or duplicate submitted data."""


class QianhaiPendingError(QianhaiRejected):
    """Qianhai is still processing an asynchronous request."""


class QianhaiUpstreamError(QianhaiRejected):
    """A failure inside Qianhai (transaction exception, routing, upstream module)."""


_F, _S, _E, _Q, _D, _P, _U = (
    QianhaiFormatError,
    QianhaiSecurityError,
    QianhaiEntitlementError,
    QianhaiQuotaError,
    QianhaiDuplicateError,
    QianhaiPendingError,
    QianhaiUpstreamError,
)


def _span(
    pattern: str, first: int, last: int, cls: type[QianhaiRejected], meaning: str
) -> dict[str, tuple[type[QianhaiRejected], str]]:
    return {pattern.format(n): (cls, meaning) for n in range(first, last + 1)}


#: Vendor result code -> (exception class, meaning). Transcribed from §2.4 of the reference.
VENDOR_CODES: dict[str, tuple[type[QianhaiRejected], str]] = {
    "E000001": (_U, "failure"),
    "E000999": (_U, "transaction exception"),
    "E000998": (_U, "service resource not found"),
    "E000997": (_U, "routing failed, request never reached the back end"),
    "E000990": (_P, "still processing (asynchronous)"),
    "E000002": (_F, "productId or transName missing"),
    "E000003": (_F, "apiVer missing"),
    "E000004": (_F, "messageCode missing"),
    "E000005": (_F, "unsupported Content-Type"),
    "E000006": (_F, "empty request body"),
    "E000007": (_F, "request read IO error"),
    **_span("E{:06d}", 22, 28, _F, "header or a header field empty"),
    "E000067": (_F, "message object null"),
    "E000068": (_F, "header object null"),
    "E000069": (_F, "securityInfo object null"),
    "E000100": (_F, "bad date format"),
    "E000101": (_F, "orgCode longer than 24"),
    "E000102": (_F, "chnlId longer than 128"),
    "E000103": (_F, "transNo longer than 24"),
    "E000104": (_F, "authCode longer than 16"),
    "E000105": (_F, "batchNo longer than 32"),
    "E000106": (_F, "subject authorisation code longer than 32"),
    "E000066": (_F, "bad batchNo length"),
    "E000008": (_S, "securityInfo missing"),
    "E000009": (_S, "user name missing or wrong"),
    "E000010": (_S, "password missing or wrong"),
    "E000011": (_S, "busiData empty"),
    "E000012": (_S, "signing error"),
    "E000013": (_S, "signature check failed"),
    "E000014": (_S, "signature verification error"),
    "E000016": (_S, "SHA-1 error"),
    **_span("E{:06d}", 29, 36, _S, "certificate, key, encryption or decryption error"),
    "E000065": (_S, "caller IP not whitelisted"),
    **_span("E1{:05d}", 2, 5, _S, "authentication failed"),
    "E000015": (_E, "channel unknown"),
    "E000017": (_E, "channel disabled"),
    "E000019": (_E, "channel lacks this product"),
    "E000040": (_E, "channel lacks this product"),
    "E000037": (_E, "institution unknown"),
    "E000038": (_E, "institution disabled"),
    "E000039": (_E, "bad authCode format"),
    **_span("E{:06d}", 75, 77, _E, "authCode outside its validity window"),
    "E000078": (_Q, "trial quota exceeded"),
    "E000079": (_E, "network type differs from the applied one"),
    "E000080": (_E, "channel is web-only"),
    **_span("E{:06d}", 108, 111, _E, "bad or unauthorised sub-product"),
    "E000041": (_Q, "packet too large"),
    "E000042": (_Q, "too many records"),
    "E000043": (_F, "empty record list"),
    "E900006": (_Q, "daily call limit exceeded"),
    "E0-9967": (_Q, "test quota used up"),
    "E0-9977": (_Q, "account balance insufficient"),
    "E0-9927": (_E, "product not subscribed"),
    "E000107": (_D, "transNo already used"),
    "E000991": (_D, "seqNo not unique in the batch"),
    "E000064": (_D, "duplicate submitted data"),
    "E000112": (_F, "ID-number check failed"),
    **_span("E{:06d}", 70, 73, _F, "missing or invalid parameters"),
    "E000074": (_U, "ID-verification upstream error"),
}

_UPSTREAM_FAMILIES = ("EL", "ETR", "ETD", "EU", "EZ", "EN")


def rejection_for(
    vendor_code: str,
    vendor_message: str | None = None,
    *,
    level: str = "message",
    **fields: Any,
) -> QianhaiRejected:
    """The coded exception for a vendor result code (``level`` is ``message`` or ``record``).

    >>> err = rejection_for("E900006", trans_no="QH1")
    >>> (type(err).__name__, err.code, err.fields["trans_no"])
    ('QianhaiQuotaError', 'QH_E900006', 'QH1')
    """
    code = vendor_code.strip()
    cls, meaning = VENDOR_CODES.get(code, (QianhaiRejected, "unknown result code"))
    if cls is QianhaiRejected and code.startswith(_UPSTREAM_FAMILIES):
        cls, meaning = QianhaiUpstreamError, "upstream module error"
    said = f" (Qianhai says: {mask_text(vendor_message)})" if vendor_message else ""
    message = f"Qianhai rejected the {level}: {code} {meaning}{said}"
    return cls(
        message,
        code=f"QH_{code}",
        vendor_code=code,
        meaning=meaning,
        level=level,
        bureau="qianhai",
        **fields,
    )
