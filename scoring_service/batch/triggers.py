"""Event triggers: re-rate only the households whose inputs changed since a run.

The selection is a vectorised anti-join of each chunk's ``(household_id, inputs_hash)``
against the previous run's decisions: a new bureau report, a new overdue, a village status
change or a survey update all change the inputs hash, so a daily job re-rates only those.
:func:`trigger_reasons` names the change of each re-rated household, for the report.

A triggered run's decisions hold only the re-rated households: a household's current decision
is its row in the latest complete run that holds it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring_service.batch.book import BOOK_KEY
from scoring_service.batch.engine import ChunkFilter
from scoring_service.batch.ledger import RunFolder
from scoring_service.exceptions import UsageError
from scoring_service.pipeline import input_frame, inputs_hash

__all__ = [
    "TRIGGERS",
    "TRIGGER_COLUMNS",
    "UNCHANGED",
    "ChangedRows",
    "changed_rows",
    "trigger_reasons",
]

#: Reasons a household is re-rated, most specific first.
TRIGGERS = (
    "new_household",
    "new_bureau_report",
    "bureau_change",
    "village_status",
    "survey_change",
)

#: What :func:`trigger_reasons` says of a household whose inputs did not change (a full run).
UNCHANGED = "unchanged"

#: Decision columns :func:`trigger_reasons` compares.
TRIGGER_COLUMNS = ("report_ids", "bureau_hash", "credit_village_status", "inputs_hash")


def _keys(households: pd.Series, hashes: np.ndarray | pd.Series) -> pd.Index:
    return pd.Index(households.astype(str).to_numpy() + "|" + np.asarray(hashes, dtype=str))


class ChangedRows:
    """A chunk filter: rows whose ``(household_id, inputs hash)`` is not in ``known``.

    A plain value (picklable), so helper processes of a run can apply it too.
    """

    def __init__(self, known: pd.Index) -> None:
        self.known = known

    def __call__(self, chunk: pd.DataFrame) -> pd.DataFrame:
        keys = _keys(chunk[BOOK_KEY], inputs_hash(input_frame(chunk)))
        return chunk[~keys.isin(self.known)]


def changed_rows(previous: RunFolder) -> ChunkFilter:
    """A chunk filter keeping rows that are new or whose inputs hash differs from ``previous``.

    Raises
    ------
    UsageError
        The previous run does not exist or is not complete.
    """
    manifest = previous.read_manifest()
    if manifest.get("status") != "complete":
        raise UsageError(
            f"Run {previous.run_id!r} is not complete; triggers compare with a complete run.",
            field="changed_since",
        )
    old = previous.read_decisions([BOOK_KEY, "inputs_hash"])
    return ChangedRows(_keys(old[BOOK_KEY], old["inputs_hash"]))


def trigger_reasons(old: pd.DataFrame, new: pd.DataFrame) -> pd.Series:
    """Why each household of ``new`` was re-rated, compared with its row in ``old``
    (:data:`UNCHANGED` when its inputs hash is the same, as for most rows of a full run).

    Both frames hold decision rows (``household_id``, ``report_ids``, ``bureau_hash``,
    ``credit_village_status``, ``inputs_hash``); the result is indexed like ``new``.
    """
    prev = old.drop_duplicates(BOOK_KEY, keep="last").set_index(BOOK_KEY)[list(TRIGGER_COLUMNS)]
    joined = prev.reindex(new[BOOK_KEY].to_numpy())
    joined.index = new.index
    conditions = [
        (joined["inputs_hash"] == new["inputs_hash"]).to_numpy(),
        joined["inputs_hash"].isna().to_numpy(),
        (joined["report_ids"].astype(str) != new["report_ids"].astype(str)).to_numpy(),
        (joined["bureau_hash"] != new["bureau_hash"]).to_numpy(),
        (joined["credit_village_status"] != new["credit_village_status"]).to_numpy(),
    ]
    reasons = np.select(conditions, [UNCHANGED, *TRIGGERS[:4]], default=TRIGGERS[4])
    return pd.Series(reasons, index=new.index, name="trigger")
