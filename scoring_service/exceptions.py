"""Errors raised by :mod:`scoring_service` itself (the domain packages have their own trees).

::

    NongxinError                      (rating_models.exceptions) every error of the toolkit
    └── ServiceError                  every error of this package; ``code`` is stable
        ├── UsageError                (also ValueError) bad command-line or job input
        ├── InputError                (also ValueError) a malformed request or input row
        ├── TenantError               unknown bank or API key; another bank's data
        ├── DecisionError             a decision cannot be stored, found or replayed
        ├── RerateChunkError          a re-rating chunk failed; the run stopped, names it
        │                             (``scoring_service.batch.worker``, ``RERATE_CHUNK``)
        └── StepFailed                a step of the main job failed
                                      (``scoring_service.mainjob.context``)
"""

from __future__ import annotations

from rating_models.exceptions import NongxinError

__all__ = ["DecisionError", "InputError", "ServiceError", "TenantError", "UsageError"]


class ServiceError(NongxinError):
    """Root of the :mod:`scoring_service` error tree."""

    default_code = "SERVICE_ERROR"


class UsageError(ServiceError, ValueError):
    """Bad command-line or job input (counts, paths, options)."""

    default_code = "USAGE"


class TenantError(ServiceError):
    """Unknown bank or API key, or an attempt to reach another bank's data."""

    default_code = "TENANT"


class DecisionError(ServiceError):
    """A decision cannot be stored, found or replayed."""

    default_code = "DECISION"


class InputError(ServiceError, ValueError):
    """A request or input row is malformed; ``fields["field"]`` names the offending field."""

    default_code = "INPUT_INVALID"
