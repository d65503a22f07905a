"""Light reading of a personal report: only the elements the features read, no typed model.

:func:`lite_report` walks a parsed ``<Document>`` the way :func:`~bureau_adapters.pboc.parser.build`
does — same handler tables (read from the same field declarations), same rules (the first
null or valid occurrence of an item wins, invalid values read as missing, code labels
mapped to codes, repeating groups in document order) — but only for the fields in
:data:`PROJECTION`, into plain attribute bags instead of frozen dataclasses, with the
monthly histories read straight into rows. Units and items the features never read are
skipped without being converted. The result feeds
:func:`~bureau_adapters.pboc.single.report_values` exactly as a typed report would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from bureau_adapters.pboc.models import PersonalReport
from bureau_adapters.pboc.parser import ALIASES, _handler, report_date_of, required_text
from bureau_adapters.pboc.projection import (
    INVALID,
    MAKERS,
    MEMO_LIMIT,
    PROJECTION,
    LiteReport,
    Memo,
    bag_class,
    memo_for,
)
from bureau_adapters.pboc.schema import plan_of, resolve_tag

__all__ = ["PROJECTION", "LiteReport", "lite_report"]

# --- compiled tables ------------------------------------------------------------------------

_ITEM, _GROUP, _GROUPS, _ROWS, _ROW = 0, 2, 3, 4, 5
_Handler = tuple[int, str, Any]


class _Table:
    """Child tag → handler of one model under one element tag, cut to a projection; the
    tags to visit, for lxml to filter in C when most children are not read."""

    __slots__ = ("handlers", "make", "many", "nested", "rows", "tags")

    def __init__(
        self,
        handlers: dict[str, _Handler],
        nested: dict[str, _Table] | None,
        many: tuple[str, ...],
        make: Callable[[dict[str, Any]], Any],
    ) -> None:
        self.handlers = handlers
        self.nested = nested
        self.many = many
        self.make = make
        self.tags = tuple(handlers) + tuple(nested or ())
        # a segment holding only one kind of row records (PD01D: PD01DH) is read in one go
        only = list(handlers.items())
        self.rows = (
            (only[0][0], only[0][1][1], only[0][1][2])
            if len(only) == 1 and only[0][1][0] == _ROWS and not nested
            else None
        )


class _Group:
    """A nested model and its projection; its tables by element tag, compiled on first use."""

    __slots__ = ("by_tag", "model", "projection")

    def __init__(self, model: type, projection: dict[str, Any]) -> None:
        self.model = model
        self.projection = projection
        self.by_tag: dict[str, _Table] = {}

    def table(self, tag: str) -> _Table:
        found = self.by_tag.get(tag)
        if found is None:
            found = self.by_tag[tag] = _compile(self.model, tag, self.projection)
        return found


def _compile(model: type, tag: str, projection: dict[str, Any]) -> _Table:
    """The parser's handler tables of ``model`` under ``tag``, cut to ``projection``."""
    direct: dict[str, _Handler] = {}
    nested: dict[str, dict[str, _Handler]] = {}
    for spec in plan_of(model).specs:
        if spec.name not in projection:
            continue
        mode, name, kind, target = _handler(spec)
        if spec.kind == "group" and _items_only(projection[spec.name]):
            rows = _Rows(spec.model, projection[spec.name])
            handler: _Handler = (_ROWS if spec.many else _ROW, name, rows)
        elif spec.kind == "group":
            handler = (mode, name, _Group(spec.model, projection[spec.name]))
        else:
            handler = (_ITEM, name, memo_for(kind, target))
        first = resolve_tag(spec.path[0], tag)
        if len(spec.path) == 1:
            direct[first] = handler
        else:
            nested.setdefault(first, {})[resolve_tag(spec.path[1], first)] = handler
    for table in (direct, *nested.values()):
        for real, alias in ALIASES.items():
            if real in table:
                table.setdefault(alias, table[real])
    many = tuple(s.name for s in plan_of(model).specs if s.many and s.name in projection)
    make = MAKERS.get(model) or bag_class(model)
    inner = {k: _Table(v, None, (), make) for k, v in nested.items()}
    return _Table(direct, inner or None, many, make)


class _Rows(_Group):
    """A record whose projection holds items only (months, query records, summary rows,
    public records ...), read without a values dict: the raw texts of its items (first
    occurrence each, through its segments) key a memo of finished rows, so a record
    seen before costs one dictionary lookup."""

    __slots__ = ("layouts", "memo")

    def __init__(self, model: type, projection: dict[str, Any]) -> None:
        super().__init__(model, projection)
        self.layouts: dict[str, _Layout] = {}
        self.memo: dict[tuple[Any, ...], Any] = {}  # one element tag per group in practice

    def layout(self, tag: str) -> _Layout:
        found = self.layouts.get(tag)
        if found is None:
            table = self.table(tag)
            tables = [table.handlers, *(t.handlers for t in (table.nested or {}).values())]
            names = sorted({h[1] for t in tables for h in t.values()})
            memos = {h[1]: h[2] for t in tables for h in t.values()}
            slots = {t: names.index(h[1]) for t, h in table.handlers.items()}
            segments = {
                seg: {t: names.index(h[1]) for t, h in sub.handlers.items()}
                for seg, sub in (table.nested or {}).items()
            }
            fields = tuple((n, memos[n]) for n in names)
            found = self.layouts[tag] = (slots, segments or None, fields)
        return found

    def record(self, record: etree._Element, tag: str) -> Any:
        """The row of one record element (``None`` for rows that are dropped)."""
        slots, segments, fields = self.layouts.get(tag) or self.layout(tag)
        raw: list[Any] = [_UNSET] * len(fields)
        get = slots.get
        for child in record:
            i = get(child.tag)
            if i is not None:
                if raw[i] is _UNSET or fields[i][1][raw[i]] is INVALID:
                    raw[i] = child.text
            elif segments is not None:
                sub = segments.get(child.tag)
                if sub is not None:
                    for item in child:
                        j = sub.get(item.tag)
                        if j is not None and (raw[j] is _UNSET or fields[j][1][raw[j]] is INVALID):
                            raw[j] = item.text
        key = tuple(raw)
        row = self.memo.get(key, _UNSET)
        if row is _UNSET:
            row = self._row(tag, fields, raw, key)
        return row

    def read_all(self, el: etree._Element, tag: str, out: list[Any]) -> None:
        """Append the rows of every ``tag`` child of ``el`` (the months of one segment)."""
        slots, segments, fields = self.layouts.get(tag) or self.layout(tag)
        if segments is not None:
            for record in el.iterchildren(tag):
                row = self.record(record, tag)
                if row is not None:
                    out.append(row)
            return
        get, memo, width = slots.get, self.memo, len(fields)
        for record in el.iterchildren(tag):
            raw: list[Any] = [_UNSET] * width
            for child in record:
                i = get(child.tag)
                if i is not None and (raw[i] is _UNSET or fields[i][1][raw[i]] is INVALID):
                    raw[i] = child.text
            key = tuple(raw)
            row = memo.get(key, _UNSET)
            if row is _UNSET:
                row = self._row(tag, fields, raw, key)
            if row is not None:
                out.append(row)

    def _row(self, tag: str, fields: tuple[tuple[str, Memo], ...], raw: list[Any], key: Any) -> Any:
        values = {
            name: value
            for (name, reader), text in zip(fields, raw, strict=True)
            if text is not _UNSET and (value := reader[text]) is not INVALID
        }
        row = self.table(tag).make(values)
        if len(self.memo) >= MEMO_LIMIT:
            self.memo.clear()
        self.memo[key] = row
        return row


_Layout = tuple[dict[str, int], dict[str, dict[str, int]] | None, tuple[tuple[str, "Memo"], ...]]
_UNSET: Any = object()


def _build(group: _Group, el: etree._Element, tag: str) -> Any:
    table = group.by_tag.get(tag) or group.table(tag)
    values: dict[str, Any] = {name: [] for name in table.many} if table.many else {}
    _fill(values, el, table)
    return table.make(values)


def _fill(values: dict[str, Any], el: etree._Element, table: _Table) -> None:
    """:func:`bureau_adapters.pboc.parser._fill` without warnings, into plain values: the
    first null or valid occurrence of an item wins, repeating groups keep document order, elements
    the table does not read are ignored (and skipped by lxml in C when they are many)."""
    if table.rows is not None:
        tag, name, rows = table.rows
        rows.read_all(el, tag, values[name])
        return
    lookup, nested, tags = table.handlers.get, table.nested, table.tags
    if len(el) > 6 + 3 * len(tags):
        if not tags:
            return
        children: Any = el.iterchildren(*tags)
    else:
        children = el
    for child in children:
        tag = child.tag
        handler = lookup(tag)
        if handler is None:
            if nested:
                sub = nested.get(tag)
                if sub is not None:
                    _fill(values, child, sub)
            continue
        mode, name, target = handler
        if mode == _ITEM:
            if name not in values:  # the first valid occurrence wins
                value = target[child.text]
                if value is not INVALID:
                    values[name] = value
        else:
            _group(values, child, tag, mode, name, target)


def _group(
    values: dict[str, Any], el: etree._Element, tag: str, mode: int, name: str, target: Any
) -> None:
    """A nested record of ``values``: one of a repeating group, or the first of a single one."""
    if mode == _ROWS:
        row = target.record(el, tag)
        if row is not None:
            values[name].append(row)
    elif mode == _GROUPS:
        row = _build(target, el, tag)
        if row is not None:
            values[name].append(row)
    elif name not in values:  # _GROUP or _ROW: the first occurrence wins
        values[name] = target.record(el, tag) if mode == _ROW else _build(target, el, tag)


def _items_only(projection: dict[str, Any]) -> bool:
    return not any(isinstance(value, dict) for value in projection.values())


_REPORT = _Group(PersonalReport, PROJECTION)


def lite_report(root: etree._Element) -> LiteReport:
    """The :class:`LiteReport` of a personal report's ``<Document>`` root.

    Raises the errors :func:`~bureau_adapters.pboc.parser.parse_personal` raises for the
    same root (``PBOC_MISSING_FIELD``, ``PBOC_BAD_REPORT_DATE``), in the same order.
    """
    report_id = required_text(root, "PRH/PA01/PA01A/PA01AI01", "report number")
    report_date = report_date_of(root)
    report: LiteReport = _build(_REPORT, root, "Document")
    report.report_id = report_id
    report.report_date = report_date
    return report
