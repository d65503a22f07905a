"""``nongxin bureau``: parse, featurise, query and simulate credit bureaus.

The sub-commands live in their own modules (``bureau_parse``, ``bureau_query``,
``bureau_qianhai``); this group collects whichever of them are installed.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

__all__ = ["bureau"]

_SUBMODULES = (
    "scoring_service.cli.bureau_parse",
    "scoring_service.cli.bureau_query",
    "scoring_service.cli.bureau_qianhai",
)


@click.group()
def bureau() -> None:
    """Parse, featurise, query and simulate credit bureaus (PBOC 二代征信, Qianhai 前海征信)."""


for _name in _SUBMODULES:
    if importlib.util.find_spec(_name) is not None:
        for _command in getattr(importlib.import_module(_name), "COMMANDS", ()):
            bureau.add_command(_command)
