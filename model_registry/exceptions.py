"""Errors raised by :mod:`model_registry`.

::

    RegistryError                     every error of this package; ``code`` is stable
    ├── ModelNotFound                 no such registered model, version or alias
    ├── PromotionRefused              the validation gate failed; ``failed_checks`` lists why
    └── RegistryUnavailable           the MLflow tracking/registry server cannot be reached
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["ModelNotFound", "PromotionRefused", "RegistryError", "RegistryUnavailable"]


class RegistryError(Exception):
    """Root of the :mod:`model_registry` error tree."""

    default_code = "REGISTRY_ERROR"

    def __init__(self, message: str, *, code: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = fields

    def __str__(self) -> str:
        return self.message


class ModelNotFound(RegistryError):
    """No such registered model, version or alias."""

    default_code = "MODEL_NOT_FOUND"


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
