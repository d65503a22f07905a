"""The model report: metrics, grade calibration, per-variable WOE, as one self-contained HTML."""

from rating_models.report.build import ModelReport, VariableReport, build_report
from rating_models.report.html import FIGURE_IDS, render_html

__all__ = ["FIGURE_IDS", "ModelReport", "VariableReport", "build_report", "render_html"]
