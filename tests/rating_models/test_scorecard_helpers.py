"""Hypothesis strategies and small data sets shared by the scorecard-engine tests (no tests)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from rating_models import Bin, FeatureBins, FeatureScore, Scaling, ScorecardSpec

POINTS = st.floats(-200, 200, allow_nan=False).map(lambda v: round(v, 3))
EDGE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
CATEGORY = st.text(alphabet="abcxyz'\" 农信_-", min_size=1, max_size=6)


@st.composite
def numeric_feature(draw: Any, name: str) -> FeatureScore:
    edges = sorted(set(draw(st.lists(EDGE, min_size=0, max_size=6))))
    bounds: list[float | None] = [None, *edges, None]
    bins = [Bin("interval", lo, hi) for lo, hi in itertools.pairwise(bounds)]
    bins.append(Bin("missing"))
    specials = draw(st.lists(st.sampled_from([-1.0, 99.0, -999.0]), unique=True, max_size=2))
    bins.extend(Bin("special", values=(v,)) for v in specials)
    points = tuple(draw(POINTS) for _ in bins)
    return FeatureScore(FeatureBins(name, "numeric", tuple(bins)), points)


@st.composite
def categorical_feature(draw: Any, name: str) -> FeatureScore:
    cats = draw(st.lists(CATEGORY, min_size=1, max_size=6, unique=True))
    cut = draw(st.integers(1, len(cats)))
    groups = [tuple(cats[:cut]), tuple(cats[cut:])] if cut < len(cats) else [tuple(cats)]
    bins = [Bin("categories", values=g) for g in groups]
    bins.append(Bin("missing"))
    if draw(st.booleans()):
        bins.append(Bin("other"))
    points = tuple(draw(POINTS) for _ in bins)
    return FeatureScore(FeatureBins(name, "categorical", tuple(bins)), points)


@st.composite
def specs(draw: Any) -> ScorecardSpec:
    kinds = draw(st.lists(st.booleans(), min_size=1, max_size=4))
    features = tuple(
        draw(numeric_feature(f"num_{i}") if k else categorical_feature(f"cat {i}"))
        for i, k in enumerate(kinds)
    )
    scaling = draw(st.one_of(st.none(), st.just(Scaling(20.0, 600.0, 50.0))))
    return ScorecardSpec(
        features,
        intercept_points=draw(POINTS),
        scaling=scaling,
        kind="statistical" if scaling else "expert",
        feature_catalog_version=draw(st.sampled_from([None, "pboc-features/1"])),
    )


def frame_for(spec: ScorecardSpec, rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Rows that hit every kind of bin: edges, specials, missing, unseen categories."""
    cols: dict[str, Any] = {}
    for f in spec.features:
        if f.bins.kind == "numeric":
            pool = [*f.bins.edges.tolist(), -1.0, 99.0, -999.0, 0.0, 1e7, -1e7, np.nan]
            x = rng.choice(np.asarray(pool, dtype=np.float64), size=n)
            x = np.where(rng.random(n) < 0.3, rng.normal(0, 1e5, n), x)
            cols[f.name] = x
        else:
            pool = [v for b in f.bins.bins for v in b.values] + ["never seen", None]
            cols[f.name] = pd.Series(
                rng.choice(np.asarray(pool, dtype=object), size=n), dtype=object
            )
    return pd.DataFrame(cols)


def credit_like(rng: np.random.Generator, n: int = 3000) -> tuple[pd.DataFrame, np.ndarray]:
    """A small credit-like set: monotone, U-shaped, missing-is-risky, special value, categorical."""
    income = rng.lognormal(10, 0.6, n)
    age = rng.integers(20, 70, n).astype(float)
    util = rng.beta(2, 5, n)
    util[rng.random(n) < 0.1] = np.nan
    inq = rng.poisson(1.5, n).astype(float)
    inq[rng.random(n) < 0.05] = -1.0  # "no permission" special code
    region = rng.choice(["north", "south", "east", "west", "central"], n)
    logit = (
        -2.0
        - 0.8 * (np.log(income) - 10)
        + 0.002 * (age - 45) ** 2
        + 2.0 * np.nan_to_num(util, nan=0.8)
        + 0.3 * np.where(inq < 0, 3, inq)
        + pd.Series(region)
        .map({"north": 0.5, "south": -0.3, "east": 0.0, "west": 0.2})
        .fillna(-0.5)
        .to_numpy()
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({"income": income, "age": age, "util": util, "inq": inq, "region": region})
    return frame, y
