"""Errors raised by :mod:`credit_limit`.

::

    PolicyError                       every error of this package; ``code`` is stable
    ├── PolicyValidationError         (also ValueError) a policy breaks the schema or a red line;
    │                                 ``violations`` lists every one of them
    ├── OverrideRefused               an override beyond the notch limit or by a wrong role
    └── LimitInputError               (also ValueError) household data the engine cannot use
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rating_models.exceptions import NongxinError

__all__ = ["LimitInputError", "OverrideRefused", "PolicyError", "PolicyValidationError"]


class PolicyError(NongxinError):
    """Root of the :mod:`credit_limit` error tree."""

    default_code = "POLICY_ERROR"


class PolicyValidationError(PolicyError, ValueError):
    """A policy file breaks the schema or the federation's red lines."""

    default_code = "POLICY_INVALID"

    def __init__(
        self,
        message: str,
        *,
        violations: Sequence[str] = (),
        code: str | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(message, code=code, **fields)
        self.violations = list(violations)


class OverrideRefused(PolicyError):
    """An override the policy does not allow (too many notches, wrong approver role)."""

    default_code = "OVERRIDE_REFUSED"


class LimitInputError(PolicyError, ValueError):
    """Household data the limit engine cannot use (missing column, negative income...)."""

    default_code = "LIMIT_INPUT"
