"""A scorecard as one SQL expression, so a bank can score inside its warehouse.

``intercept + CASE WHEN <feature is missing> THEN .. WHEN <special> THEN .. WHEN x < e1 THEN ..
... ELSE .. END + ...`` with the features added left to right, as the Python scorer does, and
every number written as an exact double literal, so the SQL score equals ``spec.score(df)``
bit for bit. Missing means NULL or NaN. Text values are quoted for the dialect: doubled single
quotes for PostgreSQL (backslashes as written), backslash escapes of ``\\`` and ``'`` for Spark SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rating_models.binning.bins import FeatureBins
from rating_models.exceptions import InvalidParameterError

if TYPE_CHECKING:
    from rating_models.scorecard.spec import FeatureScore, ScorecardSpec

__all__ = ["DIALECTS", "render_score"]


@dataclass(frozen=True)
class _Dialect:
    quote: Callable[[str], str]
    double: str  # the double type name
    nan_test: Callable[[str], str]
    text: Callable[[str], str]  # a string literal


def _quote_pg(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_spark(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _text_pg(value: str) -> str:
    """Standard SQL literal: PostgreSQL reads backslashes as written (standard strings)."""
    return "'" + value.replace("'", "''") + "'"


def _text_spark(value: str) -> str:
    """Spark SQL literal: backslash is Spark's escape character, so both it and ``'`` are
    escaped with a backslash (read the same with or without ``''`` support)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


DIALECTS: dict[str, _Dialect] = {
    "postgresql": _Dialect(
        _quote_pg,
        "DOUBLE PRECISION",
        lambda c: f"{c} = CAST('NaN' AS DOUBLE PRECISION)",
        _text_pg,
    ),
    "spark": _Dialect(_quote_spark, "DOUBLE", lambda c: f"isnan({c})", _text_spark),
}


def _num(value: float, d: _Dialect) -> str:
    return f"CAST('{float(value)!r}' AS {d.double})"


def _literal(value: object, fb: FeatureBins, d: _Dialect) -> str:
    return d.text(str(value)) if fb.kind == "categorical" else _num(float(str(value)), d)


def _feature_case(f: FeatureScore, d: _Dialect) -> str:
    fb: FeatureBins = f.bins
    col = d.quote(fb.name)
    missing = fb.missing_index
    is_missing = f"{col} IS NULL"
    if fb.kind == "numeric":
        is_missing += f" OR {d.nan_test(col)}"
    lines = [f"WHEN {is_missing} THEN {_num(f.points[missing], d)}"]
    fallback = f.points[missing]
    for i, b in enumerate(fb.bins):
        if b.kind == "special" or (b.kind == "categories" and b.values):
            values = ", ".join(_literal(v, fb, d) for v in b.values)
            lines.append(f"WHEN {col} IN ({values}) THEN {_num(f.points[i], d)}")
        elif b.kind == "other":
            fallback = f.points[i]
    if fb.kind == "numeric":
        intervals = [(i, b) for i, b in enumerate(fb.bins) if b.kind == "interval"]
        for i, b in intervals[:-1]:
            lines.append(f"WHEN {col} < {_num(b.upper or 0.0, d)} THEN {_num(f.points[i], d)}")
        fallback = f.points[intervals[-1][0]]
    body = "\n    ".join(lines)
    return f"(CASE\n    {body}\n    ELSE {_num(fallback, d)}\n  END)"


def render_score(spec: ScorecardSpec, dialect: str) -> str:
    """The score of ``spec`` as one SQL expression in ``dialect`` (postgresql or spark)."""
    d = DIALECTS.get(dialect)
    if d is None:
        raise InvalidParameterError(
            f"The 'dialect' parameter of to_sql must be one of {sorted(DIALECTS)}. Got {dialect!r}.",
            parameter="dialect",
        )
    terms = [_num(spec.intercept_points, d), *(_feature_case(f, d) for f in spec.features)]
    return "(" + "\n  + ".join(terms) + ")"
