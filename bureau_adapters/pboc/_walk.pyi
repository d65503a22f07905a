from typing import Any

from lxml import etree

def walk(
    root: etree._Element, plan: dict[bytes, Any], ntables: int, width: int
) -> tuple[list[Any], list[list[list[Any]]], bool]: ...
