"""``nongxin bureau parse|features|catalog``: read PBOC reports and the feature catalog.

* ``parse FILE`` prints the typed report as JSON;
* ``features FILE|DIR`` prints one JSON object of ``pboc-features/1`` per report (``--csv``
  for a table), with a progress bar over a directory;
* ``catalog`` prints the feature catalog (``--format table|markdown|json``).

Bad input ends with ``error[CODE]: message`` and exit status 2 (see
:func:`scoring_service.cli.main`); the message names the file.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

__all__ = ["COMMANDS", "catalog", "features", "parse"]


def _parse_named(path: Path) -> Any:
    """Parse one file; a coded error is re-raised with the file name in front."""
    from bureau_adapters.exceptions import BureauError
    from bureau_adapters.pboc import parse_file

    try:
        return parse_file(path)
    except BureauError as exc:
        raise type(exc)(f"{path.name}: {exc.message}", code=exc.code, **exc.fields) from exc


@click.command("parse")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mask/--no-mask", default=False, help="Mask names, ID numbers and phones.")
@click.option("--compact", is_flag=True, help="One line of JSON instead of indented.")
def parse(file: Path, mask: bool, compact: bool) -> None:
    """Parse a PBOC report FILE (envelope or bare <Document>) and print it as JSON."""
    from bureau_adapters.pboc import report_to_dict

    data = report_to_dict(_parse_named(file))
    text = json.dumps(data, ensure_ascii=False, indent=None if compact else 2)
    if mask:
        from bureau_adapters.pii import mask_text

        text = _mask_names(mask_text(text), data)
    click.echo(text)


def _mask_names(text: str, data: dict[str, Any]) -> str:
    from bureau_adapters.pii import mask_name

    names = [
        (data.get("header") or {}).get("subject_name"),
        (data.get("marriage") or {}).get("spouse_name"),
    ]
    for name in names:
        if name:
            masked = json.dumps(mask_name(name), ensure_ascii=False)
            text = text.replace(json.dumps(name, ensure_ascii=False), masked)
    return text


def _report_files(target: Path) -> list[Path]:
    """One file, the *.xml of a folder, or the reports/pboc folder of a sandbox province."""
    if not target.is_dir():
        return [target]
    province = target / "reports" / "pboc"
    folder = province if province.is_dir() else target
    return sorted(p for p in folder.glob("*.xml") if p.is_file())


def _read_named(path: Path) -> bytes:
    """The bytes of one report file; its size is checked before it is read."""
    from bureau_adapters.exceptions import UnsafeXMLError
    from bureau_adapters.xml import DEFAULT_MAX_BYTES

    size = path.stat().st_size
    if size > DEFAULT_MAX_BYTES:
        raise UnsafeXMLError(
            f"{path.name}: {size:,} bytes exceeds the limit of {DEFAULT_MAX_BYTES:,} bytes.",
            code="XML_TOO_LARGE",
            size=size,
            limit=DEFAULT_MAX_BYTES,
        )
    return path.read_bytes()


def _rows(files: list[Path], progress: bool) -> Iterator[tuple[str, bytes]]:
    from tqdm import tqdm

    for path in tqdm(files, desc="reports", unit="report", disable=not progress, file=sys.stderr):
        yield path.stem, _read_named(path)


@click.command("features")
@click.argument("target", type=click.Path(exists=True, path_type=Path), metavar="FILE|DIR")
@click.option("--csv", "as_csv", is_flag=True, help="Print a CSV table instead of JSON lines.")
@click.option("--chunk", default=2000, show_default=True, help="Reports per vectorised batch.")
def features(target: Path, as_csv: bool, chunk: int) -> None:
    """Compute pboc-features/1 for one report FILE or every *.xml in DIR.

    DIR may also be a sandbox province (its reports/pboc folder is read). Each row starts
    with `source` (the file name without .xml: the household id in a province) and
    `report_id`. Missing values are JSON null
    or an empty CSV cell; the catalog (`nongxin bureau catalog`) says what each means.
    The file bytes go straight to the fast feature path (no typed report is built); the
    values are those of the typed path.
    """
    from bureau_adapters.exceptions import BureauError

    files = _report_files(target)
    if not files:
        raise BureauError(f"{target}: no *.xml report files.", code="PBOC_NO_FILES")
    if chunk < 1:
        raise click.BadParameter("must be at least 1", param_hint="--chunk")
    batch: list[tuple[str, bytes]] = []
    first = True
    for row in _rows(files, progress=len(files) > 1):
        batch.append(row)
        if len(batch) >= chunk:
            _emit(batch, as_csv, header=first)
            batch, first = [], False
    if batch:
        _emit(batch, as_csv, header=first)


def _frame(batch: list[tuple[str, bytes]]) -> Any:
    """Features of a batch; the first unreadable file's coded error names the file."""
    from bureau_adapters.exceptions import BureauError
    from bureau_adapters.pboc import features_frame_from_bytes, features_from_bytes

    try:
        return features_frame_from_bytes(data for _, data in batch)
    except BureauError:
        for source, data in batch:  # find the file (only on failure)
            try:
                features_from_bytes(data)
            except BureauError as exc:
                raise type(exc)(f"{source}: {exc.message}", code=exc.code, **exc.fields) from exc
        raise


def _emit(batch: list[tuple[str, bytes]], as_csv: bool, *, header: bool) -> None:
    frame = _frame(batch).reset_index()
    frame.insert(0, "source", [source for source, _ in batch])
    if as_csv:
        click.echo(frame.to_csv(index=False, header=header, lineterminator="\n"), nl=False)
        return
    for record in frame.to_dict(orient="records"):
        clean = {
            k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()
        }
        click.echo(json.dumps(clean, ensure_ascii=False, default=_json_default))


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@click.command("catalog")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--bureau", type=click.Choice(["pboc", "qianhai"]), default=None, help="Only one bureau."
)
@click.option(
    "--write-doc",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the full Markdown document (docs/feature-catalog.md) to this path.",
)
def catalog(fmt: str, bureau: str | None, write_doc: Path | None) -> None:
    """Print the bureau feature catalog (names, units, windows, definitions)."""
    from bureau_adapters.catalog import catalog_document, load_catalog

    cat = load_catalog()
    if write_doc is not None:
        write_doc.write_text(catalog_document(cat), encoding="utf-8")
        click.echo(f"wrote {write_doc} ({len(cat)} features)")
    elif fmt == "json":
        click.echo(cat.to_json(bureau))
    elif fmt == "markdown":
        click.echo(cat.to_markdown(bureau))
    else:
        click.echo(_table(cat.specs(bureau)))


def _table(specs: list[Any]) -> str:
    width = max((len(s.name) for s in specs), default=10)
    lines = [f"{'feature':<{width}}  {'unit':<6}  {'window':<11}  definition"]
    lines.append("-" * len(lines[0]) + "-" * 40)
    for s in specs:
        lines.append(f"{s.name:<{width}}  {s.unit:<6}  {s.window:<11}  {s.definition}")
    versions = sorted({s.catalog_version for s in specs})
    lines.append(f"\n{len(specs)} features; catalog {', '.join(versions)}")
    return "\n".join(lines)


COMMANDS = [parse, features, catalog]
