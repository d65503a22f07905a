"""The re-rating report as one self-contained HTML page (inline SVG figures, no network)."""

from __future__ import annotations

import base64
import io
import warnings
from typing import Any

import jinja2
import pandas as pd

from rating_models.report.figures import FONT_FAMILY
from scoring_service.batch.report import RerateReport

__all__ = ["render_report"]

_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>重新评级报告 Re-rating {{ r.run_id }}</title>
<style>
body { font-family: {{ fonts }}; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; border-bottom: 2px solid #1f5fa8; } h2 { color: #1f5fa8; font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: .85rem; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ccd; padding: .2rem .5rem; text-align: right; } th { background: #eef2f8; }
.muted { color: #666; font-size: .88rem; } img { max-width: 100%; }
</style></head><body>
<h1>重新评级报告 Re-rating report — run {{ r.run_id }}</h1>
<p class="muted">对比 Compared with: {{ r.previous_run or "no previous run (every household is new)" }}.
CSV files with every row sit next to this page.</p>
<h2>概览 Summary</h2>{{ tables.summary }}
<h2>等级迁移 Grade migration (old → new)</h2>
{% for bank, table in migration %}<h3>{{ bank }}</h3>{{ table }}{% endfor %}
{% if figures.migration %}<img id="migration" alt="grade migration" src="{{ figures.migration }}">{% endif %}
<h2>额度变化 Limit changes by new grade</h2>{{ tables.limits }}
{% if figures.limits %}<img id="limits" alt="limit totals" src="{{ figures.limits }}">{% endif %}
<h2>额度降为 0 Households moving to 0 ({{ r.to_zero|length }})</h2>
{{ to_zero_why }}<p class="muted">Every row: to_zero.csv.</p>
<h2>稳定性 Stability (PSI against the development sample and the previous run)</h2>{{ tables.psi }}
{% if figures.psi %}<img id="psi" alt="PSI" src="{{ figures.psi }}">{% endif %}
<h2>人工复核 Manual review ({{ r.review|length }})</h2>{{ review_why }}
<p class="muted">Every row: review.csv.</p>
{% if r.triggers|length %}<h2>输入变化 What changed in the inputs since the previous run</h2>{{ tables.triggers }}{% endif %}
</body></html>
"""


def _html(frame: pd.DataFrame) -> str:
    ints = {
        c: (lambda v: f"{v:,}")
        for c in frame.columns
        if pd.api.types.is_integer_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    }
    return str(
        frame.to_html(
            index=False, border=0, na_rep="", formatters=ints, float_format=lambda v: f"{v:,.4g}"
        )
    )


def _svg_uri(fig: Any) -> str:
    buf = io.StringIO()
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Glyph .* missing from font", category=UserWarning
        )
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue().encode()).decode()


def _figures(r: RerateReport) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out: dict[str, str] = {"migration": "", "limits": "", "psi": ""}
    if r.migration.empty:
        return out
    totals = r.migration.pivot_table(
        index="old_grade", columns="grade", values="households", aggfunc="sum", fill_value=0
    )
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.imshow(totals.to_numpy(), cmap="Blues")
    ax.set_xticks(range(len(totals.columns)), totals.columns)
    ax.set_yticks(range(len(totals.index)), totals.index)
    for (i, j), v in pd.DataFrame(totals.to_numpy()).stack().items():
        ax.text(j, i, f"{v:,}", ha="center", va="center", fontsize=8)
    ax.set_xlabel("new grade")
    ax.set_ylabel("old grade")
    out["migration"] = _svg_uri(fig)
    plt.close(fig)
    by_grade = r.limits.groupby("grade")[["old_total", "new_total"]].sum()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    by_grade.plot.bar(ax=ax, rot=0)
    ax.set_ylabel("limit total, yuan")
    out["limits"] = _svg_uri(fig)
    plt.close(fig)
    if len(r.psi):
        fig, ax = plt.subplots(figsize=(6, 0.3 * len(r.psi) + 1))
        ax.barh(r.psi["variable"], r.psi["psi"], color="#1f5fa8")
        ax.axvline(0.10, color="#c27c0e", ls="--")
        ax.axvline(0.25, color="#b03a2e", ls="--")
        ax.set_xlabel("PSI")
        out["psi"] = _svg_uri(fig)
        plt.close(fig)
    return out


def _counts(frame: pd.DataFrame, column: str) -> str:
    if frame.empty:
        return "<p>None.</p>"
    return _html(
        frame[column].value_counts().rename_axis(column).rename("households").reset_index()
    )


def render_report(r: RerateReport) -> str:
    """The report page (HTML string, figures embedded)."""
    migration = [
        (bank, _html(part.pivot_table(index="old_grade", columns="grade", values="households",
                                      aggfunc="sum", fill_value=0)
                     .rename_axis(index="old \\ new", columns=None).reset_index()))
        for bank, part in r.migration.groupby("bank_code")
    ]  # fmt: skip
    env = jinja2.Environment(autoescape=True)
    html = env.from_string(_TEMPLATE).render(
        r=r,
        fonts=FONT_FAMILY,
        tables={k: jinja2.utils.markupsafe.Markup(_html(v)) for k, v in r.tables().items()},
        migration=[(b, jinja2.utils.markupsafe.Markup(t)) for b, t in migration],
        to_zero_why=jinja2.utils.markupsafe.Markup(_counts(r.to_zero, "why")),
        review_why=jinja2.utils.markupsafe.Markup(_counts(r.review, "why")),
        figures=_figures(r),
    )
    return str(html)
