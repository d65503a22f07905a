"""PBOC (二代征信) and Qianhai (前海征信) adapters.

Layers: transport (the only I/O, mandatory timeouts, audit and PII masking as hooks) →
parser (pure ``bytes → report``, hardened XML) → features (pure, versioned catalog).
Compliance: consent registry, append-only query audit log, per-bank report store.
Errors: see :mod:`bureau_adapters.exceptions`.
"""

from bureau_adapters.exceptions import (
    BureauError,
    BureauRejected,
    BureauTimeout,
    BureauTransportError,
    ConsentError,
    MalformedReportError,
    UnsafeXMLError,
)

__all__ = [
    "BureauError",
    "BureauRejected",
    "BureauTimeout",
    "BureauTransportError",
    "ConsentError",
    "MalformedReportError",
    "UnsafeXMLError",
]
