"""``nongxin bureau qianhai PRODUCT``: query one Qianhai (前海征信) product about one subject.

The query goes through the shared compliance gate (a stored consent for this subject, bank
and reason is required; the call is audited) and prints the typed result. Configuration comes
from ``NONGXIN_QIANHAI_*`` (see :mod:`bureau_adapters.qianhai.settings`); ``--simulate DIR``
starts an in-process simulator answering from a sandbox province instead.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click

__all__ = ["COMMANDS", "qianhai"]

_PRODUCTS = ("8005", "8036", "8037", "8075")


@click.command("qianhai")
@click.argument("product", metavar="PRODUCT")
@click.option("--id-number", required=True, help="Subject's ID number (never printed in clear).")
@click.option("--name", required=True, help="Subject's full name as on the ID document.")
@click.option("--bank", "bank_code", required=True, help="Bank code, e.g. 301.")
@click.option(
    "--reason",
    required=True,
    type=click.Choice(["01", "02", "03"]),
    help="Query reason: 01 loan approval, 02 in-loan, 03 post-loan.",
)
@click.option("--mobile", default=None, help="Subject's mobile (required by 8075).")
@click.option("--ip", default=None, help="Applicant's IP address (8036, 8075).")
@click.option("--id-type", default="0", show_default=True, help="Qianhai idType (0 = ID card).")
@click.option("--business-ref", default="manual", show_default=True, help="Loan/application ref.")
@click.option("--operator", default="cli", show_default=True, help="Who asks (audit log).")
@click.option("--consent-id", default=None, help="Only this stored consent may authorise.")
@click.option(
    "--simulate",
    "province",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Answer from an in-process simulator over this sandbox province.",
)
@click.option("--scenario", default="hit", show_default=True, help="Simulator scenario.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--features", is_flag=True, help="Also print this product's qh_* features.")
def qianhai(
    product: str,
    id_number: str,
    name: str,
    bank_code: str,
    reason: str,
    mobile: str | None,
    ip: str | None,
    id_type: str,
    business_ref: str,
    operator: str,
    consent_id: str | None,
    province: Path | None,
    scenario: str,
    as_json: bool,
    features: bool,
) -> None:
    """Query Qianhai PRODUCT (8005 好信度, 8036 风险度提示, 8037 常贷客, 8075 好信欺诈度).

    Example: nongxin bureau qianhai 8005 --id-number 430521198001010012 --name 张三
    --bank 301 --reason 01 --simulate ./province
    """
    from pydantic import ValidationError

    from bureau_adapters.qianhai.errors import QianhaiRequestError
    from bureau_adapters.qianhai.models import Subject
    from bureau_adapters.qianhai.products import get_product

    code = get_product(product).code
    try:
        subject = Subject(
            id_number=id_number.strip(), name=name.strip(), id_type=id_type, mobile=mobile, ip=ip
        )
    except ValidationError as exc:
        field = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise QianhaiRequestError(
            f"The option --{field.replace('_', '-')} is not valid: {exc.errors()[0]['msg']}.",
            field=field,
        ) from None
    query: dict[str, Any] = {
        "bank_code": bank_code,
        "reason": reason,
        "business_ref": business_ref,
        "operator": operator,
        "consent_id": consent_id,
    }
    result = _run(code, subject, query, province, scenario)
    click.echo(
        json.dumps(result.to_dict(), ensure_ascii=False, indent=2) if as_json else _render(result)
    )
    if features:
        click.echo(_render_features(code, result))


def _run(
    code: str, subject: Any, query: dict[str, Any], province: Path | None, scenario: str
) -> Any:
    from bureau_adapters.qianhai.client import QianhaiClient

    if province is None:
        with QianhaiClient.from_env() as client:
            return client.query(code, subject, **query)
    from bureau_adapters.compliance import ComplianceGate, SubjectKeyer
    from bureau_adapters.compliance.db import create_engine
    from bureau_adapters.qianhai.simulator import QianhaiSimulator
    from bureau_adapters.settings import BureauSettings

    settings = BureauSettings.from_env()
    settings.require_subject_key()  # no production database with the development key
    engine = create_engine(settings.resolved_database_url())
    gate = ComplianceGate(
        engine,
        reuse_window=settings.reuse_window_for,
        keyer=SubjectKeyer.for_engine(engine, settings),
    )
    with QianhaiSimulator(province, scenario=scenario) as sim, sim.client(gate) as client:
        return client.query(code, subject, **query)


def _value(value: Any) -> str:
    return "missing" if value is None else str(value)


def _render(result: Any) -> str:
    from bureau_adapters.qianhai.products import PRODUCTS

    data = result.to_dict()
    product = PRODUCTS[data["product"]]
    lines = [
        f"Qianhai {product.message_code} {product.name_zh}  outcome={data['outcome']}  "
        f"transNo={data['trans_no']}"
    ]
    if data["outcome"] == "no_data":
        lines.append(
            "  E000996: Qianhai has no data on this subject (not an error, not 'no risk')."
        )
        return "\n".join(lines)
    skip = {"schema_version", "product", "trans_no", "outcome", "received_at"}
    for key, value in data.items():
        if key in skip:
            continue
        if isinstance(value, list):
            lines.append(f"  {key}: {len(value)}")
            lines += [
                "    " + "  ".join(f"{k}={_value(v)}" for k, v in row.items()) for row in value
            ]
        elif isinstance(value, dict):
            lines += [f"  {k:<18} {_value(v)}" for k, v in value.items()]
        else:
            lines.append(f"  {key:<18} {_value(value)}")
    return "\n".join(lines)


def _number(value: float) -> str:
    return "missing" if math.isnan(value) else f"{value:g}"


def _render_features(code: str, result: Any) -> str:
    """The product's ``qh_*`` features, windows counted back from the day of the answer."""
    import datetime as dt

    from bureau_adapters.compliance.consent import CHINA_TZ
    from bureau_adapters.qianhai.features import QH_FEATURES, qh_features

    received = result.received_at or dt.datetime.now(dt.UTC)
    day = received.astimezone(CHINA_TZ).date()  # the report date, in China
    row = qh_features({code: result}, as_of=day)
    mine = [spec.name for spec in QH_FEATURES if spec.sources[0].startswith(f"MSC{code}.")]
    lines = [f"qh_* features (qh-features/1, as of {day.isoformat()}):"]
    lines += [f"  {name:<28} {_number(row[name])}" for name in mine]
    return "\n".join(lines)


COMMANDS = [qianhai]
