"""Federation red lines, per-bank policies and the (pure, vectorised) credit-limit engine.

The federation (省联社) publishes red lines (:class:`FederationRedLines`,
``config/federation.yaml``); each bank (法人行社) tunes its :class:`BankPolicy`
(``config/banks/<code>.yaml``) inside them. :func:`load_policy` pairs the two into an
:class:`EffectivePolicy`, refusing a policy outside the lines with a
:class:`PolicyValidationError` that lists every violation. :func:`compute_limits` (a frame of
households), :func:`limit_columns` (the same as arrays, from a frame or named columns) and
:func:`compute_limit` (one household) run the same arithmetic and say which term bound each
limit; :func:`apply_override` checks overrides; :func:`whatif` compares a
proposed policy with the current one on a portfolio.

Never imports FastAPI, MLflow, a bureau adapter or :mod:`scoring_service`. Errors: see
:mod:`credit_limit.exceptions`.

Examples
--------
>>> from credit_limit import compute_limits, load_policy
>>> from credit_limit.examples import worked_example_e
>>> compute_limits(worked_example_e(), load_policy("301", "config"))["limit"].tolist()
[100000]
"""

from credit_limit._base import CREDIT_GRADES, GRADES, PRODUCTS, VILLAGE_STATUSES, canonical_hash
from credit_limit.config import (
    EffectivePolicy,
    load_bank_policy,
    load_federation,
    load_policy,
    validate_config,
)
from credit_limit.decision import LimitDecision, OverrideRecord
from credit_limit.engine import (
    BINDING_TERMS,
    REASONS,
    compute_limit,
    compute_limits,
    limit_columns,
)
from credit_limit.exceptions import (
    LimitInputError,
    OverrideRefused,
    PolicyError,
    PolicyValidationError,
)
from credit_limit.overrides import Override, apply_override
from credit_limit.policy import BankPolicy, grades_for_pd
from credit_limit.redlines import FederationRedLines
from credit_limit.whatif import whatif

__all__ = [
    "BINDING_TERMS",
    "CREDIT_GRADES",
    "GRADES",
    "PRODUCTS",
    "REASONS",
    "VILLAGE_STATUSES",
    "BankPolicy",
    "EffectivePolicy",
    "FederationRedLines",
    "LimitDecision",
    "LimitInputError",
    "Override",
    "OverrideRecord",
    "OverrideRefused",
    "PolicyError",
    "PolicyValidationError",
    "apply_override",
    "canonical_hash",
    "compute_limit",
    "compute_limits",
    "grades_for_pd",
    "limit_columns",
    "load_bank_policy",
    "load_federation",
    "load_policy",
    "validate_config",
    "whatif",
]
