"""The expert scorecard (专家评分卡) as a validated, versioned value.

A card is blocks of indicators (household basics, assets, income, liabilities, credit
history, village assessment); each indicator reads one input (a column, or a sum, difference
or ratio of columns) and gives points by **bands** (half-open ``[previous below, below)``,
the last band open-ended, so bands can never leave a gap) or by **categories** (with ``other``
points for unlisted values). Every indicator states its ``missing`` points explicitly, and
``missing_when: {column: n_accounts, below: 1}`` treats its input as missing where another
column is below a bound — a PBOC report without any account (白户) is *no* history, not a
clean one, so it gets the neutral ``missing`` points instead of the best band.

An optional ``pd_calibration`` (``intercept``, ``slope``, ``source``) maps the card's score to
a PD; it is fitted on a development sample (:meth:`PDCalibration.fit`), never made up.

A block's ``points`` is its weight; the indicators' best points add up to it, and the blocks
add up to the card's ``total`` (100). A bank may re-weight blocks within each block's
``range`` (:meth:`ExpertCard.with_weights`): indicator points are scaled in proportion.

:meth:`ExpertCard.from_dict` checks the YAML-shaped dict and names **every** problem at once
(``blocks[2].indicators[0].bands[3].below must be greater than 50000``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeGuard

from rating_models.exceptions import InvalidParameterError, SpecError
from rating_models.rating.grades import PDCalibration

__all__ = ["INPUT_KINDS", "Band", "Block", "Category", "ExpertCard", "Indicator", "InputSpec"]

SCHEMA_VERSION = 1
INPUT_KINDS: tuple[str, ...] = ("column", "sum", "difference", "ratio")
_TOL = 1e-9


@dataclass(frozen=True)
class InputSpec:
    """What an indicator reads: ``column`` (``plus = (name,)``), ``sum`` of ``plus``,
    ``difference`` ``sum(plus) - sum(minus)``, or ``ratio`` ``sum(plus) / sum(minus)``
    (missing when the denominator is not positive)."""

    kind: str
    plus: tuple[str, ...]
    minus: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column read, in order, without repeats."""
        return tuple(dict.fromkeys(self.plus + self.minus))

    def to_dict(self) -> dict[str, Any]:
        """YAML form."""
        if self.kind == "column":
            return {"column": self.plus[0]}
        if self.kind == "sum":
            return {"sum": list(self.plus)}
        if self.kind == "difference":
            return {"difference": {"plus": list(self.plus), "minus": list(self.minus)}}
        return {"ratio": {"numerator": list(self.plus), "denominator": list(self.minus)}}


@dataclass(frozen=True)
class Band:
    """Points for values below ``below`` (and at or above the previous band's ``below``)."""

    below: float | None
    points: float


@dataclass(frozen=True)
class Category:
    """Points for the listed values."""

    values: tuple[Any, ...]
    points: float


@dataclass(frozen=True)
class Indicator:
    """One scored indicator (its ``id`` is the feature name reason codes use)."""

    id: str
    zh: str
    en: str
    input: InputSpec
    missing: float
    bands: tuple[Band, ...] = ()
    categories: tuple[Category, ...] = ()
    other: float | None = None
    missing_when: tuple[str, float] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the indicator reads (its input and its ``missing_when`` column)."""
        extra = () if self.missing_when is None else (self.missing_when[0],)
        return tuple(dict.fromkeys(self.input.columns + extra))

    @property
    def is_banded(self) -> bool:
        """True for band rules, False for category rules."""
        return bool(self.bands)

    @property
    def best_points(self) -> float:
        """Points of the best band or category."""
        return (
            max(b.points for b in self.bands)
            if self.bands
            else max(c.points for c in self.categories)
        )

    def scaled(self, factor: float) -> Indicator:
        """The same indicator with every point value multiplied by ``factor``."""
        return replace(
            self,
            missing=self.missing * factor,
            bands=tuple(Band(b.below, b.points * factor) for b in self.bands),
            categories=tuple(Category(c.values, c.points * factor) for c in self.categories),
            other=None if self.other is None else self.other * factor,
        )

    def to_dict(self) -> dict[str, Any]:
        """YAML form."""
        out: dict[str, Any] = {
            "id": self.id,
            "zh": self.zh,
            "en": self.en,
            "input": self.input.to_dict(),
        }
        if self.bands:
            out["bands"] = [
                {"points": b.points} if b.below is None else {"below": b.below, "points": b.points}
                for b in self.bands
            ]
        else:
            out["categories"] = [
                {"values": list(c.values), "points": c.points} for c in self.categories
            ]
            out["other"] = self.other
        out["missing"] = self.missing
        if self.missing_when is not None:
            out["missing_when"] = {"column": self.missing_when[0], "below": self.missing_when[1]}
        return out


@dataclass(frozen=True)
class Block:
    """A block of indicators with its weight (``points``) and allowed ``range``."""

    id: str
    zh: str
    en: str
    points: float
    range: tuple[float, float]
    indicators: tuple[Indicator, ...]

    def to_dict(self) -> dict[str, Any]:
        """YAML form."""
        return {
            "id": self.id,
            "zh": self.zh,
            "en": self.en,
            "points": self.points,
            "range": list(self.range),
            "indicators": [i.to_dict() for i in self.indicators],
        }


@dataclass(frozen=True)
class ExpertCard:
    """A validated expert scorecard. Build it with :meth:`from_dict` / :meth:`from_yaml`."""

    name: str
    version: str
    zh: str
    total: float
    blocks: tuple[Block, ...]
    pd_calibration: PDCalibration | None = None
    schema_version: int = SCHEMA_VERSION

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """Every indicator, block by block."""
        return tuple(i for b in self.blocks for i in b.indicators)

    @property
    def input_columns(self) -> tuple[str, ...]:
        """Every input column the card reads, in card order."""
        return tuple(dict.fromkeys(c for i in self.indicators for c in i.columns))

    def block_of(self) -> dict[str, str]:
        """``{indicator id: block id}``."""
        return {i.id: b.id for b in self.blocks for i in b.indicators}

    def with_weights(self, weights: Mapping[str, float]) -> ExpertCard:
        """The card re-weighted by a bank: ``{block id: points}``.

        Blocks not named keep their points; every weight must be inside its block's range and
        the weights must still add up to ``total``. Indicator points scale in proportion.
        """
        errors = [
            f"unknown block '{k}' in weights"
            for k in weights
            if k not in {b.id for b in self.blocks}
        ]
        blocks = []
        for b in self.blocks:
            w = float(weights.get(b.id, b.points))
            if not b.range[0] - _TOL <= w <= b.range[1] + _TOL:
                errors.append(
                    f"weight of block '{b.id}' = {w:g} is outside its range [{b.range[0]:g}, {b.range[1]:g}]"
                )
            factor = w / b.points
            blocks.append(
                replace(b, points=w, indicators=tuple(i.scaled(factor) for i in b.indicators))
            )
        total = sum(b.points for b in blocks)
        if abs(total - self.total) > _TOL:
            errors.append(f"block weights add up to {total:g}, not the card total {self.total:g}")
        if errors:
            raise InvalidParameterError(
                "Invalid expert-card weights: " + "; ".join(errors), errors=errors
            )
        return replace(self, blocks=tuple(blocks))

    def to_dict(self) -> dict[str, Any]:
        """YAML form (what :meth:`from_dict` reads)."""
        return {
            "schema_version": self.schema_version,
            "name": self.name,
            "version": self.version,
            "zh": self.zh,
            "total": self.total,
            "blocks": [b.to_dict() for b in self.blocks],
            **(
                {}
                if self.pd_calibration is None
                else {"pd_calibration": _calibration_dict(self.pd_calibration)}
            ),
        }

    def with_calibration(self, calibration: PDCalibration) -> ExpertCard:
        """The same card with a score-to-PD calibration (fitted on a development sample)."""
        return replace(self, pd_calibration=calibration)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExpertCard:
        """Validate a YAML-shaped card; raises :class:`SpecError` listing every problem."""
        from rating_models.expert.validate import parse_card

        return parse_card(data)

    @classmethod
    def from_yaml(cls, path: str | Path) -> ExpertCard:
        """Read and validate a card file (``config/expert_cards/*.yaml``)."""
        import yaml

        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise SpecError(f"Cannot read expert card {path}: {exc}", path=str(path)) from exc
        if not isinstance(data, Mapping):
            raise SpecError(f"Expert card {path} must be a mapping.", path=str(path))
        return cls.from_dict(data)


def _calibration_dict(cal: PDCalibration) -> dict[str, Any]:
    return {"intercept": cal.intercept, "slope": cal.slope, "source": cal.source}


def is_number(value: Any) -> TypeGuard[int | float]:
    """A real, finite number (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
