"""``nongxin policy``: validate bank policies against the federation's red lines; what-if."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from credit_limit._base import Violation
from credit_limit.exceptions import LimitInputError

__all__ = ["policy"]


def _config_dir(path: Path | None) -> Path:
    if path is not None:
        return path
    from scoring_service.settings import get_settings

    return get_settings().config_dir


@click.group()
def policy() -> None:
    """Federation red lines (红线) and per-bank limit policies."""


@policy.command()
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--federation",
    "federation_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Red lines for a single bank file (default: <config>/federation.yaml).",
)
def validate(path: Path | None, federation_path: Path | None) -> None:
    """Check every bank policy against the schema and the red lines.

    PATH is a configuration folder (federation.yaml + banks/*.yaml; default: the configured
    folder, ./config) or one bank policy file. Every violation is listed, each naming the
    file, the field and the red line; the exit status is 1 if there is any.
    """
    from credit_limit.config import validate_config

    root = _config_dir(path)
    if root.is_file():
        checked, found = _validate_one(root, federation_path)
    else:
        checked, found = validate_config(root)
    for violation in found:
        click.echo(str(violation))
    if found:
        click.echo(f"{len(found)} violation(s) in {len(checked)} file(s) under {root}", err=True)
        raise SystemExit(1)
    click.echo(_ok_summary(root) if root.is_dir() else f"OK: {root}")


def _validate_one(
    path: Path, federation_path: Path | None
) -> tuple[list[str], list[Violation | str]]:
    from credit_limit.checks import check_bank_policy
    from credit_limit.config import load_bank_policy, load_federation
    from credit_limit.exceptions import PolicyValidationError

    fed_path = federation_path or _config_dir(None) / "federation.yaml"
    try:
        lines = load_federation(fed_path, source=fed_path.name)
        bank = load_bank_policy(path, source=path.name)
    except PolicyValidationError as exc:
        return [path.name], list(exc.violations)
    return [path.name], list(check_bank_policy(lines, bank, path.name))


def _ok_summary(root: Path) -> str:
    from credit_limit.config import load_policy

    codes = sorted(p.stem for p in (root / "banks").glob("*.yaml"))
    rows = [load_policy(code, root) for code in codes]
    head = "OK: federation.yaml"
    if rows:
        fed = rows[0].federation
        head += f" {fed.version} ({fed.content_hash[:12]})"
    parts = [
        f"{p.bank.code} {p.bank.version} {p.bank.rating.mode} ({p.bank_hash[:12]})" for p in rows
    ]
    return f"{head}; {len(rows)} bank policies inside the red lines: " + ", ".join(parts)


@policy.command()
@click.argument("bank_code")
@click.option(
    "--config",
    "config_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Configuration folder (default: ./config).",
)
def show(bank_code: str, config_dir: Path | None) -> None:
    """Print a bank's effective policy with its version and content hashes (JSON)."""
    from credit_limit.config import load_policy

    effective = load_policy(bank_code, _config_dir(config_dir))
    click.echo(
        json.dumps(
            {
                "bank_hash": effective.bank_hash,
                "federation_hash": effective.federation_hash,
                "federation_version": effective.federation.version,
                "knockouts": list(effective.knockouts),
                "policy": effective.bank.to_dict(),
            },
            ensure_ascii=False,
            indent=2,
        )
    )


def read_portfolio(path: Path) -> pd.DataFrame:
    """A portfolio from CSV or parquet (identifiers kept as text)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix == ".csv":
        text = dict.fromkeys(("household_id", "bank_code", "village_id", "id_number", "phone"), str)
        return pd.read_csv(path, dtype=text)
    raise LimitInputError(f"Portfolio {path.name} must be .csv or .parquet", path=str(path))


@policy.command()
@click.option("--bank", "bank_code", required=True, help="Bank code, e.g. 301.")
@click.option(
    "--policy",
    "policy_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Proposed policy YAML.",
)
@click.option(
    "--portfolio",
    "portfolio_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV or parquet: survey columns + grade + pd.",
)
@click.option(
    "--config",
    "config_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Configuration folder (default: ./config).",
)
@click.option(
    "--regrade",
    is_flag=True,
    help="Re-derive grades from pd by each policy's "
    "cut-offs instead of using the portfolio's grade.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
def whatif(
    bank_code: str,
    policy_path: Path,
    portfolio_path: Path,
    config_dir: Path | None,
    regrade: bool,
    as_json: bool,
) -> None:
    """Apply a proposed policy to a portfolio, beside the current one; changes nothing.

    Prints total limits, limits by grade, the share of households with limit 0 and the
    expected loss (PD x LGD x limit x utilisation) under both policies.
    """
    from credit_limit.config import EffectivePolicy, load_bank_policy, load_policy
    from credit_limit.whatif import render_whatif
    from credit_limit.whatif import whatif as run_whatif

    current = load_policy(bank_code, _config_dir(config_dir))
    bank = load_bank_policy(policy_path, source=policy_path.name)
    if bank.code != bank_code:
        raise LimitInputError(
            f"{policy_path.name} is a policy of bank {bank.code}, not {bank_code}",
            bank_code=bank.code,
        )
    proposed = EffectivePolicy.resolve(current.federation, bank, source=policy_path.name)
    portfolio = read_portfolio(portfolio_path)
    if "bank_code" in portfolio.columns:
        portfolio = portfolio[portfolio["bank_code"].astype(str) == bank_code]
    table = run_whatif(portfolio, current, proposed, regrade=regrade)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "bank": bank_code,
                    "current_hash": current.bank_hash,
                    "proposed_hash": proposed.bank_hash,
                    "metrics": table.to_dict(orient="index"),
                },
                indent=2,
            )
        )
    else:
        click.echo(render_whatif(table, current, proposed))
