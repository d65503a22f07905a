"""Hypothesis strategies for PBOC report models (test support; needs ``hypothesis``).

Strategies are derived from the field declarations, so every unit and record of the
personal report is exercised, and every generated value survives rendering and parsing
unchanged (text without surrounding blanks or null markers, codes from the code tables,
amounts in fen, whole seconds).

>>> from bureau_adapters.pboc.testing import personal_reports   # doctest: +SKIP
>>> personal_reports(first=date(2022, 1, 1), last=date(2024, 12, 31)).example()  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from bureau_adapters.pboc.models import Header, PersonalReport
from bureau_adapters.pboc.schema import Spec, plan_of

__all__ = ["model_instances", "personal_reports"]

_ALPHABET = "abcXYZ0123456789张王李农信村"


def _values(first: date, last: date) -> dict[str, Any]:
    from hypothesis import strategies as st

    dates = st.dates(first, last)
    return {
        "text": st.text(alphabet=_ALPHABET, min_size=1, max_size=8),
        "date": dates,
        "month": dates.map(lambda d: d.replace(day=1)),
        "datetime": st.datetimes(
            datetime.combine(first, datetime.min.time()),
            datetime.combine(last, datetime.min.time()),
        ).map(lambda d: d.replace(microsecond=0)),
        "year": st.integers(first.year, last.year),
        "amount": st.integers(0, 10**10).map(lambda cents: cents / 100),
        "count": st.integers(0, 10**6),
    }


def _value(spec: Spec, values: dict[str, Any]) -> Any:
    from hypothesis import strategies as st

    if spec.kind == "code":
        return st.sampled_from(list(spec.table)) if spec.table is not None else values["text"]
    return values[spec.kind]


def model_instances(
    model: type,
    *,
    first: date = date(1950, 1, 1),
    last: date = date(2049, 12, 31),
    depth: int = 0,
) -> Any:
    """A strategy for any instance of a report model (repeating groups of 0–2 elements)."""
    from hypothesis import strategies as st

    values = _values(first, last)
    fields: dict[str, Any] = {}
    for spec in plan_of(model).specs:
        if spec.kind == "group":
            inner = model_instances(spec.model, first=first, last=last, depth=depth + 1)
            if spec.many:
                fields[spec.name] = st.lists(inner, max_size=2 if depth < 2 else 1).map(tuple)
            else:
                fields[spec.name] = st.none() | inner
        elif spec.many:
            fields[spec.name] = st.lists(_value(spec, values), max_size=2).map(tuple)
        else:
            fields[spec.name] = st.none() | _value(spec, values)
    return st.builds(model, **fields)


def _consistent(report: PersonalReport) -> PersonalReport:
    """The header repeats report_id and the report time (what the renderer writes)."""
    time = datetime.combine(report.report_date, datetime.min.time())
    header = report.header or Header()
    if header.report_time is not None and header.report_time.date() == report.report_date:
        time = header.report_time
    return replace(report, header=replace(header, report_id=report.report_id, report_time=time))


def personal_reports(*, first: date = date(1950, 1, 1), last: date = date(2049, 12, 31)) -> Any:
    """A strategy for any valid personal report dated between ``first`` and ``last``."""
    from hypothesis import strategies as st

    body = st.builds(
        PersonalReport,
        report_id=st.text(alphabet="0123456789", min_size=1, max_size=22),
        report_date=st.dates(first, last),
        **{
            spec.name: (
                st.lists(
                    model_instances(spec.model, first=first, last=last, depth=1), max_size=2
                ).map(tuple)
                if spec.many
                else st.none() | model_instances(spec.model, first=first, last=last, depth=1)
            )
            for spec in plan_of(PersonalReport).specs
        },
    )
    return body.map(_consistent)
