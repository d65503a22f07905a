"""Validation of a YAML-shaped expert card: every error, named by its path, at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rating_models.exceptions import SpecError
from rating_models.expert.card import (
    _TOL,
    SCHEMA_VERSION,
    Band,
    Block,
    Category,
    ExpertCard,
    Indicator,
    InputSpec,
    is_number,
)
from rating_models.rating.grades import PDCalibration

__all__ = ["parse_card"]

_CARD_KEYS = {"schema_version", "name", "version", "zh", "total", "blocks", "pd_calibration"}
_BLOCK_KEYS = {"id", "zh", "en", "points", "range", "indicators"}
_IND_KEYS = {
    "id", "zh", "en", "input", "bands", "categories", "other", "missing", "missing_when", "note"
}  # fmt: skip


class _Errors:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}" if where else message)

    def keys(self, where: str, data: Mapping[str, Any], allowed: set[str]) -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.add(where, f"unknown key '{key}' (allowed: {sorted(allowed)})")

    def text(self, where: str, data: Mapping[str, Any], key: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.add(where, f"'{key}' is required and must be a non-empty string")
            return ""
        return value

    def number(
        self, where: str, data: Mapping[str, Any], key: str, *, minimum: float | None = 0.0
    ) -> float:
        value = data.get(key)
        if not is_number(value):
            self.add(where, f"'{key}' must be a number. Got {value!r}")
            return 0.0
        if minimum is not None and value < minimum:
            self.add(where, f"'{key}' must be >= {minimum:g}. Got {value!r}")
        return float(value)


def _names(errors: _Errors, where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        errors.add(
            where, f"must be a column name or a non-empty list of column names. Got {value!r}"
        )
        return ("?",)
    return tuple(value)


def _input(errors: _Errors, where: str, value: Any) -> InputSpec:
    if (
        not isinstance(value, Mapping)
        or len(value) != 1
        or next(iter(value)) not in ("column", "sum", "difference", "ratio")
    ):
        errors.add(
            where,
            f"must be one of {{column: X}}, {{sum: [..]}}, {{difference: {{plus, minus}}}}, {{ratio: {{numerator, denominator}}}}. Got {value!r}",
        )
        return InputSpec("column", ("?",))
    kind, body = next(iter(value.items()))
    if kind in ("column", "sum"):
        cols = _names(errors, f"{where}.{kind}", body)
        if kind == "column" and len(cols) != 1:
            errors.add(f"{where}.column", "must name exactly one column")
        return InputSpec(kind, cols)
    keys = ("plus", "minus") if kind == "difference" else ("numerator", "denominator")
    if not isinstance(body, Mapping) or set(body) != set(keys):
        errors.add(f"{where}.{kind}", f"must have exactly the keys {list(keys)}. Got {body!r}")
        return InputSpec(kind, ("?",), ("?",))
    return InputSpec(
        kind,
        _names(errors, f"{where}.{kind}.{keys[0]}", body[keys[0]]),
        _names(errors, f"{where}.{kind}.{keys[1]}", body[keys[1]]),
    )


def _bands(errors: _Errors, where: str, items: Any) -> tuple[Band, ...]:
    if not isinstance(items, list) or not items:
        errors.add(where, "must be a non-empty list of {below, points}, the last without 'below'")
        return ()
    bands: list[Band] = []
    previous: float | None = None
    for j, item in enumerate(items):
        at = f"{where}[{j}]"
        if not isinstance(item, Mapping):
            errors.add(at, "must be a mapping {below, points}")
            continue
        errors.keys(at, item, {"below", "points"})
        points = errors.number(at, item, "points")
        last = j == len(items) - 1
        below = item.get("below")
        if last:
            if below is not None:
                errors.add(at, "the last band must not have 'below' (it runs to +infinity)")
            bands.append(Band(None, points))
            continue
        if not is_number(below):
            errors.add(at, f"'below' must be a number. Got {below!r}")
            continue
        if previous is not None and below <= previous:
            errors.add(at, f"'below' must be greater than {previous:g}. Got {below:g}")
        previous = float(below)
        bands.append(Band(float(below), points))
    return tuple(bands)


def _categories(errors: _Errors, where: str, items: Any) -> tuple[Category, ...]:
    if not isinstance(items, list) or not items:
        errors.add(where, "must be a non-empty list of {values, points}")
        return ()
    out: list[Category] = []
    seen: dict[Any, int] = {}
    for j, item in enumerate(items):
        at = f"{where}[{j}]"
        if not isinstance(item, Mapping):
            errors.add(at, "must be a mapping {values, points}")
            continue
        errors.keys(at, item, {"values", "points"})
        points = errors.number(at, item, "points")
        values = item.get("values")
        if not isinstance(values, list) or not values:
            errors.add(at, f"'values' must be a non-empty list. Got {values!r}")
            continue
        for v in values:
            key = (type(v).__name__, v)
            if key in seen:
                errors.add(at, f"value {v!r} is already in categories[{seen[key]}]")
            seen[key] = j
        out.append(Category(tuple(values), points))
    return tuple(out)


def _indicator(errors: _Errors, where: str, data: Any) -> Indicator | None:
    if not isinstance(data, Mapping):
        errors.add(where, "must be a mapping")
        return None
    errors.keys(where, data, _IND_KEYS)
    ind_id = errors.text(where, data, "id")
    where = f"{where} '{ind_id}'" if ind_id else where
    zh, en = errors.text(where, data, "zh"), errors.text(where, data, "en")
    spec = _input(errors, f"{where}.input", data.get("input"))
    missing = errors.number(where, data, "missing")
    has_b, has_c = "bands" in data, "categories" in data
    if has_b == has_c:
        errors.add(where, "needs exactly one of 'bands' and 'categories'")
        return None
    bands = _bands(errors, f"{where}.bands", data["bands"]) if has_b else ()
    cats = _categories(errors, f"{where}.categories", data["categories"]) if has_c else ()
    other = None
    if has_c:
        other = errors.number(where, data, "other")
    elif "other" in data:
        errors.add(where, "'other' is only for category rules")
    when = _missing_when(errors, f"{where}.missing_when", data.get("missing_when"))
    if not (bands or cats):
        return None
    ind = Indicator(ind_id, zh, en, spec, missing, bands, cats, other, when)
    best = ind.best_points
    for label, value in (("missing", missing), ("other", other)):
        if value is not None and value > best + _TOL:
            errors.add(where, f"'{label}' points {value:g} exceed the best band's {best:g}")
    return ind


def _missing_when(errors: _Errors, where: str, value: Any) -> tuple[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) != {"column", "below"}:
        errors.add(where, f"must be {{column: NAME, below: NUMBER}}. Got {value!r}")
        return None
    column, below = value["column"], value["below"]
    if not isinstance(column, str) or not column or not is_number(below):
        errors.add(where, f"needs a column name and a number 'below'. Got {value!r}")
        return None
    return (column, float(below))


def _block(errors: _Errors, where: str, data: Any, ids: dict[str, str]) -> Block | None:
    if not isinstance(data, Mapping):
        errors.add(where, "must be a mapping")
        return None
    errors.keys(where, data, _BLOCK_KEYS)
    block_id = errors.text(where, data, "id")
    where = f"{where} '{block_id}'" if block_id else where
    zh, en = errors.text(where, data, "zh"), errors.text(where, data, "en")
    points = errors.number(where, data, "points", minimum=0.0)
    rng = data.get("range")
    if not (
        isinstance(rng, list)
        and len(rng) == 2
        and all(is_number(v) for v in rng)
        and 0 <= rng[0] <= rng[1]
    ):
        errors.add(where, f"'range' must be [low, high] with 0 <= low <= high. Got {rng!r}")
        rng = [points, points]
    elif not rng[0] - _TOL <= points <= rng[1] + _TOL:
        errors.add(where, f"'points' {points:g} is outside its range [{rng[0]:g}, {rng[1]:g}]")
    items = data.get("indicators")
    if not isinstance(items, list) or not items:
        errors.add(where, "'indicators' must be a non-empty list")
        items = []
    indicators = []
    for j, item in enumerate(items):
        ind = _indicator(errors, f"{where}.indicators[{j}]", item)
        if ind is None:
            continue
        if ind.id in ids:
            errors.add(
                f"{where}.indicators[{j}]",
                f"indicator id '{ind.id}' is already used in block '{ids[ind.id]}'",
            )
        ids[ind.id] = block_id
        indicators.append(ind)
    best = sum(i.best_points for i in indicators)
    if indicators and len(indicators) == len(items) and abs(best - points) > _TOL:
        errors.add(
            where,
            f"the indicators' best points add up to {best:g}, not the block's points {points:g}",
        )
    return Block(block_id, zh, en, points, (float(rng[0]), float(rng[1])), tuple(indicators))


def parse_card(data: Mapping[str, Any]) -> ExpertCard:
    """Validate a YAML-shaped card into an :class:`ExpertCard` or raise with every error."""
    errors = _Errors()
    if not isinstance(data, Mapping):
        raise SpecError("An expert card must be a mapping.")
    errors.keys("", data, _CARD_KEYS)
    if data.get("schema_version") != SCHEMA_VERSION:
        errors.add(
            "", f"'schema_version' must be {SCHEMA_VERSION}. Got {data.get('schema_version')!r}"
        )
    name, version = errors.text("", data, "name"), errors.text("", data, "version")
    title = errors.text("", data, "zh")
    total = errors.number("", data, "total", minimum=_TOL)
    items = data.get("blocks")
    if not isinstance(items, list) or not items:
        errors.add("", "'blocks' must be a non-empty list")
        items = []
    ids: dict[str, str] = {}
    blocks = [
        b
        for j, item in enumerate(items)
        if (b := _block(errors, f"blocks[{j}]", item, ids)) is not None
    ]
    block_ids = [b.id for b in blocks]
    for dup in sorted({b for b in block_ids if block_ids.count(b) > 1}):
        errors.add("", f"block id '{dup}' is used more than once")
    added = sum(b.points for b in blocks)
    if blocks and len(blocks) == len(items) and abs(added - total) > _TOL:
        errors.add("", f"the blocks' points add up to {added:g}, not the card total {total:g}")
    calibration = _calibration(errors, data.get("pd_calibration"))
    if errors.items:
        raise SpecError(
            f"Invalid expert card '{name or '?'}' ({len(errors.items)} errors): "
            + "; ".join(errors.items),
            errors=errors.items,
        )
    return ExpertCard(
        name=name,
        version=version,
        zh=title,
        total=total,
        blocks=tuple(blocks),
        pd_calibration=calibration,
    )


def _calibration(errors: _Errors, data: Any) -> PDCalibration | None:
    if data is None:
        return None
    where = "pd_calibration"
    if not isinstance(data, Mapping):
        errors.add(where, "must be a mapping {intercept, slope, source}")
        return None
    errors.keys(where, data, {"intercept", "slope", "source"})
    intercept = errors.number(where, data, "intercept", minimum=None)
    slope = errors.number(where, data, "slope", minimum=None)
    source = errors.text(where, data, "source")
    if slope >= 0:
        errors.add(where, f"'slope' must be < 0 (more points, less risk). Got {slope:g}")
    return PDCalibration(intercept=intercept, slope=slope, source=source)
