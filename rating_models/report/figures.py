"""Figures of the model report, drawn with matplotlib and returned as SVG text.

Text stays text in the SVG (``svg.fonttype = none``) with a font-family fallback list, so the
browser that opens the report draws Chinese with whatever CJK font the machine has (Noto
Sans CJK, Microsoft YaHei, PingFang, SimHei, WenQuanYi …); nothing has to be installed on the
machine that writes the report. Figures are deterministic (fixed hash salt, no date).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FONT_FAMILY",
    "grade_figure",
    "ks_figure",
    "lift_figure",
    "roc_figure",
    "score_distribution_figure",
    "woe_figure",
]

#: fonts tried in order by the browser (and by matplotlib when it measures text)
FONT_FAMILY: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "WenQuanYi Zen Hei",
    "DejaVu Sans",
    "Arial",
)
_COLOURS = {
    "train": "#1f5fa8",
    "test": "#d9751e",
    "bad": "#c0392b",
    "good": "#2e8b57",
    "bads": "#c0392b",
    "goods": "#2e8b57",
    "grey": "#888888",
}
_RC: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "nongxin-report",
    "font.family": ["sans-serif"],
    "font.sans-serif": list(FONT_FAMILY),
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


@contextmanager
def _figure(width: float, height: float) -> Iterator[tuple[Any, Any]]:
    # the object API, not pyplot: no backend switch, no global figure registry (notebooks safe)
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height))
        yield fig, fig.subplots()


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    with warnings.catch_warnings():
        # the writing machine may lack CJK glyphs; the reader's browser draws them
        warnings.filterwarnings(
            "ignore", message="Glyph .* missing from font", category=UserWarning
        )
        fig.savefig(
            buf, format="svg", bbox_inches="tight", pad_inches=0.12, metadata={"Date": None}
        )
    return buf.getvalue()


def roc_figure(curves: Mapping[str, tuple[np.ndarray, np.ndarray, float]]) -> str:
    """ROC curves: ``{sample: (false positive rate, true positive rate, auc)}``."""
    with _figure(4.6, 4.2) as (fig, ax):
        for name, (fpr, tpr, auc) in curves.items():
            ax.plot(fpr, tpr, color=_COLOURS.get(name), lw=1.8, label=f"{name}  AUC {auc:.3f}")
        ax.plot([0, 1], [0, 1], color=_COLOURS["grey"], lw=1, ls="--", label="random")
        ax.set(
            xlim=(0, 1),
            ylim=(0, 1.01),
            xlabel="False positive rate (goods cut)",
            ylabel="True positive rate (bads caught)",
        )
        ax.set_aspect("equal")
        ax.legend(loc="lower right", frameon=False)
        return _svg(fig)


def ks_figure(curve: pd.DataFrame, ks_value: float) -> str:
    """Cumulative bad and good shares by share of population cut, with the KS gap marked."""
    with _figure(5.6, 3.8) as (fig, ax):
        n = np.linspace(0, 1, len(curve))
        pop = curve["cum_pop"].to_numpy() if "cum_pop" in curve else n
        ax.plot(pop, curve["cum_bad"], color=_COLOURS["bad"], lw=1.8, label="bads (cumulative)")
        ax.plot(pop, curve["cum_good"], color=_COLOURS["good"], lw=1.8, label="goods (cumulative)")
        gap = (curve["cum_bad"] - curve["cum_good"]).to_numpy()
        i = int(np.argmax(np.abs(gap)))
        ax.vlines(
            pop[i], curve["cum_good"].iloc[i], curve["cum_bad"].iloc[i], color="black", lw=1.4
        )
        ax.annotate(
            f"KS = {ks_value:.3f}",
            (pop[i], (curve["cum_good"].iloc[i] + curve["cum_bad"].iloc[i]) / 2),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
        )
        ax.set(
            xlim=(0, 1),
            ylim=(0, 1.01),
            xlabel="Share of population, riskiest first",
            ylabel="Cumulative share",
        )
        ax.legend(loc="lower right", frameon=False)
        return _svg(fig)


def score_distribution_figure(
    scores: Mapping[str, np.ndarray], *, bins: int = 30, xlabel: str = "Score"
) -> str:
    """Histograms (as shares) of the score per sample, on common bins."""
    with _figure(5.0, 3.4) as (fig, ax):
        finite = np.concatenate([np.asarray(s, dtype=float) for s in scores.values()])
        edges = np.histogram_bin_edges(finite[np.isfinite(finite)], bins=bins)
        for name, s in scores.items():
            values = np.asarray(s, dtype=float)
            weights = np.full(values.size, 1.0 / max(values.size, 1))
            ax.hist(
                values,
                bins=edges,
                weights=weights,
                histtype="step",
                lw=1.8,
                color=_COLOURS.get(name.split()[-1], _COLOURS.get(name.split()[0])),
                label=f"{name} (n={values.size:,})",
            )
        ax.set(xlabel=xlabel, ylabel="Share of rows")
        ax.legend(frameon=False, loc="best")
        return _svg(fig)


def lift_figure(gains: pd.DataFrame) -> str:
    """Capture rate (cumulative share of bads) and lift by score group, riskiest first."""
    with _figure(6.2, 3.6) as (fig, ax):
        x = gains["cum_n_share"].to_numpy()
        ax.plot(
            np.append(0, x),
            np.append(0, gains["cum_bad_share"]),
            marker="o",
            ms=3,
            color=_COLOURS["bad"],
            label="bads captured (cumulative)",
        )
        ax.plot([0, 1], [0, 1], color=_COLOURS["grey"], ls="--", lw=1, label="random")
        ax.set(
            xlim=(0, 1),
            ylim=(0, 1.01),
            xlabel="Share of population, riskiest first",
            ylabel="Share of bads captured",
        )
        twin = ax.twinx()
        twin.bar(
            x - gains["n"].to_numpy() / gains["n"].sum() / 2,
            gains["lift"],
            width=gains["n"].to_numpy() / gains["n"].sum() * 0.8,
            alpha=0.25,
            color=_COLOURS["train"],
            label="lift per group",
        )
        twin.set_ylabel("Lift")
        twin.grid(False)
        lines = ax.get_legend_handles_labels()
        bars = twin.get_legend_handles_labels()
        ax.legend(
            lines[0] + bars[0],
            lines[1] + bars[1],
            frameon=False,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=3,
            fontsize=9,
        )
        return _svg(fig)


def grade_figure(table: pd.DataFrame, labels: Mapping[str, str]) -> str:
    """Observed bad rate (with its interval) against the calibrated PD, grade by grade;
    the share of households per grade as bars on the right axis."""
    with _figure(6.2, 3.8) as (fig, ax):
        x = np.arange(len(table))
        names = [f"{g}\n{labels.get(g, '')}" for g in table["grade"]]
        twin = ax.twinx()
        twin.bar(
            x,
            table["share"],
            color=_COLOURS["train"],
            alpha=0.18,
            width=0.7,
            label="share of households (right)",
        )
        twin.set_ylabel("Share of households")
        twin.set_ylim(0, max(0.05, float(table["share"].max())) * 1.15)
        twin.grid(False)
        ax.set_zorder(twin.get_zorder() + 1)
        ax.patch.set_visible(False)
        obs = table["bad_rate"].to_numpy(dtype=float)
        lo = np.nan_to_num(obs - table["ci_low"].to_numpy(dtype=float))
        hi = np.nan_to_num(table["ci_high"].to_numpy(dtype=float) - obs)
        ax.errorbar(
            x,
            obs,
            yerr=[lo, hi],
            fmt="o",
            color=_COLOURS["bad"],
            capsize=4,
            label="observed bad rate (95% interval)",
        )
        pred = table["grade_pd"] if table["grade_pd"].notna().any() else table["mean_pd"]
        ax.plot(x, pred, marker="s", ls="--", color="black", lw=1.2, label="calibrated grade PD")
        ax.set_xticks(x, names)
        top = np.nanmax(
            np.append(table["ci_high"].to_numpy(dtype=float), pred.to_numpy(dtype=float))
        )
        ax.set(ylabel="Bad rate / PD", ylim=(0, max(1e-3, float(top)) * 1.12))
        handles = [h for a in (ax, twin) for h in a.get_legend_handles_labels()[0]]
        names_l = [n for a in (ax, twin) for n in a.get_legend_handles_labels()[1]]
        ax.legend(
            handles,
            names_l,
            frameon=False,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=2,
            fontsize=9,
        )
        return _svg(fig)


def woe_figure(
    table: pd.DataFrame, title: str, test_bad_rate: Sequence[float] | None = None
) -> str:
    """WOE bars per bin with the bad rate per bin (training, and test when given)."""
    n = len(table)
    with _figure(max(5.0, min(0.75 * n + 2.5, 10.0)), 3.4) as (fig, ax):
        x = np.arange(n)
        woe = table["woe"].to_numpy(dtype=float)
        colours = [_COLOURS["bad"] if w > 0 else _COLOURS["good"] for w in woe]
        ax.bar(x, woe, color=colours, alpha=0.55, width=0.65)
        for xi, w in zip(x, woe, strict=True):
            ax.annotate(
                f"{w:+.2f}",
                (xi, w),
                xytext=(0, 3 if w >= 0 else -11),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel("WOE (ln bad share / good share)")
        labels = [_short(str(b)) for b in table["bin"]]
        if "points" in table.columns:
            labels = [f"{b}\n{p:.4g} pts" for b, p in zip(labels, table["points"], strict=True)]
        ax.set_xticks(x, labels, rotation=30 if n > 4 else 0, ha="right" if n > 4 else "center")
        ax.set_title(title, loc="left", fontsize=10, pad=20)
        twin = ax.twinx()
        twin.plot(
            x, table["bad_rate"], color="black", marker="o", ms=4, lw=1.4, label="bad rate (train)"
        )
        if test_bad_rate is not None:
            twin.plot(
                x,
                test_bad_rate,
                color=_COLOURS["test"],
                marker="D",
                ms=4,
                lw=1.2,
                ls="--",
                label="bad rate (test)",
            )
        twin.set_ylabel("Bad rate")
        twin.set_ylim(
            0, max(1e-3, float(np.nanmax(np.append(table["bad_rate"], test_bad_rate or [])))) * 1.25
        )
        twin.grid(False)
        ax.margins(y=0.22)
        twin.legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=8)
        return _svg(fig)


def _short(label: str, limit: int = 22) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
