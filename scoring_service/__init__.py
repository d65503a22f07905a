"""The nongxin application: rating pipeline, HTTP API, batch re-rating, CLI, sandbox province.

Imports the domain packages (``model_registry``, ``credit_limit``, ``bureau_adapters``,
``rating_models``); nothing imports it. Errors: see :mod:`scoring_service.exceptions`.
"""

__version__ = "0.1.0"
