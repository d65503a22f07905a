"""Errors raised by :mod:`bureau_adapters`.

::

    BureauError                       every error of this package; ``code`` is stable
    ├── MalformedReportError          (also ValueError) bytes that are not a valid report
    │   └── UnsafeXMLError            entities, DTDs, size or depth beyond the limits
    ├── ConsentError                  no valid written authorisation for this query
    ├── BureauTransportError          the bureau could not be reached or answered badly
    │   └── BureauTimeout             a connect or read timeout
    └── BureauRejected                the bureau answered with a coded error (never "no risk")

Each error has ``code`` (e.g. ``"PBOC_XML_ENTITY"``, ``"QH_E000998"``) and ``fields``
(``field=``, ``bureau=``, ``request_id=`` ...). ID numbers and names are never put into
messages unmasked; use :mod:`bureau_adapters.pii` to mask them.
"""

from __future__ import annotations

from rating_models.exceptions import NongxinError

__all__ = [
    "BureauError",
    "BureauRejected",
    "BureauTimeout",
    "BureauTransportError",
    "ConsentError",
    "MalformedReportError",
    "UnsafeXMLError",
]


class BureauError(NongxinError):
    """Root of the :mod:`bureau_adapters` error tree."""

    default_code = "BUREAU_ERROR"


class MalformedReportError(BureauError, ValueError):
    """The bytes are not a report this parser can read."""

    default_code = "BUREAU_MALFORMED"


class UnsafeXMLError(MalformedReportError):
    """XML refused by the hardened parser (entities, DTD, size or depth)."""

    default_code = "XML_UNSAFE"


class ConsentError(BureauError):
    """No stored, unexpired written authorisation for this subject, bank and reason."""

    default_code = "CONSENT_MISSING"


class BureauTransportError(BureauError):
    """The bureau was unreachable, dropped the connection or answered with garbage."""

    default_code = "BUREAU_TRANSPORT"


class BureauTimeout(BureauTransportError):
    """A connect or read timeout talking to a bureau."""

    default_code = "BUREAU_TIMEOUT"


class BureauRejected(BureauError):
    """The bureau answered with an error code; the query produced no report."""

    default_code = "BUREAU_REJECTED"
