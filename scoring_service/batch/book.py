"""Chunk I/O: the book a re-rating run reads, streamed in fixed chunks.

A *book* is one parquet table with a row per household: ``household_id``, the survey columns
of ``docs/data-model.md`` (no personal data), ``report_ids`` and ``report_date`` of the PBOC
report the features came from, and the bureau features (catalog ``pboc-features/1``, plus
Qianhai's ``qh_*``). :func:`build_book` makes one from a sandbox province folder;
:func:`iter_chunks` streams one in chunks of ``chunk_rows`` rows, never the whole table.

Chunk ``i`` is always rows ``[i * chunk_rows, (i + 1) * chunk_rows)`` of the file, so a run
restarted on the same book with the same chunk size sees the same chunks (the basis of
exactly-once resumption in :mod:`scoring_service.batch.ledger`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from scoring_service.exceptions import UsageError
from scoring_service.pipeline.inputs import BUREAU_COLUMNS, INPUT_COLUMNS

__all__ = [
    "BOOK_KEY",
    "PASS_THROUGH",
    "PII_COLUMNS",
    "BookInfo",
    "book_info",
    "build_book",
    "iter_chunks",
]

#: The key of a book: one row per household.
BOOK_KEY = "household_id"
#: Book columns a decision carries besides its inputs (report lineage, event triggers).
PASS_THROUGH: tuple[str, ...] = ("business_ref", "report_ids", "report_date")
#: Survey columns that never enter a book (they stay in the bureau layer).
PII_COLUMNS: tuple[str, ...] = ("head_name", "id_type", "id_number", "phone")


class BookInfo:
    """What a run records about its book, to refuse resuming on a different one."""

    def __init__(self, path: Path, num_rows: int, size: int, mtime_ns: int) -> None:
        self.path = path
        self.num_rows = num_rows
        self.size = size
        self.mtime_ns = mtime_ns

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "path": str(self.path),
            "num_rows": self.num_rows,
            "size": self.size,
            "mtime_ns": self.mtime_ns,
        }

    def n_chunks(self, chunk_rows: int) -> int:
        """Number of chunks of ``chunk_rows`` rows."""
        return -(-self.num_rows // chunk_rows)


def _parquet(path: Path) -> pq.ParquetFile:
    if not path.is_file():
        raise UsageError(f"The book {path} does not exist.", field="input", path=str(path))
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UsageError(f"The book {path} is not a parquet file: {exc}", field="input") from exc


def book_info(path: Path) -> BookInfo:
    """Row count, size and modification time of a book; checks its columns.

    Raises
    ------
    UsageError
        The file is missing, not parquet, or lacks ``household_id`` or an input column.
    """
    book = _parquet(path)
    names = set(book.schema_arrow.names)
    missing = [c for c in (BOOK_KEY, *INPUT_COLUMNS) if c not in names]
    if missing:
        raise UsageError(
            f"The book {path} lacks columns {missing[:5]}{' …' if len(missing) > 5 else ''}.",
            field="input",
            columns=missing,
        )
    stat = path.stat()
    return BookInfo(path.resolve(), book.metadata.num_rows, stat.st_size, stat.st_mtime_ns)


def iter_chunks(
    path: Path,
    chunk_rows: int,
    *,
    banks: Sequence[str] | None = None,
    skip: Collection[int] = (),
) -> Iterator[tuple[int, pd.DataFrame]]:
    """``(chunk number, rows)`` of a book, ``chunk_rows`` at a time (the last may be short).

    Only the key, :data:`PASS_THROUGH` and the decision inputs are read (a book may carry
    more, such as Qianhai's ``qh_*`` features).

    Rows of banks not in ``banks`` are dropped *after* cutting, so chunk numbers do not
    depend on the bank selection. Chunks in ``skip`` (done ones) are not converted.
    """
    book = _parquet(path)
    names = book.schema_arrow.names
    columns = [c for c in (BOOK_KEY, *PASS_THROUGH, *INPUT_COLUMNS) if c in names]
    wanted = None if banks is None else pa.array(list(banks), type=pa.string())
    batches = book.iter_batches(batch_size=chunk_rows, columns=columns)
    for number, batch in enumerate(batches):
        if number in skip:
            continue
        if wanted is not None:
            mask = pc.is_in(batch.column(batch.schema.get_field_index("bank_code")), wanted)
            batch = batch.filter(mask)
        yield number, batch.to_pandas()


def _province_features(folder: Path, ids: Sequence[str]) -> pd.DataFrame:
    """PBOC features (plus ``report_ids``, ``report_date``) of cached reports, by household."""
    from bureau_adapters.pboc import parse_file
    from bureau_adapters.pboc.features import features_frame
    from bureau_adapters.pboc.models import PersonalReport

    paths = [folder / "reports" / "pboc" / f"{hid}.xml" for hid in ids]
    present = [(hid, p) for hid, p in zip(ids, paths, strict=True) if p.is_file()]
    parsed = [parse_file(p) for _, p in present]
    kinds = {type(r).__name__ for r in parsed if not isinstance(r, PersonalReport)}
    if kinds:
        raise UsageError(
            f"{folder} holds non-personal PBOC reports: {sorted(kinds)}.", field="province"
        )
    reports = [r for r in parsed if isinstance(r, PersonalReport)]
    feats = features_frame(reports)
    feats.index = pd.Index([hid for hid, _ in present], name=BOOK_KEY)
    feats.insert(0, "report_date", [r.report_date for r in reports])  # dates (parquet date32)
    feats.insert(0, "report_ids", [r.report_id for r in reports])
    return feats.reindex(pd.Index(list(ids), name=BOOK_KEY))


def build_book(province_dir: Path, out: Path, *, chunk_rows: int = 20_000) -> int:
    """Write the book of a sandbox province (features computed from its cached reports).

    Streams households ``chunk_rows`` at a time: one parquet row group per chunk. Households
    without a cached PBOC report get NaN features (the model treats them as thin files).

    Returns
    -------
    int
        Rows written.
    """
    from bureau_adapters.qianhai.offline import qh_features_from_province

    folder = Path(province_dir)
    households = _parquet(folder / "households.parquet")
    qh = qh_features_from_province(folder)
    tmp = out.with_name(f".{out.name}.tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for batch in households.iter_batches(batch_size=chunk_rows):
            survey = batch.to_pandas().drop(columns=list(PII_COLUMNS), errors="ignore")
            ids = survey[BOOK_KEY].astype(str).tolist()
            feats = _province_features(folder, ids)
            part = survey.join(feats, on=BOOK_KEY).join(qh.reindex(ids), on=BOOK_KEY)
            for name in BUREAU_COLUMNS:
                part[name] = part[name].astype(np.float64)
            table = pa.Table.from_pandas(part, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table.cast(writer.schema))
            rows += len(part)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise UsageError(f"The province {folder} has no households.", field="province")
    tmp.replace(out)
    return rows
