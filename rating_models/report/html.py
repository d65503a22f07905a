"""Render a :class:`~rating_models.report.build.ModelReport` as one self-contained HTML file.

Figures are embedded as base64 SVG ``<img>`` data URIs (each figure keeps its own ids), the
style sheet is inline, nothing is fetched from the network. Chinese text is drawn by the
reader's browser through a font-family fallback list (see :data:`figures.FONT_FAMILY`).
"""

from __future__ import annotations

import base64
import math
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup, escape

from rating_models.report.build import ModelReport
from rating_models.report.figures import FONT_FAMILY

__all__ = ["FIGURE_IDS", "render_html"]

#: ids of the report's figures (``<img id=...>``); variables add ``woe-<feature>``
FIGURE_IDS: tuple[str, ...] = ("roc", "ks", "scores", "scores_by_class", "lift", "grades")

_CAPTIONS = {
    "roc": "ROC 曲线 — ROC curve",
    "ks": "KS 曲线 — KS curve",
    "scores": "评分分布：训练与测试 — Score distribution, train vs test",
    "scores_by_class": "好坏客户评分分布 — Score distribution of goods and bads",
    "lift": "捕获率与提升度 — Capture rate and lift",
    "grades": "各等级违约率：实际与校准 — Bad rate by grade, observed vs calibrated",
}

_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{ r.title }}</title>
<style>
body { font-family: {{ fonts }}; margin: 2rem auto; max-width: 1100px; color: #222; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #1f5fa8; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; color: #1f5fa8; }
h3 { font-size: 1.05rem; margin-bottom: .3rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .88rem; }
th, td { border: 1px solid #ccd; padding: .25rem .55rem; text-align: right; white-space: nowrap; }
th { background: #eef2f8; }
td.l, th.l { text-align: left; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #555; }
.grid { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
.muted { color: #666; font-size: .88rem; }
.status-act { color: #b03a2e; font-weight: bold; } .status-watch { color: #c27c0e; } .status-stable { color: #2e7d32; }
</style>
</head>
<body>
<h1>{{ r.title }}</h1>
<p class="muted">模型 Model: <b>{{ r.model_name }}</b> ({{ r.kind }}) · PD 来源 PD from: {{ r.pd_source }}{% if generated %} · 生成时间 Generated: {{ generated }}{% endif %}</p>

<h2>1. 区分能力 Discrimination</h2>
{{ summary }}
{% if r.score_psi is not none %}<p>评分稳定性 Score PSI (train → test): <b>{{ "%.4f"|format(r.score_psi) }}</b> <span class="status-{{ psi_status }}">{{ psi_status }}</span> <span class="muted">(&lt; 0.10 stable, 0.10–0.25 watch, &gt; 0.25 act)</span></p>{% endif %}
{% if r.rates %}<p>{% for k, v in r.rates.items() %}{{ rate_names[k] }}: <b>{{ "%.1f%%"|format(100 * v) }}</b> &nbsp; {% endfor %}</p>{% endif %}
<div class="grid">{{ fig("roc") }}{{ fig("ks") }}</div>
<div class="grid">{{ fig("scores") }}{{ fig("scores_by_class") }}</div>

<h2>2. 等级与校准 Grades and calibration</h2>
<p class="muted">评分 → 违约概率 → 等级（按最大PD切分）；各等级PD在开发样本上校准（坏账率向本等级切分区间中点收缩，保持单调）。Score → PD → grade by each grade's maximum PD; each grade's PD is calibrated on the development sample (bad rate shrunk towards the middle of the grade's cut-off interval, kept monotone). p 值为实际坏账数相对校准PD的双侧精确二项检验。</p>
{{ grades }}
{{ fig("grades") }}

<h2>3. 增益与提升 Gains and lift</h2>
{{ gains }}
{{ fig("lift") }}

<h2>4. 变量 Characteristics</h2>
{{ overview }}
{% for v in r.variables %}
<h3 id="var-{{ v.name }}">{{ v.name }}{% if v.label %} · {{ v.label }}{% endif %}</h3>
<p class="muted">IV {{ "%.4f"|format(v.iv) }}{% if v.csi is not none %} · CSI {{ "%.4f"|format(v.csi) }}{% endif %}</p>
<figure><img id="woe-{{ v.name }}" alt="WOE and bad rate of {{ v.name }}" src="data:image/svg+xml;base64,{{ b64(v.figure) }}"><figcaption>WOE 与坏账率 — WOE and bad rate per bin</figcaption></figure>
{{ table(v.table) }}
{% endfor %}
{% for n in r.notes %}<p class="muted">{{ n }}</p>{% endfor %}
</body>
</html>
"""


def _b64(svg: str) -> str:
    return base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _fmt(value: Any, column: str) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        value = round(value, 12) + 0.0  # never "-0.0000"
        if column in {"n", "bads", "goods", "count", "good", "bad", "test_count", "group"}:
            return f"{value:,.0f}"
        if column in {
            "bad_rate",
            "share",
            "count_share",
            "cum_n_share",
            "cum_bad_share",
            "cum_good_share",
            "mean_pd",
            "grade_pd",
            "ci_low",
            "ci_high",
            "max_pd",
            "test_bad_rate",
        }:
            return f"{100 * value:.2f}%"
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(frame: pd.DataFrame) -> str:
    left = [c for c in frame.columns if frame[c].dtype == object]
    head = "".join(
        f'<th class="{"l" if c in left else ""}">{escape(c)}</th>' for c in frame.columns
    )
    rows = []
    for rec in frame.itertuples(index=False):
        cells = "".join(
            f'<td class="{"l" if c in left else ""}">{escape(_fmt(v, c))}</td>'
            for c, v in zip(frame.columns, rec, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(report: ModelReport, *, generated: str | None = None) -> str:
    """The report as one HTML document (UTF-8 text)."""
    from rating_models.metrics import psi_status

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_TEMPLATE)

    def fig(name: str) -> Any:
        src = _b64(report.figures[name])
        html = (
            f'<figure><img id="{name}" alt="{_CAPTIONS[name]}" src="data:image/svg+xml;base64,{src}">'
            f"<figcaption>{_CAPTIONS[name]}</figcaption></figure>"
        )
        return Markup(html)  # noqa: S704 - constants and base64 only

    overview = pd.DataFrame(
        {
            "feature": [v.name for v in report.variables],
            "label": [v.label for v in report.variables],
            "iv": [v.iv for v in report.variables],
            "csi": [float("nan") if v.csi is None else v.csi for v in report.variables],
        }
    )
    markup = Markup
    return template.render(
        r=report,
        generated=generated,
        fonts=Markup(", ".join(f'"{f}"' for f in FONT_FAMILY) + ", sans-serif"),  # noqa: S704
        fig=fig,
        b64=_b64,
        table=lambda frame: markup(_table(frame)),
        summary=markup(_table(report.summary)),
        grades=markup(_table(report.grades)),
        gains=markup(_table(report.gains)),
        overview=markup(_table(overview)),
        psi_status=None if report.score_psi is None else psi_status(report.score_psi),
        rate_names={
            "override_rate": "人工调整率 Override rate",
            "escalation_rate": "转人工审核率 Escalation rate",
        },
    )
