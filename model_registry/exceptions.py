"""Errors raised by :mod:`model_registry`.

::

    RegistryError                     every error of this package; ``code`` is stable
    ├── ModelNotFound                 no such registered model, version or alias
    ├── ModelFormatError              a rating-model artifact is malformed or tampered with
    ├── EvidenceError                 validation evidence (test set, recent population) unusable
    ├── PromotionRefused              the validation gate failed; ``failed_checks`` lists why
    └── RegistryUnavailable           the MLflow tracking/registry server cannot be reached
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rating_models.exceptions import NongxinError

__all__ = [
    "EvidenceError",
    "ModelFormatError",
    "ModelNotFound",
    "PromotionRefused",
    "RegistryError",
    "RegistryUnavailable",
]


class RegistryError(NongxinError):
    """Root of the :mod:`model_registry` error tree."""

    default_code = "REGISTRY_ERROR"


class ModelNotFound(RegistryError):
    """No such registered model, version or alias."""

    default_code = "MODEL_NOT_FOUND"


class ModelFormatError(RegistryError):
    """A rating-model artifact is malformed, of an unknown schema, or fails its checksum."""

    default_code = "MODEL_FORMAT"


class EvidenceError(RegistryError):
    """The validation evidence of a promotion is missing or unusable."""

    default_code = "INVALID_EVIDENCE"


class PromotionRefused(RegistryError):
    """The validation gate refused a promotion."""

    default_code = "PROMOTION_REFUSED"

    def __init__(
        self,
        message: str,
        *,
        failed_checks: Sequence[str] = (),
        code: str | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(message, code=code, **fields)
        self.failed_checks = list(failed_checks)


class RegistryUnavailable(RegistryError):
    """The registry (MLflow tracking server or database) cannot be reached."""

    default_code = "REGISTRY_UNAVAILABLE"
