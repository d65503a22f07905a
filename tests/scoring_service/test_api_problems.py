"""Domain errors → HTTP status and field (one table, tested row by row); CLI help."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bureau_adapters.exceptions import (
    BureauError,
    BureauRejected,
    BureauTimeout,
    ConsentError,
    MalformedReportError,
)
from model_registry.exceptions import RegistryUnavailable
from scoring_service.api.problems import status_of
from scoring_service.cli import cli
from scoring_service.exceptions import DecisionError, InputError, TenantError


@pytest.mark.parametrize(
    ("error", "status", "field"),
    [
        (BureauError("x", code="SUBJECT_INVALID", field="id_number"), 422, "applicant.id_number"),
        (ConsentError("x", code="CONSENT_MISSING"), 422, "consent_id"),
        (ConsentError("x", code="CONSENT_EXPIRED"), 422, "consent_id"),
        (ConsentError("x", code="CONSENT_REASON"), 422, "query_reason"),
        (ConsentError("x", code="CONSENT_MISSING", bureau="pboc"), 422, "consent_id"),
        (ConsentError("x", code="CONSENT_MISSING", bureau="qianhai"), 422, "qianhai_consent_id"),
        (ConsentError("x", code="CONSENT_EXPIRED", bureau="qianhai"), 422, "qianhai_consent_id"),
        (ConsentError("x", code="CONSENT_REASON", bureau="qianhai"), 422, "qianhai_reason"),
        (ConsentError("x", code="CONSENT_NOT_FOUND"), 404, None),
        (BureauTimeout("x", code="PBOC_READ_TIMEOUT"), 503, None),
        (BureauRejected("x", code="PBOC_DBE003"), 503, None),
        (MalformedReportError("x", code="PBOC_BASE64"), 503, None),
        (BureauError("x", code="STORE_NOT_FOUND"), 404, None),
        (RegistryUnavailable("x"), 503, None),
        (TenantError("x", code="API_KEY_INVALID", field="X-API-Key"), 401, "X-API-Key"),
        (TenantError("x", code="BANK_NOT_FOUND", field="bank_code"), 404, "bank_code"),
        (DecisionError("x", code="DECISION_NOT_FOUND", field="decision_id"), 404, "decision_id"),
        (InputError("x", field="survey.land_mu"), 422, "survey.land_mu"),
    ],
)
def test_each_domain_error_has_its_status_and_field(
    error: Exception, status: int, field: str | None
) -> None:
    assert status_of(error) == (status, field)


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["serve", "--help"], "POST /v1/ratings"),
        (["decision", "--help"], "replay"),
        (["decision", "replay", "--help"], "exit 1 if it differs"),
        (["bank", "--help"], "add-key"),
    ],
)
def test_cli_help_reads_well(args: list[str], text: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0
    assert text in " ".join(result.output.split())
