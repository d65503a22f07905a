"""A minimal, fast, indented XML text builder for the report renderer (no DOM)."""

from __future__ import annotations

import datetime as dt

__all__ = ["PAD", "Doc", "day_text"]

PAD = tuple("  " * depth for depth in range(12))


class Doc:
    """Lines of an XML document, indented two spaces a level like the real samples."""

    __slots__ = ("lines",)

    def __init__(self, root: str) -> None:
        self.lines: list[str] = [f"<{root}>"]

    def open(self, tag: str, depth: int) -> None:
        """``<tag>`` on its own line."""
        self.lines.append(f"{PAD[depth]}<{tag}>")

    def close(self, tag: str, depth: int) -> None:
        """``</tag>`` on its own line."""
        self.lines.append(f"{PAD[depth]}</{tag}>")

    def items(self, depth: int, pairs: list[tuple[str, object]]) -> None:
        """One ``<tag>value</tag>`` line per pair (values must already be escaped)."""
        pad = PAD[depth]
        self.lines.extend(f"{pad}<{t}>{v}</{t}>" for t, v in pairs)

    def block(self, tag: str, depth: int, pairs: list[tuple[str, object]]) -> None:
        """``<tag>`` holding ``pairs`` one level deeper."""
        self.open(tag, depth)
        self.items(depth + 1, pairs)
        self.close(tag, depth)

    def nested(self, tags: tuple[str, ...], depth: int, pairs: list[tuple[str, object]]) -> None:
        """``<a><b>…pairs…</b></a>`` for ``tags = ("a", "b")``, starting at ``depth``."""
        for k, tag in enumerate(tags):
            self.open(tag, depth + k)
        self.items(depth + len(tags), pairs)
        for k in range(len(tags) - 1, -1, -1):
            self.close(tags[k], depth + k)

    def text(self, root: str) -> str:
        """The finished document."""
        return "\n".join([*self.lines, f"</{root}>"])


def day_text(day: dt.date | None, month_only: bool = False) -> str:
    """``YYYY-MM-DD`` (or ``YYYY-MM`` when ``month_only``); empty for ``None``."""
    if day is None:
        return ""
    return f"{day:%Y-%m}" if month_only else day.isoformat()
