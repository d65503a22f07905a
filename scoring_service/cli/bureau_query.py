"""``nongxin bureau query | simulator | consent | audit``: consent-gated PBOC queries.

``query`` runs one PBOC single query through the compliance gate (a stored consent for this
subject, bank and reason is required; the call is audited; a report this bank fetched inside
its reuse window is reused). It talks to ``NONGXIN_BUREAU_PBOC_ENDPOINT`` — by default the
address where ``nongxin bureau simulator`` listens — or to an in-process simulator
(``--simulate DIR``). ``consent add`` records a signed authorisation, ``audit`` lists a bank's
audit rows. State lives in the database of ``NONGXIN_BUREAU_DATABASE_URL`` /
``NONGXIN_DATABASE_URL`` (default: SQLite under ``NONGXIN_HOME``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

__all__ = ["COMMANDS", "audit", "consent", "query", "simulator"]

_ID_HELP = "Subject's ID number (stored only as a keyed hash; printed masked)."


def _engine() -> Any:
    from bureau_adapters.compliance.db import create_engine
    from bureau_adapters.settings import BureauSettings

    settings = BureauSettings.from_env()
    settings.require_subject_key()  # no production database with the development key
    return create_engine(settings.resolved_database_url())


@contextmanager
def _endpoint(endpoint: str | None, province: Path | None, scenario: str) -> Iterator[str | None]:
    if province is None:
        yield endpoint
        return
    from bureau_adapters.pboc.simulator import PbocSimulator

    with PbocSimulator(province, scenario=scenario) as sim:
        yield sim.endpoint


@click.command("query")
@click.option("--id-number", required=True, help=_ID_HELP)
@click.option("--name", required=True, help="Subject's full name as on the ID document.")
@click.option(
    "--id-type", default="10", show_default=True, help="PBOC certificate type (10 = resident ID)."
)
@click.option("--bank", "bank_code", required=True, help="Bank code, e.g. 301.")
@click.option(
    "--reason", required=True, help="PBOC query reason code, e.g. 02 loan approval, 01 post-loan."
)
@click.option("--operator", required=True, help="Who asks (sent as queryUser; audit log).")
@click.option("--business-ref", required=True, help="Loan or application reference (bussId).")
@click.option(
    "--consent-id", default=None, help="Only this stored consent may authorise the query."
)
@click.option("--fresh", is_flag=True, help="Do not reuse a stored report; query the bureau.")
@click.option(
    "--endpoint",
    default=None,
    help="SOAP endpoint [default: NONGXIN_BUREAU_PBOC_ENDPOINT, the local simulator].",
)
@click.option(
    "--simulate",
    "province",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Answer from an in-process simulator over this sandbox province.",
)
@click.option("--scenario", default="hit", show_default=True, help="Scenario of --simulate.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def query(
    id_number: str,
    name: str,
    id_type: str,
    bank_code: str,
    reason: str,
    operator: str,
    business_ref: str,
    consent_id: str | None,
    fresh: bool,
    endpoint: str | None,
    province: Path | None,
    scenario: str,
    as_json: bool,
) -> None:
    """Query one subject's PBOC personal report for a bank (consent required, audited).

    Example: nongxin bureau query --id-number 11010519491231002X --name 张三 --bank 301
    --reason 02 --operator clerk01 --business-ref LN-2026-0001
    """
    from bureau_adapters.compliance.subject import Subject
    from bureau_adapters.pboc.client import PbocClient

    subject = Subject(name, id_type, id_number)
    with (
        _endpoint(endpoint, province, scenario) as url,
        PbocClient(_engine(), endpoint=url) as client,
    ):
        result = client.query(
            bank_code,
            subject,
            reason,
            operator,
            business_ref,
            consent_id=consent_id,
            allow_reuse=not fresh,
        )
    summary = {
        "outcome": result.outcome.value,
        "code": result.code,
        "report_id": result.report_id,
        "report_date": result.report_date.isoformat() if result.report_date else None,
        "source": result.source.value,
        "audit_id": result.audit_id,
        "consent_id": result.consent_id,
        "request_id": result.request_id,
        "subject": subject.masked_id,
        "bytes": len(result.content or b""),
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    click.echo(
        f"{summary['outcome']} {summary['code']} report_id={summary['report_id'] or '-'} "
        f"{summary['source']} audit_id={summary['audit_id']} subject={summary['subject']}"
    )


def _wait_forever() -> None:
    """Block until Ctrl-C or SIGTERM (both end as KeyboardInterrupt)."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)
    threading.Event().wait()


@click.command("simulator")
@click.option("--bureau", type=click.Choice(["pboc", "qianhai"]), default="pboc", show_default=True)
@click.option(
    "--province",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Sandbox province folder (nongxin sandbox generate).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8730,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="0 picks a free port.",
)
@click.option(
    "--scenario",
    default="hit",
    show_default=True,
    help="Default scenario (hit, no_record, vendor_no_record, slow, drop, fault, DBE001...).",
)
@click.option(
    "--client-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Qianhai: where to write the client's keys, secrets and client.env (NONGXIN_QIANHAI_* "
    "lines, base URL included) for a client in another process; default "
    "NONGXIN_HOME/qianhai-simulator.",
)
def simulator(
    bureau: str, province: Path, host: str, port: int, scenario: str, client_dir: Path | None
) -> None:
    """Serve a bureau simulator over a sandbox province until Ctrl-C.

    The Qianhai simulator generates its own keys and secrets on start and writes what a
    client needs to ``--client-dir`` (``set -a; . DIR/client.env; set +a`` configures
    ``nongxin bureau qianhai`` or the service in another shell).
    """
    if bureau == "qianhai":
        from bureau_adapters.qianhai.simulator import QianhaiSimulator
        from bureau_adapters.settings import default_home

        sim: Any = QianhaiSimulator(province, host=host, port=port, scenario=scenario)
        url = sim.start()
        env_file = sim.write_client_env(client_dir or default_home() / "qianhai-simulator")
        click.echo(f"qianhai client settings in {env_file}", err=True)
    else:
        if client_dir is not None:
            raise click.UsageError("--client-dir is for --bureau qianhai only")
        from bureau_adapters.pboc.simulator import PbocSimulator

        sim = PbocSimulator(province, host=host, port=port, scenario=scenario)
        url = sim.start()
    click.echo(f"{bureau} simulator on {url} (scenario {scenario}); Ctrl-C to stop", err=True)
    try:
        _wait_forever()
    except KeyboardInterrupt:
        click.echo(f"{bureau} simulator stopped", err=True)
    finally:
        sim.stop()


@click.group("consent")
def consent() -> None:
    """Record, list and revoke subjects' written authorisations."""


def _sha256_of(document: Path | None, digest: str | None) -> str:
    if (document is None) == (digest is None):
        raise click.UsageError("give exactly one of --document FILE or --document-sha256 HEX")
    if document is not None:
        return hashlib.sha256(document.read_bytes()).hexdigest()
    return str(digest)


@consent.command("add")
@click.option("--id-number", required=True, help=_ID_HELP)
@click.option("--id-type", default="10", show_default=True, help="PBOC certificate type.")
@click.option("--bank", "bank_code", required=True, help="Bank code, e.g. 301.")
@click.option("--bureau", type=click.Choice(["pboc", "qianhai"]), default="pboc", show_default=True)
@click.option("--reason", required=True, help="Query reason code of that bureau.")
@click.option(
    "--signed", "signed_on", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Date signed."
)
@click.option(
    "--valid-until", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last valid day."
)
@click.option(
    "--valid-from",
    default=None,
    type=click.DateTime(["%Y-%m-%d"]),
    help="First valid day [default: --signed].",
)
@click.option(
    "--document",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The signed form (hashed, not stored).",
)
@click.option(
    "--document-sha256",
    default=None,
    help="SHA-256 of the signed form, if the file is kept elsewhere.",
)
@click.option("--document-ref", default=None, help="Where the signed original is kept.")
@click.option("--operator", required=True, help="Who records it.")
def consent_add(
    id_number: str,
    id_type: str,
    bank_code: str,
    bureau: str,
    reason: str,
    signed_on: dt.datetime,
    valid_until: dt.datetime,
    valid_from: dt.datetime | None,
    document: Path | None,
    document_sha256: str | None,
    document_ref: str | None,
    operator: str,
) -> None:
    """Record a signed authorisation; prints its consent id."""
    from bureau_adapters.compliance.consent import ConsentRegistry

    record = ConsentRegistry(_engine()).record(
        bank_code=bank_code,
        subject_id=id_number,
        id_type=id_type,
        bureau=bureau,
        reason=reason,
        signed_on=signed_on.date(),
        valid_from=valid_from.date() if valid_from else None,
        valid_until=valid_until.date(),
        document_sha256=_sha256_of(document, document_sha256),
        document_ref=document_ref,
        recorded_by=operator,
    )
    click.echo(record.consent_id)


@consent.command("list")
@click.option("--bank", "bank_code", required=True, help="Bank code.")
@click.option("--id-number", default=None, help="Only this subject.")
def consent_list(bank_code: str, id_number: str | None) -> None:
    """List a bank's consents as JSON lines (subjects masked)."""
    from bureau_adapters.compliance.consent import ConsentRegistry

    for record in ConsentRegistry(_engine()).list(bank_code, subject_id=id_number):
        row = record.to_dict()
        row.pop("subject_key")
        click.echo(json.dumps(row, ensure_ascii=False))


@consent.command("revoke")
@click.argument("consent_id")
@click.option("--bank", "bank_code", required=True, help="Bank code.")
@click.option("--reason", "why", required=True, help="Why it is revoked.")
def consent_revoke(consent_id: str, bank_code: str, why: str) -> None:
    """Revoke a consent (kept on file; later queries are refused)."""
    from bureau_adapters.compliance.consent import ConsentRegistry

    record = ConsentRegistry(_engine()).revoke(bank_code, consent_id, reason=why)
    click.echo(f"{record.consent_id} revoked at {record.revoked_at}")


@click.command("audit")
@click.option("--bank", "bank_code", required=True, help="Bank code.")
@click.option("--business-ref", default=None, help="Only this business reference.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
def audit(bank_code: str, business_ref: str | None, limit: int) -> None:
    """Print a bank's query audit rows as JSON lines (oldest first)."""
    from bureau_adapters.compliance.audit import AuditLog

    for entry in AuditLog(_engine()).list(bank_code, business_ref=business_ref, limit=limit):
        row = entry.to_dict()
        row.pop("subject_key")
        click.echo(json.dumps(row, ensure_ascii=False, default=str))


COMMANDS = [query, simulator, consent, audit]
