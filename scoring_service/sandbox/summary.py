"""The summary of a generated province, and the Bayes AUC (true PD against outcomes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from scipy.stats import rankdata

from scoring_service.exceptions import UsageError

__all__ = ["ProvinceSummary", "auc", "bayes_auc", "summarise"]


@dataclass(frozen=True)
class ProvinceSummary:
    """What ``generate_province`` made, and where.

    Attributes
    ----------
    path : Path
        The province folder.
    seed, as_of, households, banks
        The arguments it was generated with (``as_of`` as ``YYYY-MM-DD``).
    households_per_bank : Mapping[str, int]
        Households of each bank code (``301``, ``302``, ...), banks without households included.
    bank_names : Mapping[str, str]
        Chinese name of each bank code.
    default_rate : float
        Share of households with ``default_12m == 1``.
    thin_file_share : float
        Share of thin-file households (白户: no loan or card account in the PBOC report).
    bayes_auc : float
        AUC of ``true_pd`` against ``default_12m``: the ceiling for any model.
    manifest, households_table, outcomes_table, pboc_reports, qianhai_results : Path
        Where the files are.
    """

    path: Path
    seed: int
    as_of: str
    households: int
    banks: int
    households_per_bank: Mapping[str, int]
    bank_names: Mapping[str, str]
    default_rate: float
    thin_file_share: float
    bayes_auc: float
    manifest: Path
    households_table: Path
    outcomes_table: Path
    pboc_reports: Path
    qianhai_results: Path

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (paths as strings)."""
        return {
            k: (str(v) if isinstance(v, Path) else dict(v) if isinstance(v, Mapping) else v)
            for k, v in asdict(self).items()
        }


def auc(score: np.ndarray, outcome: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for binary ``outcome`` (ties count one half)."""
    y = np.asarray(outcome).astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(np.asarray(score, dtype=float))
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def summarise(path: Path, manifest: Mapping[str, Any]) -> ProvinceSummary:
    """The summary of the province at ``path`` from its manifest."""
    return ProvinceSummary(
        path=path, seed=manifest["seed"], as_of=manifest["as_of"], households=manifest["households"],
        banks=manifest["banks"], households_per_bank=dict(manifest["households_per_bank"]),
        bank_names=dict(manifest["bank_names"]),
        default_rate=manifest["default_rate"], thin_file_share=manifest["thin_file_share"],
        bayes_auc=manifest["bayes_auc"], manifest=path / "manifest.json",
        households_table=path / "households.parquet", outcomes_table=path / "outcomes.parquet",
        pboc_reports=path / "reports" / "pboc", qianhai_results=path / "reports" / "qianhai",
    )  # fmt: skip


def bayes_auc(province_dir: Path) -> float:
    """AUC of the true PD against the realised 12-month defaults of a province.

    This is the ceiling for any model trained on the province.
    """
    path = Path(province_dir) / "outcomes.parquet"
    if not path.is_file():
        raise UsageError(
            f"{province_dir} is not a sandbox province: {path.name} is missing.",
            code="SANDBOX_INPUT",
            field="province_dir",
        )
    table = pq.read_table(path, columns=["true_pd", "default_12m"])
    return auc(table.column("true_pd").to_numpy(), table.column("default_12m").to_numpy())
