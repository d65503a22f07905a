"""Errors raised by :mod:`rating_models`.

::

    NongxinError                      every error of the toolkit (all five packages)
    └── RatingModelsError             every error of this package; ``code`` is stable
        ├── InvalidParameterError     (also ValueError) an estimator parameter is out of its domain
        ├── InvalidDataError          (also ValueError) the data handed in cannot be used as is
        ├── NotFittedError            (also sklearn's NotFittedError) used before ``fit``
        └── SpecError                 (also ValueError) a serialised spec/card is malformed

Every error carries ``code`` (a short stable string, e.g. ``"RM_PARAM"``) and ``fields``
(structured context such as the parameter or column name) so callers never parse messages.
The roots of the other packages (``BureauError``, ``PolicyError``, ``RegistryError``,
``ServiceError``) derive from :class:`NongxinError` too, so one ``except NongxinError``
catches every coded error of the toolkit and nothing else.
"""

from __future__ import annotations

from typing import Any

from sklearn.exceptions import NotFittedError as _SkNotFittedError

__all__ = [
    "InvalidDataError",
    "InvalidParameterError",
    "NongxinError",
    "NotFittedError",
    "RatingModelsError",
    "SpecError",
]


class NongxinError(Exception):
    """Root of every error nongxin raises: a message, a stable ``code`` and ``fields``.

    Parameters
    ----------
    message : str
        What went wrong and why, for a person (never an unmasked ID number or name).
    code : str, optional
        Stable machine-readable code; the class's ``default_code`` when not given.
    **fields
        Structured context (``field=``, ``bank=``, ``request_id=`` ...).
    """

    default_code = "NONGXIN_ERROR"

    def __init__(self, message: str, *, code: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = fields

    def __str__(self) -> str:
        return self.message


class RatingModelsError(NongxinError):
    """Root of the :mod:`rating_models` error tree."""

    default_code = "RM_ERROR"


class InvalidParameterError(RatingModelsError, ValueError):
    """A parameter is outside its declared domain."""

    default_code = "RM_PARAM"


class InvalidDataError(RatingModelsError, ValueError):
    """Input data cannot be used (wrong dtype, missing column, bad target)."""

    default_code = "RM_DATA"


class NotFittedError(RatingModelsError, _SkNotFittedError):
    """An estimator was used before ``fit``."""

    default_code = "RM_NOT_FITTED"


class SpecError(RatingModelsError, ValueError):
    """A serialised scorecard spec or card is malformed or of an unknown schema version."""

    default_code = "RM_SPEC"
