"""Chunk I/O: the book a re-rating run reads, streamed in fixed chunks.

A *book* is one parquet table with a row per household: ``household_id``, the survey columns
of ``docs/data-model.md`` (no personal data), ``report_ids`` and ``report_date`` of the PBOC
report the features came from, and the bureau features (catalog ``pboc-features/1``, plus
Qianhai's ``qh_*``). :func:`build_book` makes one from a sandbox province folder;
:func:`iter_chunks` streams one in chunks of ``chunk_rows`` rows, never the whole table;
:class:`ChunkReader` reads any chunk on demand (what each worker process does).

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
from scoring_service.pipeline.inputs import BUREAU_COLUMNS, INPUT_COLUMNS, QIANHAI_COLUMNS

__all__ = [
    "BOOK_KEY",
    "PASS_THROUGH",
    "PII_COLUMNS",
    "BookInfo",
    "ChunkReader",
    "book_columns",
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


def book_columns(names: Collection[str]) -> list[str]:
    """The columns a run reads from a book with columns ``names``: the key,
    :data:`PASS_THROUGH`, the decision inputs and the Qianhai features it carries."""
    wanted = (BOOK_KEY, *PASS_THROUGH, *INPUT_COLUMNS, *QIANHAI_COLUMNS)
    return [c for c in wanted if c in names]


class ChunkReader:
    """Chunk ``i`` of a book on demand: rows ``[i * chunk_rows, (i + 1) * chunk_rows)``.

    Consecutive chunks continue one parquet stream (each row decoded once); a chunk
    elsewhere restarts the stream at the row group holding it, so a reader handed any set
    of chunks decodes at most one row group it does not use per jump. Memory is the chunk
    plus at most one parquet batch of look-ahead. Rows of banks not in ``banks`` are dropped
    *after* cutting, so chunk numbers do not depend on the bank selection.

    Parameters
    ----------
    path : Path
        The book (parquet).
    chunk_rows : int
        Rows per chunk.
    banks : sequence of str, optional
        Banks to keep (``None``: all).
    """

    def __init__(self, path: Path, chunk_rows: int, *, banks: Sequence[str] | None = None) -> None:
        self._file = _parquet(path)
        meta = self._file.metadata
        sizes = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
        self._starts = np.cumsum([0, *sizes])
        self.num_rows = int(meta.num_rows)
        self.chunk_rows = chunk_rows
        self.columns = book_columns(self._file.schema_arrow.names)
        self._wanted = None if banks is None else pa.array(list(banks), type=pa.string())
        self._stream: Iterator[pa.RecordBatch] | None = None
        self._buffer: list[pa.RecordBatch] = []
        self._pos = 0  # book row of the first buffered row

    @property
    def n_chunks(self) -> int:
        """Number of chunks of the book."""
        return -(-self.num_rows // self.chunk_rows)

    def _restart(self, row: int) -> None:
        group = int(np.searchsorted(self._starts, row, side="right")) - 1
        self._stream = self._file.iter_batches(
            batch_size=self.chunk_rows,
            row_groups=range(group, len(self._starts) - 1),
            columns=self.columns,
        )
        self._buffer, self._pos = [], int(self._starts[group])

    def _take(self, rows: int) -> list[pa.RecordBatch]:
        """Pop the first ``rows`` buffered rows (fewer at the end of the book)."""
        out: list[pa.RecordBatch] = []
        while rows > 0 and self._buffer:
            head = self._buffer[0]
            if head.num_rows <= rows:
                out.append(self._buffer.pop(0))
            else:
                out.append(head.slice(0, rows))
                self._buffer[0] = head.slice(rows)
            rows -= out[-1].num_rows
            self._pos += out[-1].num_rows
        return out

    def _fill(self, end: int) -> None:
        """Pull batches until the buffer reaches book row ``end`` (or the book ends)."""
        have = self._pos + sum(b.num_rows for b in self._buffer)
        while have < end and self._stream is not None:
            batch = next(self._stream, None)
            if batch is None:
                break
            self._buffer.append(batch)
            have += batch.num_rows

    def arrow(self, number: int) -> pa.Table:
        """Chunk ``number`` as an Arrow table (the bank filter applied)."""
        first = number * self.chunk_rows
        if not 0 <= first < self.num_rows:
            raise UsageError(
                f"Chunk {number} is outside the book ({self.n_chunks} chunks).", field="chunk"
            )
        have = self._pos + sum(b.num_rows for b in self._buffer)
        group_start = self._starts[np.searchsorted(self._starts, first, side="right") - 1]
        if self._stream is None or first < self._pos or group_start > have:
            self._restart(first)
        self._fill(first)
        self._take(first - self._pos)  # rows before the chunk (skipped chunks)
        end = min(first + self.chunk_rows, self.num_rows)
        self._fill(end)
        table = pa.Table.from_batches(self._take(end - first), schema=self._schema)
        if self._wanted is not None:
            table = table.filter(pc.is_in(table.column("bank_code"), self._wanted))
        return table

    @property
    def _schema(self) -> pa.Schema:
        schema = self._file.schema_arrow
        return pa.schema([schema.field(c) for c in self.columns])

    def read(self, number: int) -> pd.DataFrame:
        """Chunk ``number`` as a pandas frame (index 0..n-1)."""
        return self.arrow(number).to_pandas(split_blocks=True)


def iter_chunks(
    path: Path,
    chunk_rows: int,
    *,
    banks: Sequence[str] | None = None,
    skip: Collection[int] = (),
) -> Iterator[tuple[int, pd.DataFrame]]:
    """``(chunk number, rows)`` of a book, ``chunk_rows`` at a time (the last may be short).

    Only :func:`book_columns` are read (a book may carry more). Rows of banks not in
    ``banks`` are dropped *after* cutting, so chunk numbers do not depend on the bank
    selection. Chunks in ``skip`` (done ones) are not converted.
    """
    reader = ChunkReader(path, chunk_rows, banks=banks)
    for number in range(reader.n_chunks):
        if number not in skip:
            yield number, reader.read(number)


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
