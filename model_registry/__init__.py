"""Rating models on MLflow: a ``nongxin`` flavor, versions, champion/challenger, gated promotion.

Errors: see :mod:`model_registry.exceptions`.
"""

from model_registry.exceptions import (
    ModelNotFound,
    PromotionRefused,
    RegistryError,
    RegistryUnavailable,
)

__all__ = ["ModelNotFound", "PromotionRefused", "RegistryError", "RegistryUnavailable"]
