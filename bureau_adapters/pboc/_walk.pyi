from typing import Any

from lxml import etree

def walk(
    root: etree._Element, plan: dict[bytes, Any], width: int, absent: object
) -> tuple[list[Any], bool]: ...
