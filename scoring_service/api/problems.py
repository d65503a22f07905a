"""Every domain error as an RFC 9457 problem (``application/problem+json``).

The body always has ``type``, ``title``, ``status``, ``detail``, the error's stable ``code``
and, when known, the ``field`` at fault. Status by error:

=====================================================  ======
invalid body, ID number, survey value, consent          422
missing / invalid API key                               401
unknown bank, another bank's id, unknown id             404
bureau timeout, transport error, rejection, bad report  503
registry down with no cached champion                   503
=====================================================  ======
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from bureau_adapters.exceptions import BureauError, ConsentError
from credit_limit.exceptions import PolicyError
from model_registry.exceptions import RegistryError
from scoring_service.exceptions import ServiceError

__all__ = ["PROBLEM_JSON", "install_problem_handlers", "problem", "status_of"]

PROBLEM_JSON = "application/problem+json"
_NOT_FOUND = {"BANK_NOT_FOUND", "DECISION_NOT_FOUND", "CONSENT_NOT_FOUND", "STORE_NOT_FOUND"}
_CONSENT_FIELD = {"CONSENT_REASON": "query_reason"}
#: the body fields of a Qianhai consent refusal (the error's ``bureau`` is ``qianhai``)
_QIANHAI_CONSENT_FIELD = {"CONSENT_REASON": "qianhai_reason"}
_BUREAU_INPUT = {"SUBJECT_INVALID", "CONSENT_INVALID_FIELD", "PBOC_REQUEST_INVALID"}


def problem(
    status: int, code: str, detail: str, *, field: str | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": f"https://nongxin.local/problems/{code.lower().replace('_', '-')}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if field is not None:
        body["field"] = field
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def status_of(exc: Exception) -> tuple[int, str | None]:
    """HTTP status and offending field of a domain error."""
    code = str(getattr(exc, "code", ""))
    fields: dict[str, Any] = getattr(exc, "fields", {})
    field = fields.get("field")
    if code in _NOT_FOUND:
        return 404, field
    if isinstance(exc, ConsentError):
        if fields.get("bureau") == "qianhai":
            return 422, _QIANHAI_CONSENT_FIELD.get(code, "qianhai_consent_id")
        return 422, _CONSENT_FIELD.get(code, "consent_id")
    if isinstance(exc, BureauError):
        if code in _BUREAU_INPUT:
            prefix = "applicant." if code == "SUBJECT_INVALID" else ""
            return 422, f"{prefix}{field}" if field else None
        return 503, None
    if isinstance(exc, RegistryError):
        return 503, None
    if isinstance(exc, ServiceError):
        if code == "API_KEY_INVALID":
            return 401, field
        return (500 if code.startswith("DECISION") else 422), field
    if isinstance(exc, PolicyError):
        return 500, None
    return 500, None


def _domain(request: Request, exc: Exception) -> JSONResponse:
    status, field = status_of(exc)
    detail = str(exc) if status < 500 or status == 503 else "Internal error; see the server log."
    extra: dict[str, Any] = {}
    if status == 503:
        extra["retry"] = True
    response = problem(status, str(getattr(exc, "code", "ERROR")), detail, field=field, **extra)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'ApiKey header="X-API-Key"'
    return response


def _validation(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # pragma: no cover - FastAPI's contract
        return _domain(request, exc)
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
            "message": str(e.get("msg", "")),
        }
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"field": None, "message": "invalid request"}
    detail = f"{first['field']}: {first['message']}"
    return problem(422, "REQUEST_INVALID", detail, field=first["field"], errors=errors)


def install_problem_handlers(app: FastAPI) -> None:
    """Map every domain error tree (and body validation) to problem+json."""
    app.add_exception_handler(RequestValidationError, _validation)
    for tree in (ServiceError, BureauError, RegistryError, PolicyError):
        app.add_exception_handler(tree, _domain)
