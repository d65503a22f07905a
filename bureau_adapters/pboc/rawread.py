"""The light report of :mod:`bureau_adapters.pboc.lite`, read by one compiled walk.

:func:`raw_lite_report` gives the same :class:`~bureau_adapters.pboc.projection.LiteReport`
as :func:`~bureau_adapters.pboc.lite.lite_report` for the same root, but touches the tree
from C (:mod:`bureau_adapters.pboc._walk`, built from ``_walk.pyx`` against lxml's public
C API): one walk collects every element
:data:`~bureau_adapters.pboc.projection.PROJECTION` names into one row per record, each
text converted by the reader's own memos (:class:`~bureau_adapters.pboc.projection.Memo`),
without creating an lxml proxy per element. Python then builds the records with the
reader's own record makers, so both readers share every rule.

The walk reads the tree like the parser only when every item occurs at most once in its
record and holds plain text; otherwise (and when the extension is not built)
:func:`raw_lite_report` returns ``None`` and the caller uses the pure-Python reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from bureau_adapters.pboc.models import PersonalReport
from bureau_adapters.pboc.parser import ALIASES, NULL_MARKERS, _handler, report_date_from
from bureau_adapters.pboc.projection import (
    INVALID,
    MAKERS,
    MEMO_LIMIT,
    PROJECTION,
    LiteReport,
    bag_class,
    memo_for,
)
from bureau_adapters.pboc.schema import plan_of, resolve_tag

_c_walk: Callable[..., tuple[list[Any], bool]] | None
try:
    from bureau_adapters.pboc._walk import walk as _c_walk
except ImportError:  # pragma: no cover - the extension is optional
    _c_walk = None

__all__ = ["AVAILABLE", "raw_lite_report"]

#: Whether the compiled walk is built (else :func:`raw_lite_report` always gives ``None``).
AVAILABLE = _c_walk is not None

_SEGMENT, _SINGLE, _MANY, _PLAIN = 0, 1, 2, 3


@dataclass
class _Record:
    """How one record is built from its row: its items (name, slot), its single
    groups (name, presence slot, record read from the same row), its repeating groups
    (name, slot holding their records) and the maker of the record."""

    make: Callable[[dict[str, Any]], Any]
    items: list[tuple[str, int]] = field(default_factory=list)
    singles: list[tuple[str, int, _Record]] = field(default_factory=list)
    many: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class _Table:
    """A repeating group: the record of each row and the width of its rows. Plain records
    (items only) arrive as tuples of converted values, which key a memo of records."""

    record: _Record
    width: int = 0
    plain: bool = False
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def make(self, row: list[Any] | tuple[Any, ...]) -> Any:
        """The record of one row (called by the walk), remembered when plain."""
        made = _build(self.record, row)
        if self.plain:
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            self.memo[row] = made  # type: ignore[index]
        return made


class _Builder:
    """Compiles :data:`PROJECTION` into the walk's plan and the records' recipes."""

    def __init__(self) -> None:
        self.root = _Table(record=_Record(make=bag_class(PersonalReport)))

    def record(
        self,
        rec: _Record,
        model: type,
        tag: str,
        projection: dict[str, Any],
        plan: dict[bytes, Any],
        table: _Table,
    ) -> _Record:
        """Fill ``rec`` (read from the rows of ``table``) and ``plan`` for ``model``."""
        for spec in plan_of(model).specs:
            if spec.name not in projection:
                continue
            first = resolve_tag(spec.path[0], tag)
            steps = [first] + ([resolve_tag(spec.path[1], first)] if len(spec.path) > 1 else [])
            node = plan
            for step in steps[:-1]:  # a segment whose items belong to this record
                node = node.setdefault(step.encode(), ({}, _SEGMENT, 0, 0, None, None))[0]
            last, slot = steps[-1], table.width
            table.width += 1
            sub: dict[bytes, Any] = {}
            if spec.kind != "group":
                _, _, kind, target = _handler(spec)
                rec.items.append((spec.name, slot))
                item = (slot, memo_for(kind, target))
                node.update(
                    {alias.encode(): item for real, alias in ALIASES.items() if real == last}
                )
                node[last.encode()] = item
            elif spec.many:
                child = _Table(record=_Record(make=MAKERS.get(spec.model) or bag_class(spec.model)))
                self.record(child.record, spec.model, last, projection[spec.name], sub, child)
                child.plain = not child.record.many and not child.record.singles
                memo = child.memo if child.plain else None
                kind = _PLAIN if child.plain else _MANY
                node[last.encode()] = (sub, kind, slot, child.width, memo, child.make)
                rec.many.append((spec.name, slot))
            else:
                single = _Record(make=MAKERS.get(spec.model) or bag_class(spec.model))
                node[last.encode()] = (sub, _SINGLE, slot, 0, None, None)
                self.record(single, spec.model, last, projection[spec.name], sub, table)
                rec.singles.append((spec.name, slot, single))
        return rec


def _compile() -> tuple[dict[bytes, Any], _Table]:
    builder = _Builder()
    plan: dict[bytes, Any] = {}
    root = builder.root
    builder.record(root.record, PersonalReport, "Document", PROJECTION, plan, root)
    head = plan  # the report number and time: the last two slots of the root row
    for segment in (b"PRH", b"PA01", b"PA01A"):
        head = head.setdefault(segment, ({}, _SEGMENT, 0, 0, None, None))[0]
    head[b"PA01AI01"], head[b"PA01AR01"] = root.width, root.width + 1
    root.width += 2
    return plan, root


_PLAN, _ROOT = _compile()
_ABSENT: Any = object()  # what a row holds where the report has no such element
_ID, _TIME = _ROOT.width - 2, _ROOT.width - 1


def _raw(text: Any) -> str:
    return "" if text is _ABSENT else str(text).strip()


def _build(rec: _Record, row: list[Any] | tuple[Any, ...]) -> Any:
    """The record of one row (items already converted by the reader's memos; an invalid
    value reads as missing, there being no later occurrence to take its place)."""
    values: dict[str, Any] = {}
    for name, slot in rec.items:
        value = row[slot]
        if value is not _ABSENT and value is not INVALID:
            values[name] = value
    for name, slot, single in rec.singles:
        if row[slot] is not _ABSENT:
            values[name] = _build(single, row)
    for name, slot in rec.many:
        made = row[slot]  # the records, made by the walk
        values[name] = [] if made is _ABSENT else made
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
    row, odd = _c_walk(root, _PLAN, _ROOT.width, _ABSENT)
    report_id, time_text = _raw(row[_ID]), _raw(row[_TIME])
    if odd or report_id in NULL_MARKERS or time_text in NULL_MARKERS:
        return None
    report_date = report_date_from(time_text)
    report: LiteReport = _build(_ROOT.record, row)
    report.report_id = report_id
    report.report_date = report_date
    return report
