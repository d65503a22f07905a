"""Federation red lines, per-bank policies and the (pure, vectorised) credit-limit engine.

Never imports FastAPI, MLflow or a bureau adapter. Errors: see :mod:`credit_limit.exceptions`.
"""

from credit_limit.exceptions import (
    LimitInputError,
    OverrideRefused,
    PolicyError,
    PolicyValidationError,
)

__all__ = ["LimitInputError", "OverrideRefused", "PolicyError", "PolicyValidationError"]
