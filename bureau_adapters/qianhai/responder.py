"""What the Qianhai simulator answers: envelope checks as Qianhai does them, and scenarios.

:class:`Responder` is the simulator without the socket: ``respond(path, content_type, body)``
returns an :class:`Answer` (status, body, delay). It checks a request the way the vendor's
error table implies (paths, header fields and lengths, user and password digest, our
signature, decryption, transNo reuse, records and seqNo, ID check digits, daily limit), then
answers each subject from a :class:`ProvinceData` source or as its scenario dictates: an
unknown ID number is ``E000996`` (no data); a known ID number with another name fails the
vendor's identity check (record-level ``E000112``), so a typo in a name can never read as
"no risk found".

Scenarios (default for every request, or per ID number):

==================  ===============================================================
``hit``             the subject's data from the province (``E000996`` if none)
``no_data``         ``E000996`` for the subject
``bad_signature``   a correct answer whose ``busiData`` was altered after signing
``line_breaks``     ``busiData`` and signature in MIME lines of 76 characters
``reused_trans_no`` ``E000107`` transNo already used
``daily_limit``     ``E900006`` daily call limit exceeded
``balance``         ``E0-9977`` account balance insufficient
``not_entitled``    ``E000040`` channel lacks this product
``upstream_error``  ``E000999`` transaction exception
``pending``         ``E000990`` still processing
``routing_failed``  ``E000997`` every time
``routing_once``    ``E000997`` on the first request for this ID number, then ``hit``
``record_error``    record-level ``E000112`` (ID-number check failed)
``slow``            ``hit``, after ``slow_seconds``
``http_500``        HTTP 500 with a plain-text body
``garbage``         HTTP 200 with a body that is not JSON
``empty_records``   a signed ``E000000`` answer whose ``records`` list is empty
==================  ===============================================================
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from bureau_adapters.exceptions import BureauError
from bureau_adapters.identity import is_valid_resident_id
from bureau_adapters.qianhai import crypto, envelope
from bureau_adapters.qianhai.errors import NO_DATA, SUCCESS, VENDOR_CODES, QianhaiRequestError
from bureau_adapters.qianhai.products import PRODUCTS, Product

__all__ = ["NAME_MISMATCH", "SCENARIOS", "Answer", "ProvinceData", "Responder", "VendorIdentity"]

SCENARIOS = (
    "hit",
    "no_data",
    "bad_signature",
    "line_breaks",
    "reused_trans_no",
    "daily_limit",
    "balance",
    "not_entitled",
    "upstream_error",
    "pending",
    "routing_failed",
    "routing_once",
    "record_error",
    "slow",
    "http_500",
    "garbage",
    "empty_records",
)
_HEADER_SCENARIOS = {
    "reused_trans_no": "E000107",
    "daily_limit": "E900006",
    "balance": "E0-9977",
    "not_entitled": "E000040",
    "upstream_error": "E000999",
    "pending": "E000990",
    "routing_failed": "E000997",
}
_LIMITS = {"orgCode": 24, "chnlId": 128, "transNo": 24, "authCode": 16}
_LIMIT_CODES = {
    "orgCode": "E000101",
    "chnlId": "E000102",
    "transNo": "E000103",
    "authCode": "E000104",
}
_MAX_RECORDS = 100

#: What a :data:`ProvinceData` source returns when the ID number is known but the name is not
#: the one on file: Qianhai's identity check fails (record-level ``E000112``), never "no data".
NAME_MISMATCH: Mapping[str, Any] = {"__name_mismatch__": True}

#: household lookup: (ID number, name) -> that subject's product results, None if unknown,
#: or :data:`NAME_MISMATCH`
ProvinceData = Callable[[str, str], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Answer:
    """One HTTP answer of the simulator."""

    status: int
    body: bytes
    delay_s: float = 0.0
    content_type: str = "application/json;charset=UTF-8"


@dataclass(frozen=True, repr=False)
class VendorIdentity:
    """What Qianhai knows of us, and its own signing key."""

    org_code: str
    user_name: str
    password_sha1: str
    check_code: str
    client_public_key: rsa.RSAPublicKey
    vendor_private_key: rsa.RSAPrivateKey


class _Refusal(Exception):
    """Internal: stop checking and answer with this header-level code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Responder:
    """Checks requests and answers them (thread-safe)."""

    identity: VendorIdentity
    data: ProvinceData
    scenario: str = "hit"
    slow_seconds: float = 3.0
    daily_limit: int | None = None
    scenarios_by_id: dict[str, str] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    _seen_trans_nos: set[str] = field(default_factory=set)
    _routing_failed_once: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        check_scenario(self.scenario)

    def set_scenario(self, scenario: str, id_number: str | None = None) -> None:
        """The default scenario, or the scenario of one ID number."""
        check_scenario(scenario)
        with self._lock:
            if id_number is None:
                self.scenario = scenario
            else:
                self.scenarios_by_id[id_number.strip().upper()] = scenario

    def respond(self, path: str, content_type: str, body: bytes) -> Answer:
        """The answer to one POST."""
        product = next((p for p in PRODUCTS.values() if p.path == path), None)
        try:
            if product is None:
                raise _Refusal("E000998")
            if "json" not in content_type.lower():
                raise _Refusal("E000005")
            request, busi = self._open(body)
        except _Refusal as refusal:
            return self._refuse({}, refusal.code, product)
        header = request["header"]
        scenario = self._scenario_of(busi["records"])
        self._log(header, product, scenario)
        if scenario == "http_500":
            return Answer(500, b"Internal Server Error", content_type="text/plain")
        if scenario == "garbage":
            return Answer(200, b"<html>gateway</html>", content_type="text/html")
        code = self._header_code(scenario, busi["records"])
        if code is not None:
            return self._refuse(header, code, product)
        records = [out for rec in busi["records"] for out in self._answer(product, rec)]
        if scenario == "empty_records":
            records = []
        return self._seal(header, {"batchNo": busi.get("batchNo"), "records": records}, scenario)

    # --- checks ------------------------------------------------------------------------------

    def _open(self, body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
        if not body:
            raise _Refusal("E000006")
        try:
            request = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _Refusal("E000070") from None
        if not isinstance(request, dict):
            raise _Refusal("E000067")
        header, security = request.get("header"), request.get("securityInfo")
        if not isinstance(header, dict):
            raise _Refusal("E000068")
        if not isinstance(security, dict):
            raise _Refusal("E000069")
        self._check_header(header)
        self._check_security(security)
        busi_data = request.get("busiData")
        if not isinstance(busi_data, str) or not busi_data:
            raise _Refusal("E000011")
        try:
            crypto.verify(
                busi_data, security.get("signatureValue"), self.identity.client_public_key
            )
        except BureauError:
            raise _Refusal("E000013") from None
        try:
            busi = json.loads(crypto.decrypt_busi_data(busi_data, self.identity.check_code))
        except (BureauError, UnicodeDecodeError, json.JSONDecodeError):
            raise _Refusal("E000032") from None
        self._check_trans_no(header["transNo"])
        self._check_records(busi)
        return request, busi

    def _check_header(self, header: dict[str, Any]) -> None:
        for number, name in enumerate(envelope.HEADER_FIELDS):
            if not str(header.get(name) or "").strip():
                raise _Refusal(f"E{22 + number:06d}")
        for name, limit in _LIMITS.items():
            if len(str(header[name])) > limit:
                raise _Refusal(_LIMIT_CODES[name])
        for name in ("transDate", "authDate"):
            try:
                dt.datetime.strptime(str(header[name]), envelope.TIME_FORMAT)
            except ValueError:
                raise _Refusal("E000100") from None
        if header["orgCode"] != self.identity.org_code:
            raise _Refusal("E000037")

    def _check_security(self, security: dict[str, Any]) -> None:
        if security.get("userName") != self.identity.user_name:
            raise _Refusal("E000009")
        if security.get("userPassword") != self.identity.password_sha1:
            raise _Refusal("E000010")

    def _check_trans_no(self, trans_no: str) -> None:
        with self._lock:
            if trans_no in self._seen_trans_nos:
                raise _Refusal("E000107")
            self._seen_trans_nos.add(trans_no)
            if self.daily_limit is not None and len(self._seen_trans_nos) > self.daily_limit:
                raise _Refusal("E900006")

    def _check_records(self, busi: Any) -> None:
        records = busi.get("records") if isinstance(busi, dict) else None
        if not isinstance(records, list) or not records:
            raise _Refusal("E000043")
        if len(records) > _MAX_RECORDS:
            raise _Refusal("E000042")
        if len(str(busi.get("batchNo") or "")) > 32:
            raise _Refusal("E000105")
        seq_nos = [str(r.get("seqNo")) for r in records if isinstance(r, dict)]
        if len(seq_nos) != len(records) or len(set(seq_nos)) != len(seq_nos):
            raise _Refusal("E000991")
        for record in records:
            if not record.get("idNo") or not record.get("name"):
                raise _Refusal("E000070")
            if len(str(record.get("entityAuthCode") or "")) > 32:
                raise _Refusal("E000106")

    # --- answers -----------------------------------------------------------------------------

    def _scenario_of(self, records: list[dict[str, Any]]) -> str:
        with self._lock:
            for record in records:
                chosen = self.scenarios_by_id.get(str(record["idNo"]).strip().upper())
                if chosen is not None:
                    return chosen
            return self.scenario

    def _header_code(self, scenario: str, records: list[dict[str, Any]]) -> str | None:
        if scenario == "routing_once":
            key = str(records[0]["idNo"]).strip().upper()
            with self._lock:
                if key not in self._routing_failed_once:
                    self._routing_failed_once.add(key)
                    return "E000997"
            return None
        return _HEADER_SCENARIOS.get(scenario)

    def _answer(self, product: Product, record: dict[str, Any]) -> list[dict[str, Any]]:
        echo = {k: v for k, v in record.items() if k not in {"entityAuthCode", "entityAuthDate"}}
        scenario = self.scenarios_by_id.get(str(record["idNo"]).strip().upper(), self.scenario)
        if scenario == "record_error" or (
            record.get("idType") == "0" and not is_valid_resident_id(str(record["idNo"]))
        ):
            return [{**echo, "erCode": "E000112", "erMsg": VENDOR_CODES["E000112"][1]}]
        if product.reason_field not in record:
            return [{**echo, "erCode": "E000070", "erMsg": VENDOR_CODES["E000070"][1]}]
        found = None if scenario == "no_data" else self.data(record["idNo"], record["name"])
        if found is NAME_MISMATCH:  # the vendor checks the name against the ID number
            return [{**echo, "erCode": "E000112", "erMsg": VENDOR_CODES["E000112"][1]}]
        rows = _product_rows(found, product.code) if found is not None else []
        if not rows:
            return [{**echo, "erCode": NO_DATA, "erMsg": "no data found"}]
        return [{**echo, **row, "erCode": SUCCESS, "erMsg": "success"} for row in rows]

    def _seal(self, header: dict[str, Any], busi: dict[str, Any], scenario: str) -> Answer:
        b64, signature = envelope.seal(
            busi, self.identity.check_code, self.identity.vendor_private_key
        )
        if scenario == "line_breaks":
            b64 = crypto.wrap_mime(b64)
            signature = crypto.wrap_mime(crypto.sign(b64, self.identity.vendor_private_key))
        if scenario == "bad_signature":
            # same length, one record changed: exactly what a man in the middle would send
            busi["records"] = [{**r, "credooScore": "900"} for r in busi["records"]]
            b64 = envelope.seal(busi, self.identity.check_code, self.identity.vendor_private_key)[0]
        head = {**header, "rtCode": SUCCESS, "rtMsg": "success"}
        out = {"header": head, "busiData": b64, "securityInfo": {"signatureValue": signature}}
        delay = self.slow_seconds if scenario == "slow" else 0.0
        return Answer(200, _dumps(out), delay_s=delay)

    def _refuse(self, header: dict[str, Any], code: str, product: Product | None) -> Answer:
        if not header:
            self._log({}, product, "refused")
        meaning = VENDOR_CODES.get(code, (None, "refused"))[1]
        head = {**header, "rtCode": code, "rtMsg": meaning}
        return Answer(200, _dumps({"header": head, "busiData": "", "securityInfo": {}}))

    def _log(self, header: dict[str, Any], product: Product | None, scenario: str) -> None:
        with self._lock:
            self.calls.append(
                {
                    "trans_no": header.get("transNo"),
                    "product": product.code if product else None,
                    "scenario": scenario,
                }
            )


def _product_rows(found: Mapping[str, Any], code: str) -> list[dict[str, Any]]:
    """The records of one product in a household's results (several shapes accepted)."""
    products = found.get("products", found)
    value = products.get(code, products.get(f"MSC{code}")) if isinstance(products, dict) else None
    if isinstance(value, dict) and "records" in value:
        value = value["records"]
    if isinstance(value, dict):
        value = [value] if value else []
    if not isinstance(value, list):
        return []
    return [dict(v) for v in value if isinstance(v, dict) and v.get("erCode", SUCCESS) == SUCCESS]


def check_scenario(scenario: str) -> None:
    """Raise a coded ``ValueError`` unless ``scenario`` is one of :data:`SCENARIOS`."""
    if scenario not in SCENARIOS:
        raise QianhaiRequestError(
            f"The Qianhai simulator scenario must be one of {', '.join(SCENARIOS)}. "
            f"Got {scenario!r}.",
            code="QH_SIM_SCENARIO",
            field="scenario",
        )


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
