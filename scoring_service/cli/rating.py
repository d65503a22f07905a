"""``nongxin rating``: fit a scorecard from a table, score tables with it.

``fit`` reads CSV or parquet, bins every usable column, selects variables, fits the logistic
regression and writes the versioned JSON spec. ``score`` adds ``score`` and ``pd`` columns.
More sub-commands (reports) come from :mod:`scoring_service.cli.rating_report` when present.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.util
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd
import yaml

from scoring_service.exceptions import UsageError

__all__ = ["rating"]

_CONFIG_KEYS = ("binning", "scorecard", "exclude", "name", "feature_catalog_version")


@click.group()
def rating() -> None:
    """Fit scorecards (WOE binning + logistic regression) and score tables with them."""


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or parquet file as a DataFrame."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".csv", ".txt"):
        return pd.read_csv(path, low_memory=False)
    raise UsageError(f"{path}: expected a .csv or .parquet file.", path=str(path))


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write CSV or parquet by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        raise UsageError(f"{path}: the output must end in .csv or .parquet.", path=str(path))


def _target(frame: pd.DataFrame, column: str, bad_label: str | None) -> pd.Series:
    if column not in frame.columns:
        raise UsageError(f"The target column {column!r} is not in the data.", column=column)
    values = frame[column]
    if values.isna().any():
        raise UsageError(f"The target column {column!r} has missing values.", column=column)
    if bad_label is not None:
        bad = values.astype(str) == bad_label
        if not bad.any():
            raise UsageError(f"No row of {column!r} equals the bad label {bad_label!r}.")
        return bad.astype(int)
    levels = sorted(values.astype(str).unique())
    if set(levels) <= {"0", "1", "True", "False", "0.0", "1.0"}:
        return values.astype(float).astype(int)
    raise UsageError(
        f"The target {column!r} has values {levels[:5]}; give the bad one with --bad-label.",
        column=column,
    )


def _usable_columns(frame: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """Columns to bin, and the excluded ones with the reason (dates, identifier-like text)."""
    keep: list[str] = []
    skipped: dict[str, str] = {}
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            skipped[name] = "date column"
        elif not pd.api.types.is_numeric_dtype(col.dtype) and len(col) >= 50:
            unique = col.nunique(dropna=True) / max(col.notna().sum(), 1)
            if unique > 0.5:
                skipped[name] = f"identifier-like text ({unique:.0%} distinct values)"
            else:
                keep.append(name)
        else:
            keep.append(name)
    return keep, skipped


def _load_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, Mapping):
        raise UsageError(f"{path}: the config must be a YAML mapping.", path=str(path))
    unknown = [k for k in data if k not in _CONFIG_KEYS]
    if unknown:
        raise UsageError(f"{path}: unknown config keys {unknown}; known: {list(_CONFIG_KEYS)}.")
    return dict(data)


def _build(config: Mapping[str, Any]) -> Any:
    from rating_models import Scorecard, WOEBinning

    try:
        binning = WOEBinning(**config.get("binning", {}))
        return Scorecard(binning, **config.get("scorecard", {}))
    except TypeError as exc:
        raise UsageError(f"Config: {exc}.") from exc


def _say(message: str, start: float, *, quiet: bool = False) -> None:
    if not quiet:
        click.echo(f"[{time.perf_counter() - start:6.1f}s] {message}", err=True)


def _fit_with_bar(card: Any, frame: pd.DataFrame, y: Any, show: bool) -> None:
    """Fit ``card`` behind a tqdm bar on stderr: one step per variable, selection and fit.

    The bar shows only when ``show`` and stderr is a terminal (not in logs or pipes).
    """
    from tqdm import tqdm

    enabled = show and sys.stderr.isatty()
    with tqdm(
        total=frame.shape[1] + 2,
        desc="binning",
        unit="step",
        disable=not enabled,
        file=sys.stderr,
        leave=True,  # the finished bar stays: what ran, in how long
    ) as bar:
        shown = ["binning"]

        def progress(stage: str, steps: int) -> None:
            if shown[0] != stage:
                shown[0] = stage
                bar.set_description(stage, refresh=False)
            bar.update(steps)

        card.fit(frame, y, progress=progress)


@rating.command("fit")
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Training table (.csv or .parquet).",
)
@click.option("--target", required=True, help="Target column: 0/1, or labels with --bad-label.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML with 'binning:' and 'scorecard:' parameters, 'exclude:', 'name:'.",
)
@click.option("--bad-label", help="The target value that means bad (default: 1).")
@click.option("--exclude", multiple=True, help="Column to leave out (repeatable).")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the scorecard spec (JSON).",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No progress bar and no stage lines (the bar shows only on a terminal anyway).",
)
def fit(
    data_path: Path,
    target: str,
    config_path: Path | None,
    bad_label: str | None,
    exclude: tuple[str, ...],
    out_path: Path,
    quiet: bool,
) -> None:
    """Fit a scorecard and write its spec; good defaults need no options."""
    start = time.perf_counter()
    config = _load_config(config_path)
    frame = read_table(data_path)
    y = _target(frame, target, bad_label)
    say = functools.partial(_say, start=start, quiet=quiet)
    say(f"read {len(frame):,} rows x {frame.shape[1]} columns, bad rate {y.mean():.2%}")
    dropped = {target, *exclude, *config.get("exclude", [])}
    columns, skipped = _usable_columns(frame.drop(columns=[c for c in dropped if c in frame]))
    for name, reason in skipped.items():
        say(f"excluded {name}: {reason}")
    card = _build(config)
    say(f"binning {len(columns)} variables, selecting, fitting the logistic regression")
    _fit_with_bar(card, frame[columns], y.to_numpy(), show=not quiet)
    for name, reason in card.dropped_features_.items():
        say(f"dropped {name}: {reason}")
    spec = dataclasses.replace(
        card.spec_,
        name=str(config.get("name", out_path.stem)),
        feature_catalog_version=config.get("feature_catalog_version"),
    )
    out_path.write_text(spec.to_json(), encoding="utf-8")
    say(f"card with {len(spec.features)} variables written to {out_path}")


@rating.command("score")
@click.option(
    "--spec",
    "spec_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Scorecard spec (JSON) from 'rating fit'.",
)
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Table to score (.csv or .parquet).",
)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output table (.csv or .parquet): the input plus score and pd.",
)
@click.option(
    "--rate/--no-rate",
    default=True,
    show_default=True,
    help="Add grade, mode, escalation and reason columns (--no-rate: score and pd only).",
)
@click.option("--bank", help="Rate under this bank's policy (implies --rate).")
@click.option("--unvalidated", is_flag=True, help="The model is not validated: escalate every row.")
def score(
    spec_path: Path,
    data_path: Path,
    out_path: Path,
    rate: bool,
    bank: str | None,
    unvalidated: bool,
) -> None:
    """Score a table: adds a score column and, when the card has a scaling, a pd column.

    By default it also adds grade, mode, escalate and reason_1..4 columns under the
    federation's default cut-offs; --bank CODE rates under that bank's mode, cut-offs,
    expert card and knockouts; --no-rate keeps only score and pd.
    """
    from rating_models import ScorecardSpec

    start = time.perf_counter()
    spec = ScorecardSpec.from_json(spec_path.read_text(encoding="utf-8"))
    frame = read_table(data_path)
    scores = spec.score(frame)
    out = frame.assign(score=scores)
    if spec.scaling is not None:
        out["pd"] = spec.pd_from_score(scores)
    if rate or bank:
        from scoring_service.cli.rating_report import add_rating_columns

        rated, notes = add_rating_columns(frame, spec, bank=bank, validated=not unvalidated)
        out = pd.concat([out, rated], axis=1)
        for note in notes:
            _say(note, start)
    write_table(out, out_path)
    _say(f"scored {len(out):,} rows (mean score {np.mean(scores):.1f}) into {out_path}", start)


_EXTRA = "scoring_service.cli.rating_report"
if importlib.util.find_spec(_EXTRA) is not None:
    for _command in getattr(importlib.import_module(_EXTRA), "COMMANDS", ()):
        rating.add_command(_command)
