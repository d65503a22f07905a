"""Parameter constraints declared once, as data; error messages generated from them.

Each estimator lists its constraints in a class attribute ``_parameter_constraints``
(parameter name -> list of accepted constraints) and calls :func:`validate_params` in ``fit``.
The message names the parameter, the owner and what is accepted, e.g.
``"The 'pdo' parameter of Scorecard must be a float > 0. Got -20."``
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rating_models.exceptions import InvalidParameterError

__all__ = [
    "Constraint",
    "InstanceOf",
    "Interval",
    "NoneOK",
    "Options",
    "validate_params",
]


class Constraint:
    """One accepted shape of a parameter value."""

    def is_satisfied_by(self, value: Any) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Interval(Constraint):
    """A real or integer number within bounds, e.g. ``Interval(float, 0, None, "neither")``."""

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"  # "both", "left", "right", "neither"

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, numbers.Integral):
            return False
        if not isinstance(value, numbers.Real) or math.isnan(float(value)):
            return False
        value = float(value)
        low_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        high_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right") else value < self.high
        )
        return bool(low_ok and high_ok)

    def describe(self) -> str:
        name = "an int" if self.kind is int else "a float"
        lo_op = ">=" if self.closed in ("both", "left") else ">"
        hi_op = "<=" if self.closed in ("both", "right") else "<"
        if self.low is not None and self.high is not None:
            lo_b = "[" if lo_op == ">=" else "("
            hi_b = "]" if hi_op == "<=" else ")"
            return f"{name} in the range {lo_b}{_num(self.low)}, {_num(self.high)}{hi_b}"
        if self.low is not None:
            return f"{name} {lo_op} {_num(self.low)}"
        if self.high is not None:
            return f"{name} {hi_op} {_num(self.high)}"
        return name


@dataclass(frozen=True)
class Options(Constraint):
    """One of a fixed set of values (strings usually)."""

    values: tuple[Any, ...]

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, str | int) and not isinstance(value, bool) and value in self.values

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class InstanceOf(Constraint):
    """An instance of one of the given types (``Mapping``, ``Sequence``, an estimator ...)."""

    types: tuple[type, ...]
    label: str = ""

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, str) and str not in self.types:
            return False
        return isinstance(value, self.types)

    def describe(self) -> str:
        return self.label or " or ".join(f"an instance of {t.__name__}" for t in self.types)


class _NoneOK(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return value is None

    def describe(self) -> str:
        return "None"


NoneOK = _NoneOK()
MAPPING = InstanceOf((Mapping,), "a mapping")
SEQUENCE = InstanceOf((Sequence,), "a list")
BOOL = InstanceOf((bool,), "a bool")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def describe(constraints: Sequence[Constraint]) -> str:
    """Join constraint descriptions: ``"a float > 0 or None"``."""
    parts = [c.describe() for c in constraints]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def validate_params(
    owner: str, constraints: Mapping[str, Sequence[Constraint]], params: Mapping[str, Any]
) -> None:
    """Check every parameter against its declared constraints.

    Raises
    ------
    InvalidParameterError
        naming the first parameter (in declaration order) that satisfies none of them.
    """
    for name, accepted in constraints.items():
        value = params[name]
        if not any(c.is_satisfied_by(value) for c in accepted):
            raise InvalidParameterError(
                f"The {name!r} parameter of {owner} must be {describe(accepted)}. Got {value!r}.",
                parameter=name,
                owner=owner,
                value=repr(value),
            )
