"""Declarative element mapping shared by the models, the parser and the renderer.

A report model is a frozen dataclass whose fields say where they live in the XML:

* :func:`item` — one data item (数据项), e.g. ``item("PD01A/PD01AD01", "code", AccountType)``;
* :func:`items` — a data item that may repeat (``PC010D01`` score explanations);
* :func:`group` — a nested model, one (``many=False``) or a repeating group (``many=True``).

Paths are relative to the model's own element, at most two steps (``segment/item``). A tag
starting with ``+`` is appended to the element's own tag (``+S01`` inside ``PC02E`` is
``PC02ES01``); with ``~`` the element's last letter is dropped first (``~D01`` inside
``PD01ZH`` is ``PD01ZD01``), so one model serves the same structure under many prefixes.

The parser (:mod:`bureau_adapters.pboc.parser`) and the renderer
(:mod:`bureau_adapters.pboc.render`) both read these declarations, which is why
``parse(render(report)) == report`` holds by construction and is checked by a property test.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cache
from typing import Any

__all__ = ["Plan", "Spec", "group", "item", "items", "plan_of", "resolve_tag"]

#: Value kinds of data items.
KINDS = ("text", "code", "date", "month", "datetime", "year", "amount", "count")


@dataclass(frozen=True, slots=True)
class Spec:
    """Where one model field lives and how its text is read."""

    name: str
    path: tuple[str, ...]
    kind: str  # one of KINDS, or "group"
    table: Any = None  # CodeTable subclass for "code"
    model: Any = None  # nested model class for "group"
    many: bool = False


def item(path: str, kind: str = "text", table: Any = None) -> Any:
    """Declare a single data item (missing → ``None``)."""
    if kind not in KINDS:  # pragma: no cover - programming error
        raise ValueError(f"unknown kind {kind!r}")
    return field(default=None, metadata={"path": path, "kind": kind, "table": table})


def items(path: str, kind: str = "text", table: Any = None) -> Any:
    """Declare a repeating data item (missing → empty tuple)."""
    return field(default=(), metadata={"path": path, "kind": kind, "table": table, "many": True})


def group(path: str, model: Any, *, many: bool = False) -> Any:
    """Declare a nested model; ``many=True`` for a repeating group (``…H``) → tuple."""
    default: Any = () if many else None
    return field(
        default=default, metadata={"path": path, "kind": "group", "model": model, "many": many}
    )


def resolve_tag(tag: str, parent_tag: str) -> str:
    """Expand the relative ``+``/``~`` tag notation against the element's own tag."""
    if tag[0] == "+":
        return parent_tag + tag[1:]
    if tag[0] == "~":
        return parent_tag[:-1] + tag[1:]
    return tag


@dataclass(frozen=True, slots=True)
class Plan:
    """The field specs of one model class, in declaration order."""

    model: Any
    specs: tuple[Spec, ...]


@cache
def plan_of(model: Any) -> Plan:
    """The (cached) parse/render plan of a model class."""
    specs = []
    for f in dataclasses.fields(model):
        meta = f.metadata
        if "path" not in meta:
            continue
        specs.append(
            Spec(
                name=f.name,
                path=tuple(meta["path"].split("/")),
                kind=meta["kind"],
                table=meta.get("table"),
                model=meta.get("model"),
                many=bool(meta.get("many", False)),
            )
        )
    return Plan(model=model, specs=tuple(specs))
