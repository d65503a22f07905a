"""Step 9: one self-contained HTML report of the main job, and the closing summary.

Figures are inline SVG in the model report's house style
(:mod:`rating_models.report.figures`): grade mix and granted limits per bank, and the grade
migration from last year's champion to this year's as one heat map per bank.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from scoring_service.mainjob.context import JobContext

__all__ = [
    "audit_summary",
    "grade_figure",
    "limit_figure",
    "migration_figure",
    "migration_tables",
    "report_step",
    "summary_lines",
]

_CSS = """body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em;max-width:72em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .6em;
text-align:right}th{background:#f3f3f3}iframe{width:100%;height:60em;border:1px solid #ccc}
figure{margin:.5em 0 1.5em}figcaption{color:#555;font-size:.9em}"""
_GRADE_COLOURS = {"A": "#1f5fa8", "B": "#4f8fd0", "C": "#9bbfe3", "D": "#e3a66a", "E": "#c0392b"}
_BANK_COLOURS = ("#1f5fa8", "#d9751e", "#2e8b57", "#8e44ad", "#888888")


def migration_tables(old: pd.DataFrame, new: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per bank, households by last year's grade (rows) and this year's (columns)."""
    paired = new.merge(old[["household_id", "grade"]], on="household_id", suffixes=("", "_old"))
    grades = sorted(set(paired["grade"]) | set(paired["grade_old"]))
    return {
        str(bank): pd.crosstab(part["grade_old"], part["grade"])
        .reindex(index=grades, columns=grades, fill_value=0)
        .rename_axis(index="last year", columns="this year")
        for bank, part in paired.groupby("bank_code")
    }


def grade_figure(decisions: pd.DataFrame, names: dict[str, str]) -> str:
    """Grade mix per bank (share of households), one bar group per grade."""
    from rating_models.report.figures import _figure, _svg

    mix = pd.crosstab(decisions["grade"], decisions["bank_code"], normalize="columns")
    width = 0.8 / max(1, mix.shape[1])
    with _figure(6.4, 3.4) as (fig, ax):
        x = np.arange(len(mix.index))
        for i, bank in enumerate(mix.columns):
            ax.bar(x + (i - (mix.shape[1] - 1) / 2) * width, mix[bank], width,
                   label=f"{bank} {names.get(str(bank), '')}",
                   color=_BANK_COLOURS[i % len(_BANK_COLOURS)])  # fmt: skip
        ax.set_xticks(x, list(mix.index))
        ax.set_xlabel("grade (bank's cut-offs; E = no credit)")
        ax.set_ylabel("share of households")
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.legend(frameon=False, fontsize=8)
        return _svg(fig)


def limit_figure(decisions: pd.DataFrame, names: dict[str, str]) -> str:
    """Distribution of the granted limits per bank (households with a limit > 0)."""
    from rating_models.report.figures import _figure, _svg

    granted = decisions[decisions["limit"] > 0]
    top = float(granted["limit"].max()) if len(granted) else 1.0
    edges = np.linspace(0.0, top / 1e4, 26)
    with _figure(6.4, 3.4) as (fig, ax):
        for i, (bank, part) in enumerate(granted.groupby("bank_code")):
            ax.hist(part["limit"] / 1e4, bins=edges, histtype="step", linewidth=1.6,
                    label=f"{bank} {names.get(str(bank), '')} ({len(part):,} granted)",
                    color=_BANK_COLOURS[i % len(_BANK_COLOURS)])  # fmt: skip
        ax.set_xlabel("credit limit, 万元 (10,000 yuan)")
        ax.set_ylabel("households")
        ax.legend(frameon=False, fontsize=8)
        return _svg(fig)


def migration_figure(tables: dict[str, pd.DataFrame]) -> str:
    """One heat map per bank: last year's grade (rows) → this year's (columns), row shares
    as colour, household counts written in the cells."""
    from rating_models.report.figures import _figure, _svg

    banks = sorted(tables)
    with _figure(3.2 * max(1, len(banks)), 3.3) as (fig, _):
        fig.clear()
        axes: Sequence[Any] = fig.subplots(1, max(1, len(banks)), squeeze=False)[0]
        for ax, bank in zip(axes, banks, strict=False):
            counts = tables[bank]
            share = counts.div(counts.sum(axis=1).replace(0, 1), axis=0)
            ax.imshow(share.to_numpy(), cmap="Blues", vmin=0, vmax=1)
            ax.set_xticks(range(len(counts.columns)), list(counts.columns))
            ax.set_yticks(range(len(counts.index)), list(counts.index))
            ax.grid(False)
            for (i, j), v in np.ndenumerate(counts.to_numpy()):
                dark = share.to_numpy()[i, j] > 0.6
                ax.text(j, i, f"{v:,}", ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")  # fmt: skip
            ax.set_title(f"bank {bank}", fontsize=10)
            ax.set_xlabel("this year")
            ax.set_ylabel("last year")
        return _svg(fig)


def audit_summary(engine: Any, banks: list[str]) -> pd.DataFrame:
    """Bureau query audit rows per bank, by bureau, outcome and source (live or reused)."""
    from bureau_adapters.compliance import AuditLog

    rows = [
        {
            "bank_code": bank,
            "bureau": getattr(e, "bureau", "-"),
            "outcome": e.outcome.value,
            "source": getattr(e.source, "value", "-"),
        }
        for bank in banks
        for e in AuditLog(engine).list(bank, limit=1_000_000)
    ]
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).value_counts().rename("queries").sort_index().reset_index()


def _model_report(ctx: JobContext) -> str:
    """The rating report of the champions' WOE scorecard: the whole book beside the hold-out
    (the hold-out is part of the book; the split is the trainer's, by household)."""
    from rating_models.report import build_report, render_html

    result = next(iter(ctx.state["trained"].values()))
    frame: pd.DataFrame = ctx.state["frame"]
    test = result.test
    report = build_report(
        result.model.statistical,
        frame,
        frame["default_12m"],
        scale=result.model.scale,
        test=test,
        y_test=test["target"],
        title="farmer-rating: the WOE scorecard in every bank's champion",
    )
    return render_html(report)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(float_format=lambda v: f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3f}")


def _champions(ctx: JobContext) -> pd.DataFrame:
    """Which champion each bank uses, and this year's model with its gate outcome."""
    rows = []
    for bank, loaded in ctx.state["models"].items():
        m = ctx.state["trained"][bank].metrics
        model = loaded.model
        promoted = ctx.state["versions"].get(bank)
        rows.append({
            "bank_code": bank, "champion": f"v{loaded.version} ({loaded.alias})",
            "mode": model.mode, "knockouts": " ".join(r.code for r in model.knockouts),
            "this_year_model": ctx.state["trained"][bank].model.mode,
            "its_holdout_auc": m["test_auc"], "its_holdout_ks": m["test_ks"],
            "gate": f"promoted (v{promoted})" if promoted else "refused: last year's stays",
        })  # fmt: skip
    return pd.DataFrame(rows).set_index("bank_code")


def _figure_html(title: str, svg: str, caption: str) -> str:
    return f"<h2>{html.escape(title)}</h2><figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _html(ctx: JobContext, body: list[str], model_html: str) -> str:
    s = ctx.state["summary"]
    head = (
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>nongxin main job"
        f"</title><style>{_CSS}</style></head><body><h1>nongxin main job</h1>"
        f"<p>{len(ctx.state['frame']):,} households in the book at {s.banks} banks (plus "
        f"{len(ctx.state['applicant_ids'])} new applicants), seed {s.seed}, as of {s.as_of}; "
        f"written {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.</p>"
    )
    link = (
        f"<p>Re-rating report (this year vs last year, CSVs beside it): <a href='"
        f"{ctx.state['rerate_report']}'>{html.escape(str(ctx.state['rerate_report']))}</a></p>"
    )
    frame = f"<iframe srcdoc='{html.escape(model_html, quote=True)}'></iframe>"
    return "".join([head, *body, link, "<h2>Model report (the WOE scorecard)</h2>", frame,
                    "</body></html>"])  # fmt: skip


def report_step(ctx: JobContext) -> None:
    """Write ``NONGXIN_HOME/demo/report.html``."""
    decisions: pd.DataFrame = ctx.state["decisions"]
    names = {str(k): v for k, v in ctx.state["summary"].bank_names.items()}
    banks = ctx.state["banks"]
    migration = migration_tables(ctx.state["last_year"], decisions)
    api = pd.DataFrame(ctx.state.get("api_decisions", []))
    body = [
        "<h2>Each bank's champion</h2>",
        _table(_champions(ctx)),
        _figure_html("Grade distribution per bank", grade_figure(decisions, names),
                     "This year's champions, each bank's own cut-offs."),
        _figure_html("Limit distribution per bank", limit_figure(decisions, names),
                     "Granted limits (limit > 0) under each bank's policy and the red lines."),
        _figure_html("Migration: last year's grade to this year's, per bank",
                     migration_figure(migration),
                     "Colour: share of last year's grade; numbers: households. Last year: the "
                     "federation expert card; this year: each bank's champion."),
        "<h2>Year over year per bank</h2>",
        _table(ctx.state["stability"]),
        "<h2>Bureau query audit</h2>",
        _table(audit_summary(ctx.state["engine"], banks)),
    ]  # fmt: skip
    if not api.empty:
        api = api.assign(
            model_version=[r["lineage"]["model_version"] for r in ctx.state["api_decisions"]],
            reasons=[" ".join(x["code"] for x in r["reasons"]) for r in ctx.state["api_decisions"]],
        )
        cols = ["bank_code", "household_id", "model_version", "grade", "pd", "limit", "reasons"]
        body += ["<h2>New applicants rated over HTTP</h2>", _table(api[cols])]
    path = ctx.out / "report.html"
    path.write_text(_html(ctx, body, _model_report(ctx)), encoding="utf-8")
    ctx.state["report"] = path
    ctx.say(f"report: {path}")


def summary_lines(ctx: JobContext) -> list[str]:
    """The closing summary: the report's path and the headline numbers."""
    decisions: pd.DataFrame = ctx.state["decisions"]
    s = ctx.state["summary"]
    lines = [
        f"Report: {ctx.state['report']}",
        f"Province: {len(ctx.state['frame']):,} households in the book at {s.banks} banks, "
        f"{len(ctx.state['applicant_ids'])} new applicants ({ctx.province})",
    ]
    stability = ctx.state["stability"]
    for bank, part in decisions.groupby("bank_code"):
        loaded = ctx.state["models"][str(bank)]
        mix = part["grade"].value_counts(normalize=True).sort_index()
        r = stability.loc[str(bank)]
        lines.append(
            f"Bank {bank} {s.bank_names[str(bank)]}: champion v{loaded.version} "
            f"({loaded.model.mode}); grades "
            + " ".join(f"{g} {v:.0%}" for g, v in mix.items())
            + f"; {int((part['limit'] > 0).sum()):,} of {len(part):,} granted, "
            f"{part['limit'].sum() / 1e8:,.2f} 亿元 (last year {r['limit_old_yuan'] / 1e8:,.2f}); "
            f"{int(r['upgraded']):,} up, {int(r['downgraded']):,} down"
        )
    total = sum(seconds for _, seconds in ctx.timings)
    lines.append(f"Finished in {total:.0f} s.")
    return lines
