"""``nongxin model``: train, register, list, show, compare, promote, roll back rating models.

The registry is MLflow: by default an embedded SQLite store under ``NONGXIN_HOME/mlflow``
(no server); with ``MLFLOW_TRACKING_URI`` set, that server. Aliases: ``champion`` and
``challenger`` federation-wide, ``champion-301`` / ``challenger-301`` for a bank's own model.
"""

from __future__ import annotations

import getpass
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pandas as pd

from scoring_service.exceptions import UsageError

if TYPE_CHECKING:
    from model_registry.registry import ModelRegistry

__all__ = ["model"]

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_NAME_HELP = "Registered model name (default: NONGXIN_MODEL_NAME or farmer-rating)."


def _say(message: str, start: float) -> None:
    click.echo(f"[{time.perf_counter() - start:6.1f}s] {message}", err=True)


def _registry() -> ModelRegistry:
    from model_registry.registry import ModelRegistry

    return ModelRegistry()


def _name(name: str | None) -> str:
    from model_registry.settings import get_registry_settings

    return name or get_registry_settings().model_name


@click.group()
def model() -> None:
    """Rating models in the MLflow registry: versions with lineage, gated champion/challenger.

    \b
    Typical flow:
      nongxin model train --data features.parquet --outcomes outcomes.parquet --out m1
      nongxin model register m1
      nongxin model promote farmer-rating 1 --approver NAME --recent recent.parquet
      nongxin model rollback farmer-rating --approver NAME

    Aliases: champion and challenger are federation-wide; champion-301 is bank 301's own
    model (serving for 301 falls back to champion). Store: NONGXIN_HOME/mlflow (SQLite, no
    server) unless MLFLOW_TRACKING_URI is set.
    """


def _training_frame(
    data: Path | None, outcomes: Path | None, province: Path | None, target: str, on: str
) -> pd.DataFrame:
    from scoring_service.cli.rating import read_table

    if province is not None:
        if data is not None:
            raise UsageError("Give --data or --province, not both.")
        data, outcomes = province / "households.parquet", province / "outcomes.parquet"
        for path in (data, outcomes):
            if not path.is_file():
                raise UsageError(f"{path} not found: is {province} a sandbox province?")
    if data is None:
        raise UsageError("Give the training table with --data FILE (or --province DIR).")
    frame = read_table(data)
    if outcomes is not None:
        out = read_table(outcomes)
        for table, label in ((frame, "data"), (out, "outcomes")):
            if on not in table.columns:
                raise UsageError(f"The {label} table has no join column {on!r}.", column=on)
        frame = frame.merge(out[[on, target]], on=on, how="inner", validate="one_to_one")
    if target not in frame.columns:
        raise UsageError(f"The target column {target!r} is not in the data.", column=target)
    return frame


@model.command("train")
@click.option("--data", "data_path", type=_FILE, help="Feature table (.csv or .parquet).")
@click.option("--outcomes", "outcomes_path", type=_FILE, help="Outcome table joined on --on.")
@click.option(
    "--province",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Sandbox province folder: households joined with outcomes (target default_12m).",
)
@click.option("--target", default="default_12m", show_default=True, help="0/1 outcome column.")
@click.option("--on", default="household_id", show_default=True, help="Join column.")
@click.option("--bank", help="Train under this bank's policy (mode, cut-offs, expert card).")
@click.option(
    "--expert-card",
    help="Without --bank: blend this card (config/expert_cards/NAME.yaml) with the model.",
)
@click.option("--name", help=_NAME_HELP)
@click.option("--feature-catalog-version", default="none", show_default=True)
@click.option("--exclude", multiple=True, help="Column never to use as a feature (repeatable).")
@click.option("--test-share", default=0.3, show_default=True, type=click.FloatRange(0.05, 0.9))
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the hold-out.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="New folder: model/ (MLflow format), validation.parquet, training.json.",
)
def train(
    data_path: Path | None,
    outcomes_path: Path | None,
    province: Path | None,
    target: str,
    on: str,
    bank: str | None,
    expert_card: str | None,
    name: str | None,
    feature_catalog_version: str,
    exclude: tuple[str, ...],
    test_share: float,
    seed: int,
    out_dir: Path,
) -> None:
    """Train a rating model with the scorecard engine's defaults and save it for `register`.

    The statistical card is fitted on a random development split; under --bank the bank's
    expert card gets its PD calibration on the same rows; grade calibration and the
    development profile follow. The hold-out is saved as the promotion evidence.
    """
    from model_registry.config import rating_config
    from model_registry.settings import get_registry_settings
    from model_registry.train import train_rating_model

    start = time.perf_counter()
    if out_dir.exists():
        raise UsageError(f"{out_dir} exists; train into a new folder.", path=str(out_dir))
    frame = _training_frame(data_path, outcomes_path, province, target, on)
    y = frame.pop(target)
    _say(f"read {len(frame):,} rows x {frame.shape[1]} columns, bad rate {y.mean():.2%}", start)
    if bank is not None and expert_card is not None:
        raise UsageError(
            "--expert-card is for federation-wide models; a bank's policy names its card."
        )
    config = rating_config(
        get_registry_settings().config_dir, bank, columns=frame.columns, expert_card=expert_card
    )
    for note in config.notes:
        _say(note, start)
    result = train_rating_model(
        frame,
        y,
        name=_name(name),
        scale=config.scale,
        expert=config.expert,
        mode=config.mode,
        expert_weight=config.expert_weight,
        knockouts=config.knockouts,
        reason_catalog=config.reason_catalog,
        feature_catalog_version=feature_catalog_version,
        exclude=exclude,
        test_share=test_share,
        seed=seed,
    )
    _save_training(out_dir, result, frame, bank)
    m = result.metrics
    _say(
        f"mode {result.model.mode}; test AUC {m['test_auc']:.3f}, KS {m['test_ks']:.3f} "
        f"({int(m['test_n']):,} rows); saved to {out_dir}",
        start,
    )


def _save_training(out_dir: Path, result: Any, frame: pd.DataFrame, bank: str | None) -> None:
    """``model/`` (MLflow format), ``validation.parquet`` and ``training.json`` (lineage)."""
    from model_registry.flavor import input_example, save_model

    trained = {
        "training_data_sha256": result.training_data_sha256,
        "feature_catalog_version": result.model.feature_catalog_version or "none",
        "author": getpass.getuser(),
        "metrics": result.metrics,
        "bank": bank,
        "target": result.target,
        "dropped": result.dropped,
    }
    save_model(
        result.model,
        out_dir / "model",
        input_example=input_example(result.model, frame),
        metadata={"training": trained},
    )
    result.test.to_parquet(out_dir / "validation.parquet", index=False)
    (out_dir / "training.json").write_text(json.dumps(trained, indent=2), encoding="utf-8")


@model.command("register")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--name", help=_NAME_HELP)
@click.option("--author", help="Who trained the model (default: from training.json).")
@click.option("--description", default="", help="Free text shown by `show`.")
def register(folder: Path, name: str | None, author: str | None, description: str) -> None:
    """Register a folder written by `train` as a new version, with its lineage tags."""
    from model_registry.lineage import Lineage

    path = folder / "training.json"
    if not path.is_file():
        raise UsageError(f"{path} not found: register a folder written by `nongxin model train`.")
    trained = json.loads(path.read_text(encoding="utf-8"))
    lineage = Lineage(
        training_data_sha256=trained["training_data_sha256"],
        feature_catalog_version=trained["feature_catalog_version"],
        author=author or trained["author"],
        metrics=trained["metrics"],
    )
    evidence = folder / "validation.parquet"
    info = _registry().register_saved(
        folder / "model",
        name=_name(name),
        lineage=lineage,
        evidence=pd.read_parquet(evidence) if evidence.is_file() else None,
        description=description,
    )
    click.echo(f"registered {info.name} version {info.version}")


@model.command("list")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
def list_versions(name: str | None, as_json: bool) -> None:
    """Versions of a model, newest first, with aliases and test metrics."""
    versions = _registry().versions(_name(name))
    if as_json:
        click.echo(json.dumps([v.to_dict() for v in versions], indent=2, ensure_ascii=False))
        return
    rows = [
        {
            "version": v.version,
            "aliases": ", ".join(v.aliases) or "-",
            "test_auc": round(v.metrics.get("test_auc", float("nan")), 4),
            "test_ks": round(v.metrics.get("test_ks", float("nan")), 4),
            "author": v.tags.get("nongxin.author", "-"),
            "created": pd.Timestamp(v.created_ms, unit="ms").strftime("%Y-%m-%d %H:%M"),
        }
        for v in versions
    ]
    click.echo(pd.DataFrame(rows).to_string(index=False) if rows else "no versions")


@model.command("show")
@click.argument("name")
@click.argument("version", required=False, type=int)
@click.option("--alias", help="Show the version an alias points at (champion, champion-301).")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
def show(name: str, version: int | None, alias: str | None, as_json: bool) -> None:
    """One version: aliases, lineage tags, approvals and evidence."""
    registry = _registry()
    if (version is None) == (alias is None):
        raise UsageError("Give a VERSION or --alias, one of them.")
    info = registry.resolve(name, alias) if alias else registry.version(name, int(version or 0))
    if as_json:
        click.echo(json.dumps(info.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"{info.name} version {info.version}  aliases: {', '.join(info.aliases) or '-'}")
    if info.description:
        click.echo(f"  {info.description}")
    for key, value in sorted(info.tags.items()):
        text = value if len(value) <= 120 else value[:117] + "..."
        click.echo(f"  {key} = {text}")


@model.command("compare")
@click.argument("name")
@click.argument("a", type=int)
@click.argument("b", type=int)
def compare(name: str, a: int, b: int) -> None:
    """Two versions side by side: lineage, metrics, mode, cards and cut-offs."""
    click.echo(_registry().compare(name, a, b).to_string())


@model.command("promote")
@click.argument("name")
@click.argument("version", type=int)
@click.option(
    "--to", "role", type=click.Choice(["champion", "challenger"]), default="champion",
    show_default=True, help="Alias role to move.",
)  # fmt: skip
@click.option("--bank", help="The bank's own alias (champion-301) instead of the federation's.")
@click.option("--approver", required=True, help="Name of the approver (recorded).")
@click.option("--recent", "recent_path", type=_FILE, help="Recent population (PSI checks).")
@click.option(
    "--validation", "validation_path", type=_FILE,
    help="Test set with outcomes (default: the hold-out logged with the version).",
)  # fmt: skip
@click.option("--target", default="target", show_default=True, help="Outcome column of it.")
def promote(
    name: str,
    version: int,
    role: str,
    bank: str | None,
    approver: str,
    recent_path: Path | None,
    validation_path: Path | None,
    target: str,
) -> None:
    """Move champion (through the validation gate) or challenger to VERSION.

    The gate compares test AUC and KS with the current champion's (tolerances from the red
    lines), checks score and grade PSI against the recent population and grade migration.
    A refusal lists every failing check and exits with status 2.
    """
    from model_registry.promotion import promote as run_promote
    from scoring_service.cli.rating import read_table

    if role == "champion" and recent_path is None:
        raise UsageError("Promotion to champion needs --recent FILE (the recent population).")
    event, report = run_promote(
        _registry(),
        name,
        version,
        approver=approver,
        recent=None if recent_path is None else read_table(recent_path),
        to=role,
        bank=bank,
        validation=None if validation_path is None else read_table(validation_path),
        target=target,
    )
    for check in report.checks if report else ():
        click.echo(f"  pass  {check}")
    was = "-" if event.previous is None else f"version {event.previous}"
    click.echo(f"{name}@{event.alias} -> version {event.version} (was {was}), by {approver}")


@model.command("rollback")
@click.argument("name")
@click.option("--bank", help="Roll back the bank's own champion (champion-301).")
@click.option("--approver", default=None, help="Who rolls back (default: the login name).")
def rollback(name: str, bank: str | None, approver: str | None) -> None:
    """Point champion back at the version it held before the last promotion."""
    from model_registry.promotion import rollback as run_rollback

    event = run_rollback(_registry(), name, approver=approver or getpass.getuser(), bank=bank)
    click.echo(f"{name}@{event.alias} -> version {event.version} (was version {event.previous})")


@model.command("history")
@click.argument("name")
@click.option("--alias", help="Only this alias.")
def history(name: str, alias: str | None) -> None:
    """Promotions and rollbacks, oldest first (the append-only record)."""
    from model_registry.promotion import history as read_history

    events: list[Any] = read_history(_registry(), name, alias)
    for e in events:
        was = "-" if e.previous is None else e.previous
        click.echo(
            f"{e.seq:4d} {e.at} {e.action:8s} {e.alias:16s} v{e.version} (was {was}) {e.approver}"
        )
    if not events:
        click.echo("no promotions recorded")
