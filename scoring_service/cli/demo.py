"""``nongxin demo``: the main job end to end on embedded defaults.

The command lives in :mod:`scoring_service.mainjob.cli` (steps in :mod:`scoring_service.mainjob`):
a 3-bank sandbox province under ``$NONGXIN_HOME/sandbox`` (replacing an earlier one), then
every household's PBOC and Qianhai queries under consent, last year's and this year's
champion of each bank through the gate, the policies, the two re-ratings compared year over
year, new applicants rated over the API and one HTML report. Below 500 households it
generates and summarises the province only.
"""

from __future__ import annotations

from scoring_service.mainjob.cli import demo

__all__ = ["demo"]
