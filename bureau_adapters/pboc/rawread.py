"""The light report of :mod:`bureau_adapters.pboc.lite`, read by one compiled walk.

:func:`raw_lite_report` gives the same :class:`~bureau_adapters.pboc.lite.LiteReport` as
:func:`~bureau_adapters.pboc.lite.lite_report` for the same root, but touches the tree
from C (:mod:`bureau_adapters.pboc._walk`, built from ``_walk.pyx`` against lxml's public
C API): one walk collects the raw texts of every element :data:`~bureau_adapters.pboc.lite.PROJECTION`
names, into one row per record, without creating an lxml proxy per element. Python then
converts the texts with the reader's own memos (:func:`bureau_adapters.pboc.lite._memo`)
and builds the records with its own record makers, so both readers share every rule.

The walk reads the tree like the parser only when every item occurs at most once in its
record and holds plain text; otherwise (and when the extension is not built)
:func:`raw_lite_report` returns ``None`` and the caller uses the pure-Python reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from bureau_adapters.pboc.lite import (
    _INVALID,
    _MAKERS,
    _MEMO_LIMIT,
    PROJECTION,
    LiteReport,
    _bag_class,
    _Memo,
    _memo,
)
from bureau_adapters.pboc.models import PersonalReport
from bureau_adapters.pboc.parser import ALIASES, NULL_MARKERS, _handler, report_date_from
from bureau_adapters.pboc.schema import plan_of, resolve_tag

_c_walk: Callable[..., tuple[list[Any], list[list[list[Any]]], bool]] | None
try:
    from bureau_adapters.pboc._walk import walk as _c_walk
except ImportError:  # pragma: no cover - the extension is optional
    _c_walk = None

__all__ = ["AVAILABLE", "raw_lite_report"]

#: Whether the compiled walk is built (else :func:`raw_lite_report` always gives ``None``).
AVAILABLE = _c_walk is not None

_SEGMENT, _SINGLE, _MANY = 0, 1, 2


@dataclass
class _Record:
    """How one record is built from a row: its items (name, slot, memo), its single
    groups (name, presence slot, record read from the same row), its repeating groups
    (name, table) and the maker of the record."""

    make: Callable[[dict[str, Any]], Any]
    items: list[tuple[str, int, _Memo]] = field(default_factory=list)
    singles: list[tuple[str, int, _Record]] = field(default_factory=list)
    many: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class _Table:
    """A repeating group: its record, its row width, and whether its rows are plain
    (items only: finished records are memoised by their raw texts)."""

    record: _Record
    width: int = 1  # slot 0 holds the parent row
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)


class _Builder:
    """Compiles :data:`PROJECTION` into the walk's plan and the records' recipes."""

    def __init__(self) -> None:
        self.tables: list[_Table] = []
        self.root_width = 1

    def record(
        self,
        model: type,
        tag: str,
        projection: dict[str, Any],
        plan: dict[bytes, Any],
        table: _Table | None,
    ) -> _Record:
        rec = _Record(make=_MAKERS.get(model) or _bag_class(model))
        self._fill(rec, model, tag, projection, plan, table)
        return rec

    def _slot(self, table: _Table | None) -> int:
        if table is None:
            self.root_width += 1
            return self.root_width - 1
        table.width += 1
        return table.width - 1

    def _fill(
        self,
        rec: _Record,
        model: type,
        tag: str,
        projection: dict[str, Any],
        plan: dict[bytes, Any],
        table: _Table | None,
    ) -> None:
        for spec in plan_of(model).specs:
            if spec.name not in projection:
                continue
            first = resolve_tag(spec.path[0], tag)
            steps = [first] + ([resolve_tag(spec.path[1], first)] if len(spec.path) > 1 else [])
            node = plan
            for step in steps[:-1]:  # a segment whose items belong to this record
                node = node.setdefault(step.encode(), ({}, _SEGMENT, 0, 0))[0]
            last = steps[-1]
            if spec.kind != "group":
                _, _, kind, target = _handler(spec)
                slot = self._slot(table)
                rec.items.append((spec.name, slot, _memo(kind, target)))
                for real, alias in ALIASES.items():
                    if real == last:
                        node[alias.encode()] = slot
                node[last.encode()] = slot
            elif spec.many:
                index = len(self.tables)
                child = _Table(record=_Record(make=rec.make))
                self.tables.append(child)
                sub: dict[bytes, Any] = {}
                child.record = self.record(spec.model, last, projection[spec.name], sub, child)
                node[last.encode()] = (sub, _MANY, index, 0)
                rec.many.append((spec.name, index))
            else:
                slot = self._slot(table)
                sub = {}
                node[last.encode()] = (sub, _SINGLE, slot, 0)
                single = self.record(spec.model, last, projection[spec.name], sub, table)
                rec.singles.append((spec.name, slot, single))

    def finish(self, plan: dict[bytes, Any]) -> None:
        """Write each repeating group's final row width into the plan."""
        for key, entry in plan.items():
            if isinstance(entry, tuple):
                sub, kind, index, _ = entry
                self.finish(sub)
                if kind == _MANY:
                    plan[key] = (sub, kind, index, self.tables[index].width)


def _compile() -> tuple[dict[bytes, Any], _Record, list[_Table], int]:
    builder = _Builder()
    plan: dict[bytes, Any] = {}
    root = builder.record(PersonalReport, "Document", PROJECTION, plan, None)
    builder.finish(plan)
    head = plan  # the report number and time: the last two slots of the root row
    for segment in (b"PRH", b"PA01", b"PA01A"):
        head = head.setdefault(segment, ({}, _SEGMENT, 0, 0))[0]
    head[b"PA01AI01"] = builder._slot(None)
    head[b"PA01AR01"] = builder._slot(None)
    return plan, root, builder.tables, builder.root_width


_PLAN, _ROOT, _TABLES, _ROOT_WIDTH = _compile()
_ID, _TIME = _ROOT_WIDTH - 2, _ROOT_WIDTH - 1


def _build(rec: _Record, row: list[Any], row_id: int, built: list[dict[int, list[Any]]]) -> Any:
    """The record of one row (items converted by the reader's memos; an invalid value
    reads as missing, there being no later occurrence to take its place)."""
    values: dict[str, Any] = {}
    for name, slot, memo in rec.items:
        raw = row[slot]
        if raw is not None:
            value = memo[raw]
            if value is not _INVALID:
                values[name] = value
    for name, slot, single in rec.singles:
        if row[slot] is not None:
            values[name] = _build(single, row, row_id, built)
    for name, index in rec.many:
        values[name] = built[index].get(row_id) or []
    return rec.make(values)


def raw_lite_report(root: etree._Element) -> LiteReport | None:
    """:func:`~bureau_adapters.pboc.lite.lite_report` of ``root`` by the compiled walk, or
    ``None`` when the walk is not built or the report holds something it does not read
    exactly like the parser (then use :func:`~bureau_adapters.pboc.lite.lite_report`).

    Raises the errors of :func:`~bureau_adapters.pboc.lite.lite_report` for a report
    time that is not a date; a missing report number or time gives ``None`` (the
    pure-Python reader then raises its error, in its order).
    """
    if _c_walk is None:  # pragma: no cover - the extension is optional
        return None
    row, tables, odd = _c_walk(root, _PLAN, len(_TABLES), _ROOT_WIDTH)
    report_id, time_text = (row[_ID] or "").strip(), (row[_TIME] or "").strip()
    if odd or report_id in NULL_MARKERS or time_text in NULL_MARKERS:
        return None
    report_date = report_date_from(time_text)
    built: list[dict[int, list[Any]]] = [{} for _ in _TABLES]
    for index in range(len(_TABLES) - 1, -1, -1):  # children come after their parents
        table = _TABLES[index]
        rec, out = table.record, built[index]
        plain = not rec.many and not rec.singles
        for row_id, raw in enumerate(tables[index]):
            if plain:
                key = tuple(raw[1:])
                made = table.memo.get(key, _INVALID)
                if made is _INVALID:
                    made = _build(rec, raw, row_id, built)
                    if len(table.memo) >= _MEMO_LIMIT:
                        table.memo.clear()
                    table.memo[key] = made
            else:
                made = _build(rec, raw, row_id, built)
            if made is not None:
                out.setdefault(raw[0], []).append(made)
    report: LiteReport = _build(_ROOT, row, 0, built)
    report.report_id = report_id
    report.report_date = report_date
    return report
