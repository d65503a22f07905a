"""Step 8: one self-contained HTML report of the main job, and the closing summary."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pandas as pd

from scoring_service.mainjob.context import JobContext

__all__ = ["audit_summary", "distribution_tables", "report_step"]

_CSS = """body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2em;max-width:70em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .6em;
text-align:right}th{background:#f3f3f3}iframe{width:100%;height:60em;border:1px solid #ccc}"""


def distribution_tables(decisions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Grade mix and limits per bank, and the model-grade to final-grade migration."""
    grades = pd.crosstab(decisions["bank_code"], decisions["grade"], margins=True)
    granted = decisions[decisions["limit"] > 0]
    limits = decisions.groupby("bank_code").agg(
        households=("limit", "size"),
        granted=("limit", lambda s: int((s > 0).sum())),
        escalated=("escalate", "sum"),
        total_limit_yuan=("limit", "sum"),
    )
    limits["median_granted_yuan"] = granted.groupby("bank_code")["limit"].median()
    limits["p90_granted_yuan"] = granted.groupby("bank_code")["limit"].quantile(0.9)
    migration = pd.crosstab(decisions["model_grade"], decisions["grade"], margins=True)
    return {"grades": grades, "limits": limits, "migration": migration}


def audit_summary(engine: Any, banks: list[str]) -> pd.DataFrame:
    """Bureau query audit rows per bank, by outcome and source (live or reused)."""
    from bureau_adapters.compliance import AuditLog

    rows = [
        {"bank_code": bank, "outcome": e.outcome.value, "source": getattr(e.source, "value", "-")}
        for bank in banks
        for e in AuditLog(engine).list(bank, limit=1_000_000)
    ]
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).value_counts().rename("queries").reset_index()


def _model_report(ctx: JobContext) -> str:
    """The rating report of the champion's statistical card (development vs hold-out)."""
    from rating_models.report import build_report, render_html

    result = ctx.state["trained"]
    frame: pd.DataFrame = ctx.state["frame"]
    test = result.test
    train = frame.drop(index=test.index)
    report = build_report(
        result.model.statistical,
        train,
        train["default_12m"],
        scale=result.model.scale,
        test=test,
        y_test=test["target"],
        title="farmer-rating: statistical card",
    )
    return render_html(report)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(float_format=lambda v: f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3f}")


def _html(ctx: JobContext, sections: dict[str, pd.DataFrame], model_html: str) -> str:
    s = ctx.state["summary"]
    parts = [
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>nongxin main job"
        f"</title><style>{_CSS}</style></head><body><h1>nongxin main job</h1>",
        f"<p>{s.households:,} households at {s.banks} banks, seed {s.seed}, as of {s.as_of}; "
        f"written {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.</p>",
    ]
    for title, frame in sections.items():
        parts.append(f"<h2>{html.escape(title)}</h2>{_table(frame)}")
    parts.append(f"<p>Re-rating report: <a href='{ctx.state['rerate_report']}'>"
                 f"{html.escape(str(ctx.state['rerate_report']))}</a></p>")  # fmt: skip
    parts.append("<h2>Model report (statistical card)</h2>")
    parts.append(f"<iframe srcdoc='{html.escape(model_html, quote=True)}'></iframe></body></html>")
    return "".join(parts)


def _models_table(ctx: JobContext) -> pd.DataFrame:
    r = ctx.state["trained"]
    metrics = {k: v for k, v in r.metrics.items() if k.startswith(("train_", "test_"))}
    return pd.DataFrame({"value": {"mode": r.model.mode, **metrics}})


def report_step(ctx: JobContext) -> None:
    """Write ``NONGXIN_HOME/demo/report.html`` and print the summary."""
    decisions: pd.DataFrame = ctx.state["decisions"]
    banks = sorted(decisions["bank_code"].unique())
    tables = distribution_tables(decisions)
    audit = audit_summary(ctx.state["engine"], banks)
    api = pd.DataFrame(ctx.state.get("api_decisions", []))
    sections = {
        "Champion model (development and hold-out)": _models_table(ctx),
        "Grade distribution per bank": tables["grades"],
        "Limits per bank": tables["limits"],
        "Migration: model grade (rows) to final grade (columns)": tables["migration"],
        "Bureau query audit": audit,
    }
    if not api.empty:
        sections["Applicants rated over HTTP"] = api[
            ["bank_code", "household_id", "grade", "pd", "limit"]
        ]
    path = ctx.out / "report.html"
    path.write_text(_html(ctx, sections, _model_report(ctx)), encoding="utf-8")
    ctx.state["report"] = path
    ctx.say(f"report: {path}")


def summary_lines(ctx: JobContext) -> list[str]:
    """The closing summary: the report's path and the headline numbers."""
    decisions: pd.DataFrame = ctx.state["decisions"]
    s = ctx.state["summary"]
    lines = [
        f"Report: {ctx.state['report']}",
        f"Province: {s.households:,} households at {s.banks} banks ({ctx.province})",
    ]
    m = ctx.state["trained"].metrics
    lines.append(f"Champion: hold-out AUC {m['test_auc']:.3f}, KS {m['test_ks']:.3f}")
    for bank, part in decisions.groupby("bank_code"):
        mix = part["grade"].value_counts(normalize=True).sort_index()
        lines.append(
            f"Bank {bank} {s.bank_names[str(bank)]}: grades "
            + " ".join(f"{g} {v:.0%}" for g, v in mix.items())
            + f"; {int((part['limit'] > 0).sum()):,} of {len(part):,} granted, "
            f"{part['limit'].sum() / 1e8:,.2f} 亿元 in limits"
        )
    total = sum(seconds for _, seconds in ctx.timings)
    lines.append(f"Finished in {total:.0f} s.")
    return lines
