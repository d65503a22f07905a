"""The sandbox province: synthetic households, PBOC and Qianhai reports, known true PDs.

>>> from scoring_service.sandbox import generate_province, bayes_auc  # doctest: +SKIP

See ``docs/sandbox.md`` for the latent risk model, the report traps and the file layout.
"""

from __future__ import annotations

from scoring_service.sandbox.province import GENERATOR_VERSION, SCHEMA_VERSION, generate_province
from scoring_service.sandbox.summary import ProvinceSummary, bayes_auc

__all__ = [
    "GENERATOR_VERSION",
    "SCHEMA_VERSION",
    "ProvinceSummary",
    "bayes_auc",
    "generate_province",
]
