"""Compile an expert card to a :class:`~rating_models.scorecard.ScorecardSpec`.

Expert and statistical cards are then scored by the same compiled scorer: each indicator
becomes a feature (named by its id) whose bins are the card's bands or categories plus a
missing bin (the indicator's ``missing`` points) and, for categories, an ``other`` bin. The
spec reads the indicator columns built by :func:`~rating_models.expert.scoring.indicator_inputs`.
It has no scaling: an expert score is not log-odds, so its PD comes from a
:class:`~rating_models.rating.grades.PDCalibration` fitted on the development sample.
"""

from __future__ import annotations

import itertools
from typing import Any

from rating_models.binning.bins import Bin, FeatureBins
from rating_models.expert.card import ExpertCard, Indicator
from rating_models.scorecard.spec import FeatureScore, ScorecardSpec

__all__ = ["category_strings", "to_spec"]


def category_strings(value: Any) -> tuple[str, ...]:
    """The strings a category value matches in data: ``0`` matches ``"0"`` and ``"0.0"``;
    ``false`` matches ``"False"``, ``"0"`` and ``"0.0"`` (bool, int and float columns alike).

    >>> category_strings(False), category_strings(2), category_strings("good")
    (('False', '0', '0.0'), ('2', '2.0'), ('good',))
    """
    if isinstance(value, bool):
        return (str(value), str(int(value)), str(float(value)))
    if isinstance(value, int):
        return (str(value), str(float(value)))
    if isinstance(value, float) and value.is_integer():
        return (str(value), str(int(value)))
    return (str(value),)


def _feature(ind: Indicator) -> FeatureScore:
    if ind.is_banded:
        bounds = [None, *[b.below for b in ind.bands[:-1]], None]
        bins = [Bin("interval", lo, hi) for lo, hi in itertools.pairwise(bounds)]
        points = [b.points for b in ind.bands]
        bins.append(Bin("missing"))
        points.append(ind.missing)
        return FeatureScore(FeatureBins(ind.id, "numeric", tuple(bins)), tuple(points))
    bins, points = [], []
    seen: set[str] = set()
    for cat in ind.categories:
        names = [s for v in cat.values for s in category_strings(v) if s not in seen]
        names = list(dict.fromkeys(names))
        seen.update(names)
        bins.append(Bin("categories", values=tuple(names)))
        points.append(cat.points)
    bins += [Bin("missing"), Bin("other")]
    points += [ind.missing, float(ind.other or 0.0)]
    return FeatureScore(FeatureBins(ind.id, "categorical", tuple(bins)), tuple(points))


def to_spec(card: ExpertCard) -> ScorecardSpec:
    """The card as a scorecard spec (kind ``expert``, no scaling, intercept 0).

    The spec's name carries the card's name and version (``federation_default@2026.11``).
    """
    return ScorecardSpec(
        features=tuple(_feature(i) for i in card.indicators),
        intercept_points=0.0,
        scaling=None,
        name=f"{card.name}@{card.version}",
        kind="expert",
    )
