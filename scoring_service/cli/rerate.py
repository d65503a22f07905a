"""``nongxin rerate``: re-rate a whole book with the current champion and policies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from scoring_service.exceptions import UsageError

__all__ = ["rerate"]


def _banks(bank: tuple[str, ...], all_banks: bool, config_dir: Path) -> list[str]:
    if bool(bank) == all_banks:
        raise UsageError("Give --bank CODE (repeatable) or --all, not both.", field="bank")
    if bank:
        return sorted(set(bank))
    found = sorted(p.stem for p in (config_dir / "banks").glob("*.yaml"))
    if not found:
        raise UsageError(f"No bank policies in {config_dir / 'banks'}.", field="bank")
    return found


def _book(input_table: Path | None, province: Path | None, run_dir: Path, rows: int) -> Path:
    if (input_table is None) == (province is None):
        raise UsageError("Give --input TABLE or --province DIR, not both.", field="input")
    if input_table is not None:
        return input_table
    from scoring_service.batch.book import build_book

    book = run_dir / "book.parquet"
    if not book.is_file():  # built once per run (atomically), so a resume reads the same book
        click.echo(f"building the book from {province} …", err=True)
        build_book(Path(str(province)), book, chunk_rows=min(rows, 50_000))
    return book


def _models(model: Path | None, banks: list[str], folder: Any) -> dict[str, Any]:
    from scoring_service.batch.champions import model_file, registry_champions

    if model is not None:
        return model_file(model, banks)
    pinned = folder.read_manifest().get("models") if folder.exists() else None
    return registry_champions(banks, pinned=pinned)


def _previous(out: Path, run_id: str, explicit: str | None) -> str | None:
    """The run whose decisions are "old": the one asked for, else the last complete one."""
    if explicit is not None:
        return explicit
    from scoring_service.batch.ledger import latest_complete_run

    return latest_complete_run(out, exclude=run_id)


@click.command("rerate")
@click.option("--bank", multiple=True, metavar="CODE", help="Bank to re-rate (repeatable).")
@click.option("--all", "all_banks", is_flag=True, help="Every bank with a policy file.")
@click.option(
    "--input",
    "input_table",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The book: households + bureau features (parquet).",
)
@click.option(
    "--province",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Build the book from a sandbox province folder (cached reports).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of runs: OUT/RUN_ID/{manifest.json,decisions/,report/}.",
)
@click.option("--run-id", help="Run id; restarting with the same id resumes the run.")
@click.option(
    "--engine",
    type=click.Choice(["pandas", "spark"]),
    default="pandas",
    show_default=True,
    help="pandas (chunked, resumable per chunk) or spark.",
)
@click.option(
    "--chunk-rows",
    type=int,
    default=100_000,
    show_default=True,
    help="Rows per chunk (memory is about one chunk).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes deciding chunks in parallel (pandas engine); the chunks of a helper "
    "process that dies are redone by the main one.",
)
@click.option(
    "--model",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A RatingModel JSON file instead of the registry champion.",
)
@click.option(
    "--changed-since-run",
    metavar="RUN_ID",
    help="Re-rate only households whose inputs changed since this run.",
)
@click.option("--only-changed", is_flag=True, help="Same, against the last complete run in OUT.")
@click.option(
    "--previous-run",
    metavar="RUN_ID",
    help="Compare with this complete run in OUT, e.g. last year's (default: the last "
    "complete run in OUT): grade migration, limit changes, score and grade-mix PSI.",
)
@click.option(
    "--previous",
    "previous_table",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Old decisions as a table (parquet: household_id, grade, limit[, override_grade]).",
)
@click.option(
    "--development",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Development sample for feature PSI (default: the champion's evidence).",
)
@click.option(
    "--report/--no-report",
    default=True,
    show_default=True,
    help="Write the explained-change report (HTML + CSV).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def rerate(**opts: Any) -> None:
    """Re-rate a book with the current champion and policies, in resumable chunks.

    \b
    Every chunk's decisions (score, grade, limit, reasons, lineage) are written atomically
    to OUT/RUN_ID/decisions/part-NNNNNN.parquet; killed and restarted with the same
    --run-id, the run skips the done chunks: every household ends up exactly once.
    \b
    Examples:
      nongxin rerate --all --province sandbox/p --out runs --run-id 2026-annual
      nongxin rerate --bank 301 --input book.parquet --out runs --only-changed
    """
    _run(**opts)


def _run(**o: Any) -> None:
    from scoring_service.batch.decider import load_policies
    from scoring_service.batch.job import RerateJob
    from scoring_service.batch.ledger import RunFolder
    from scoring_service.batch.runner import run_job
    from scoring_service.settings import get_settings

    config_dir = get_settings().config_dir
    banks = _banks(o["bank"], o["all_banks"], config_dir)
    run_id = o["run_id"] or dt.datetime.now(dt.UTC).strftime("rerate-%Y%m%dT%H%M%S")
    folder = RunFolder(o["out"], run_id)
    since = o["changed_since_run"]
    if o["only_changed"]:
        since = since or _previous(o["out"], run_id, None)
        if since is None:
            raise UsageError(
                f"--only-changed: no complete run in {o['out']}.", field="only_changed"
            )
    folder.root.mkdir(parents=True, exist_ok=True)
    book = _book(o["input_table"], o["province"], folder.root, o["chunk_rows"])
    job = RerateJob(book, tuple(banks) if o["bank"] else None, o["chunk_rows"], o["engine"], since)
    models = _models(o["model"], banks, folder)
    manifest = run_job(
        job,
        folder,
        models,
        load_policies(banks, config_dir),
        progress=not o["quiet"],
        workers=o["workers"],
    )
    click.echo(f"run {run_id}: {manifest['rows']} decisions in {folder.decisions}")
    if o["report"]:
        from scoring_service.batch.report import write_report

        old = _previous(o["out"], run_id, o["previous_run"] or since)
        paths = write_report(
            folder, old, models, development=o["development"], previous_table=o["previous_table"]
        )
        click.echo(f"report: {paths['html']}")
