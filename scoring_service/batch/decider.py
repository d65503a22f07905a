"""The per-frame function both engines run: book rows → decision rows with lineage.

:class:`BatchDecider` splits a frame by bank and calls the shared pipeline's
:func:`scoring_service.pipeline.decide` once per bank, so batch and online decisions cannot
drift. It adds the columns the event triggers compare next time (``report_date``,
``credit_village_status``, ``bureau_hash``) and returns the rows in the frame's order.
It holds only values (model, policies, time), so Spark can ship it to executors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from credit_limit import EffectivePolicy, load_policy
from model_registry.serving import LoadedModel
from scoring_service.exceptions import UsageError
from scoring_service.pipeline import BUREAU_COLUMNS, DecisionContext, decide

__all__ = ["BatchDecider", "Decide", "bureau_hash", "load_policies"]

#: A per-frame function: book rows in, decision rows out (same order).
Decide = Callable[[pd.DataFrame], pd.DataFrame]


def _mix(words: np.ndarray) -> None:
    """pandas' 64-bit finaliser (``hash_array`` of numbers), in place."""
    with np.errstate(over="ignore"):
        words ^= words >> np.uint64(30)
        words *= np.uint64(0xBF58476D1CE4E5B9)
        words ^= words >> np.uint64(27)
        words *= np.uint64(0x94D049BB133111EB)
        words ^= words >> np.uint64(31)


def bureau_hash(frame: pd.DataFrame) -> np.ndarray:
    """Per row, a signed 64-bit hash of the bureau features (what a new report changes).

    The value of ``pd.util.hash_pandas_object(frame[BUREAU_COLUMNS].astype(float),
    index=False)`` (what earlier runs stored), computed column by column in place: the
    words of each column are mixed and combined as pandas does, without building the
    per-column Series.
    """
    n, k = len(frame), len(BUREAU_COLUMNS)
    out = np.full(n, 0x345678, dtype=np.uint64)
    mult = 1000003
    word = np.empty(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i, name in enumerate(BUREAU_COLUMNS):
            values = np.asarray(frame[name].to_numpy(dtype=np.float64), dtype=np.float64)
            word[:] = values.view(np.uint64)
            _mix(word)
            out ^= word
            out *= np.uint64(mult)
            mult = (mult + 82520 + 2 * (k - i)) % 2**64
        out += np.uint64(97531)
    return out.view(np.int64)


def load_policies(banks: list[str], config_dir: Path) -> dict[str, EffectivePolicy]:
    """The effective policy of every bank (``config/banks/<code>.yaml`` under red lines)."""
    return {bank: load_policy(bank, config_dir) for bank in banks}


@dataclass(frozen=True)
class BatchDecider:
    """Decide every row of a book chunk under its bank's policy.

    Parameters
    ----------
    models : mapping
        The champion of each bank (a bank's own, else the federation's): name, version and
        content hash are stamped on every decision.
    policies : mapping
        Effective policy by bank code; a row of a bank without one is an error.
    decided_at : datetime
        Decision time of the whole run (resumed chunks get the same).
    """

    models: Mapping[str, LoadedModel]
    policies: Mapping[str, EffectivePolicy]
    decided_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def _context(self, bank: str) -> DecisionContext:
        policy = self.policies.get(bank)
        model = self.models.get(bank)
        if policy is None or model is None:
            raise UsageError(
                f"The book holds bank {bank!r} but the run has no policy or model for it "
                f"(banks: {sorted(self.policies)}).",
                field="bank_code",
                bank_code=bank,
            )
        return DecisionContext(bank, policy, model, decided_at=self.decided_at)

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Decisions of ``frame`` (any mix of banks), in its row order (index 0..n-1)."""
        n = len(frame)
        if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0:
            frame = frame.copy(deep=False)  # a new index, not a copy of the data
            frame.index = pd.RangeIndex(n)
        codes, banks = pd.factorize(frame["bank_code"].astype(str), sort=True)
        if len(banks) == 1:
            out = decide(frame, self._context(str(banks[0])))
        else:  # one frame per bank, decided, then put back in the frame's row order
            parts = [decide(frame[codes == i], self._context(str(b))) for i, b in enumerate(banks)]
            out = pd.concat(parts).sort_index(kind="stable")
        if "report_date" in frame.columns:
            out["report_date"] = frame["report_date"].to_numpy()
        out["credit_village_status"] = frame["credit_village_status"].astype(str).to_numpy()
        out["bureau_hash"] = bureau_hash(frame)
        out.index = pd.RangeIndex(n)
        return out
