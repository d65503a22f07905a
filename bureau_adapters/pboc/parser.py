"""Pure ``bytes → report`` parsing of PBOC reports (format ``pboc-xml/2``).

:func:`build` turns an lxml element into a model by reading the field declarations of
:mod:`bureau_adapters.pboc.schema`; :func:`parse_personal` builds a
:class:`~bureau_adapters.pboc.models.PersonalReport` from a report root. Values that are
not valid for their kind (``PA01DR01 = 1`` where a date is due) are read as missing and
listed in ``report.warnings``; only a missing report number or report time is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

from lxml import etree

from bureau_adapters.exceptions import MalformedReportError
from bureau_adapters.pboc import codes
from bureau_adapters.pboc.models import PersonalReport
from bureau_adapters.pboc.records import LoanAccount
from bureau_adapters.pboc.schema import Spec, plan_of, resolve_tag

__all__ = [
    "CONVERTERS",
    "NULL_MARKERS",
    "build",
    "convert",
    "first_text",
    "parse_personal",
    "report_date_of",
    "required_text",
]

#: Texts that mean "no value" (§1.2).
NULL_MARKERS = frozenset({"", "--", "0000-00", "0000-00-00", "null", "NULL"})
#: Alternative tags seen in real messages: ``PD01EH`` carries its status as ``PD01ES01``.
ALIASES = {"PD01ED01": "PD01ES01"}

_DATE = re.compile(
    r"([0-9]{4})[-/]([0-9]{2})(?:[-/]([0-9]{2}))?"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?(?:\.[0-9]+)?)?",
    re.ASCII,
)
_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
_COUNT = re.compile(r"-?[0-9]+", re.ASCII)
_YEAR = re.compile(r"([0-9]{4})(?:[-/][0-9]{2}.*)?", re.ASCII)
_CACHE_LIMIT = 50_000


def _dt(text: str) -> datetime:
    m = _DATE.fullmatch(text)
    if m is None:
        raise ValueError(text)
    year, month, day, hh, mm, ss = m.groups()
    return datetime(int(year), int(month), int(day or 1), int(hh or 0), int(mm or 0), int(ss or 0))


def _cached(func: Callable[[str], Any]) -> Callable[[str], Any]:
    store: dict[str, Any] = {}

    def wrapper(text: str) -> Any:
        try:
            return store[text]
        except KeyError:
            value = func(text)
            if len(store) < _CACHE_LIMIT:
                store[text] = value
            return value

    return wrapper


def _amount(text: str) -> float:
    text = text.replace(",", "")
    if _AMOUNT.fullmatch(text) is None:
        raise ValueError(text)
    return float(text)


#: Longest count read (digits): larger ones are not counts, and would not fit an int64.
MAX_COUNT_DIGITS = 18


def _count(text: str) -> int:
    if _COUNT.fullmatch(text) is None or len(text) > MAX_COUNT_DIGITS + (text[0] == "-"):
        raise ValueError(text)
    return int(text)


def _year(text: str) -> int:
    m = _YEAR.fullmatch(text)
    if m is None:
        raise ValueError(text)
    return int(m.group(1))


CONVERTERS: dict[str, Callable[[str], Any]] = {
    "text": str,
    "date": _cached(lambda t: _dt(t).date()),
    "month": _cached(lambda t: _dt(t).date().replace(day=1)),
    "datetime": _cached(_dt),
    "year": _cached(_year),
    "amount": _amount,
    "count": _count,
}


# A handler per child tag: (mode, field name, value kind, converter or nested model).
_ITEM, _ITEMS, _GROUP, _GROUPS = 0, 1, 2, 3
_TEXT, _COUNT_KIND, _AMOUNT_KIND, _CODE, _OTHER = 0, 1, 2, 3, 4
_Handler = tuple[int, str, int, Any]


def convert(spec: Spec, text: str | None) -> Any:
    """Read one item's text as its declared kind; raises ``ValueError`` when invalid."""
    value = (text or "").strip()
    if value in NULL_MARKERS:
        return None
    if spec.kind == "code":
        return spec.table.normalise(value) if spec.table is not None else value
    return CONVERTERS[spec.kind](value)


def _handler(spec: Spec) -> _Handler:
    if spec.kind == "group":
        return (_GROUPS if spec.many else _GROUP, spec.name, _OTHER, spec.model)
    mode = _ITEMS if spec.many else _ITEM
    if spec.kind == "text" or (spec.kind == "code" and spec.table is None):
        return (mode, spec.name, _TEXT, None)
    if spec.kind == "code":  # the table's code/label → member dict, read inline
        return (mode, spec.name, _CODE, spec.table._lookup())
    kind = {"count": _COUNT_KIND, "amount": _AMOUNT_KIND}.get(spec.kind, _OTHER)
    return (mode, spec.name, kind, CONVERTERS[spec.kind])


@cache
def _compiled(
    model: type, tag: str
) -> tuple[dict[str, _Handler], dict[str, dict[str, _Handler]], tuple[str, ...]]:
    """Child tag → handler tables of ``model`` under element ``tag`` (relative tags resolved)."""
    direct: dict[str, _Handler] = {}
    nested: dict[str, dict[str, _Handler]] = {}
    for spec in plan_of(model).specs:
        first = resolve_tag(spec.path[0], tag)
        if len(spec.path) == 1:
            direct[first] = _handler(spec)
        else:
            nested.setdefault(first, {})[resolve_tag(spec.path[1], first)] = _handler(spec)
    for table in (direct, *nested.values()):
        for real, alias in ALIASES.items():
            if real in table:
                table.setdefault(alias, table[real])
    many = tuple(s.name for s in plan_of(model).specs if s.many)
    return direct, nested, many


def build(model: type, el: etree._Element, warnings: list[str]) -> Any:
    """Build ``model`` from element ``el`` (invalid values → ``None`` plus a warning).

    Walks the element's children once (not the model's fields), so absent units cost
    nothing; the first occurrence of a non-repeating item wins (an invalid value is skipped
    with a warning, so a later valid one is read); unknown elements are
    ignored.
    """
    direct, nested, many = _compiled(model, el.tag)
    if not nested and not many and len(el) <= _SMALL:
        return _small_record(model, el, direct, warnings)
    values: dict[str, Any] = {name: [] for name in many}
    _fill(values, el, direct, nested, warnings)
    for name in many:
        values[name] = tuple(values[name])
    return model(**values)


# Small flat records (a month of the 24-month grid, a query record) repeat across and
# within reports; the models are frozen, so identical elements share one instance.
_SMALL = 6
_RECORDS: dict[tuple[Any, ...], Any] = {}


def _small_record(
    model: type, el: etree._Element, direct: dict[str, _Handler], warnings: list[str]
) -> Any:
    key = (model, el.tag, *[(child.tag, child.text) for child in el])
    found = _RECORDS.get(key)
    if found is not None:
        return found
    values: dict[str, Any] = {}
    before = len(warnings)
    _fill(values, el, direct, None, warnings)
    record = model(**values)
    if len(warnings) == before:  # a record with warnings is rebuilt to warn again
        if len(_RECORDS) >= _CACHE_LIMIT:
            _RECORDS.clear()
        _RECORDS[key] = record
    return record


def _fill(
    values: dict[str, Any],
    el: etree._Element,
    direct: dict[str, _Handler],
    nested: dict[str, dict[str, _Handler]] | None,
    warnings: list[str],
) -> None:
    """Read the children of ``el`` into ``values``; nested segments recurse once.

    This loop is the parser's hot path: single items are converted inline, with an
    integer fast path, and without a function call per element.
    """
    nulls, lookup = NULL_MARKERS, direct.get
    for child in el:
        handler = lookup(child.tag)
        if handler is None:
            if nested:
                _fill_segment(values, child, nested, warnings)
            continue
        mode, name, kind, target = handler
        if mode:  # _ITEMS, _GROUP or _GROUPS (the rare cases) in their own function
            _fill_other(values, child, handler, warnings)
            continue
        if name in values:  # the first occurrence of a single item wins
            continue
        text = child.text
        text = text.strip() if text else ""
        if text in nulls:
            values[name] = None
        elif kind == 0:  # _TEXT
            values[name] = text
        elif kind == 3:  # _CODE: code or label → member, unknown codes kept as text
            value = target.get(text)
            values[name] = value if value is not None else target.get(text.lower(), text)
        elif kind != 4 and len(text) <= MAX_COUNT_DIGITS and text.isdigit() and text.isascii():
            values[name] = int(text) if kind == 1 else float(text)
        else:
            try:
                values[name] = target(text)
            except (ValueError, OverflowError):
                warnings.append(f"{child.tag}: not a valid value; read as missing")


def _fill_other(
    values: dict[str, Any], el: etree._Element, handler: _Handler, warnings: list[str]
) -> None:
    """A nested model, or one value of a repeating item."""
    mode, name, kind, target = handler
    if mode == _GROUPS:
        values[name].append(build(target, el, warnings))
    elif mode == _GROUP:
        if name not in values:
            values[name] = build(target, el, warnings)
    else:  # _ITEMS
        text = (el.text or "").strip()
        if text in NULL_MARKERS:
            return
        try:
            value = _convert_kind(kind, target, text)
        except (ValueError, OverflowError):
            warnings.append(f"{el.tag}: not a valid value; read as missing")
            return
        values[name].append(value)


def _convert_kind(kind: int, target: Any, text: str) -> Any:
    if kind == _TEXT:
        return text
    if kind == _CODE:
        value = target.get(text)
        return value if value is not None else target.get(text.lower(), text)
    return target(text)


def _fill_segment(
    values: dict[str, Any],
    el: etree._Element,
    nested: dict[str, dict[str, _Handler]],
    warnings: list[str],
) -> None:
    """A sub-segment (``PD01A``) whose items belong to the enclosing model."""
    sub = nested.get(el.tag)
    if sub is not None:
        _fill(values, el, sub, None, warnings)


def _fix_statuses(account: LoanAccount) -> LoanAccount:
    """Map Chinese account-status labels (``逾期``) to codes, which depend on the type."""
    status, monthly = account.status, account.monthly_status
    if (status is None or status.isascii()) and (monthly is None or monthly.isascii()):
        return account
    from dataclasses import replace

    kind = account.account_type
    return replace(
        account,
        status=codes.normalise_account_status(kind, status),
        monthly_status=codes.normalise_account_status(kind, monthly),
    )


def first_text(el: etree._Element, path: str) -> str | None:
    """``el.findtext(path)`` for a plain ``a/b/c`` path, without ElementPath's overhead:
    the text of the first matching element in document order ("" when it has none),
    ``None`` when nothing matches."""
    head, _, rest = path.partition("/")
    for child in el.iterchildren(head):
        if not rest:
            return child.text or ""
        found = first_text(child, rest)
        if found is not None:
            return found
    return None


def required_text(root: etree._Element, path: str, what: str) -> str:
    text = (first_text(root, path) or "").strip()
    if text in NULL_MARKERS:
        raise MalformedReportError(
            f"The PBOC report has no {what} ({path.rsplit('/', 1)[-1]}).",
            code="PBOC_MISSING_FIELD",
            field=path.rsplit("/", 1)[-1],
        )
    return text


#: Report years accepted: feature windows reach 5 years back and month arithmetic needs
#: four-digit years; no real report lies outside.
REPORT_YEARS = (1900, 2999)


def report_date_of(root: etree._Element) -> date:
    """The report date T (date of ``PA01AR01``), checked as :func:`parse_personal` does."""
    return report_date_from(required_text(root, "PRH/PA01/PA01A/PA01AR01", "report time"))


def report_date_from(time_text: str) -> date:
    """The report date T of a report time text (stripped, not a null marker)."""
    try:
        report_date: date = CONVERTERS["date"](time_text)
    except (ValueError, OverflowError) as exc:
        raise MalformedReportError(
            "The PBOC report time (PA01AR01) is not a date or timestamp.",
            code="PBOC_BAD_REPORT_DATE",
            field="PA01AR01",
        ) from exc
    _check_report_year(report_date)
    return report_date


def _check_report_year(report_date: date) -> None:
    first, last = REPORT_YEARS
    if not first <= report_date.year <= last:
        raise MalformedReportError(
            f"The PBOC report time (PA01AR01) is outside the years {first}-{last}.",
            code="PBOC_BAD_REPORT_DATE",
            field="PA01AR01",
        )


def parse_personal(root: etree._Element) -> PersonalReport:
    """Build a :class:`PersonalReport` from the ``<Document>`` root of a personal report."""
    report_id = required_text(root, "PRH/PA01/PA01A/PA01AI01", "report number")
    report_date = report_date_of(root)
    warnings: list[str] = []
    report: PersonalReport = build(_PersonalBody, root, warnings)
    accounts = tuple(_fix_statuses(a) for a in report.accounts)
    return PersonalReport(
        **{name: getattr(report, name) for name in _BODY_FIELDS},
        accounts=accounts,
        report_id=report_id,
        report_date=report_date,
        warnings=tuple(warnings),
    )


def _body_class() -> type:
    """PersonalReport without its two required fields, so :func:`build` can fill it."""
    from dataclasses import fields, make_dataclass

    specs = [
        (f.name, f.type, f)
        for f in fields(PersonalReport)
        if f.name not in {"report_id", "report_date", "warnings"}
    ]
    return make_dataclass("_PersonalBody", specs, frozen=True, slots=True)


_PersonalBody = _body_class()
_BODY_FIELDS = tuple(s.name for s in plan_of(_PersonalBody).specs if s.name != "accounts")
