"""``nongxin demo``: the main job end to end on embedded defaults.

The command lives in :mod:`scoring_service.mainjob.cli` (steps in :mod:`scoring_service.mainjob`):
a 3-bank sandbox province under ``$NONGXIN_HOME/sandbox`` (replacing an earlier one), then
bureau queries under consent, the cards, the gated champion, the policies, the re-rating, the
API and one HTML report. Below 500 households it generates and summarises the province only.
"""

from __future__ import annotations

from scoring_service.mainjob.cli import demo

__all__ = ["demo"]
