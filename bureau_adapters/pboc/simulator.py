"""A PBOC query front-end simulator: a real SOAP server on loopback fed by a sandbox province.

It serves the package's WSDL (``GET <endpoint>?wsdl``) and answers ``SingleQuery`` the way a
bank's 征信前置 would: it finds the household by ID number in ``households.parquet`` and returns
``reports/pboc/<household_id>.xml``'s report in the response envelope. A person the province
does not know gets what the credit reference center gives someone with no credit history:
``AAA000`` and a thin-file report (header and identity, no accounts; see
:mod:`bureau_adapters.pboc.thin_file`) — the public sources name no "no record" result code.
Scenarios turn it into a misbehaving front-end:

====================  =============================================================
scenario              answer
====================  =============================================================
``hit``               the household's report (``AAA000``), or a thin file if unknown
``no_record``         ``AAA000`` with a thin-file report (no credit history)
``vendor_no_record``  the front-end vendor's own "no record" code (``no_record_code``,
                      default :data:`EXAMPLE_VENDOR_NO_RECORD_CODE`), no report: the client
                      maps it only when ``pboc_no_record_codes`` lists it
``DBE001``…``017``    that validation error code, no report
``DBO001``…``004``    that error code, no report
``slow``              a hit after ``slow_seconds`` (for read timeouts)
``drop``              reads the request, closes the connection without an answer
``fault``             HTTP 500 with a SOAP Fault (soap:Server)
``bad_base64``        ``AAA000`` with a ReportMessage that is not base64
====================  =============================================================

The scenario is the server's default (``scenario=``), or per ID number
(:meth:`PbocSimulator.set_scenario`), or per request with the HTTP header
``X-Nongxin-Scenario`` — so one server can serve several cases at once.

>>> with PbocSimulator(province_dir, scenario="vendor_no_record") as sim:  # doctest: +SKIP
...     client = PbocClient(endpoint=sim.endpoint, engine=engine)
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree

from bureau_adapters.exceptions import BureauError
from bureau_adapters.loopback import LoopbackHandler, LoopbackHTTPServer, LoopbackServer
from bureau_adapters.pboc.client import ERROR_CODES
from bureau_adapters.pboc.thin_file import thin_file_report
from bureau_adapters.pboc.wsdl import NAMESPACE, SINGLE_QUERY_WSDL
from bureau_adapters.pii import mask_id, mask_text

__all__ = ["EXAMPLE_VENDOR_NO_RECORD_CODE", "SCENARIOS", "PbocSimulator", "SimulatedQuery"]

logger = logging.getLogger(__name__)

PATH = "/pboc/SingleQuery"
SCENARIO_HEADER = "X-Nongxin-Scenario"
EXAMPLE_VENDOR_NO_RECORD_CODE = "NRC001"
"""A made-up vendor "no record" code (no public source names one) for the ``vendor_no_record``
scenario; a bank whose front-end uses such a code lists it in ``pboc_no_record_codes``."""
SCENARIOS: tuple[str, ...] = (
    "hit",
    "no_record",
    "vendor_no_record",
    "slow",
    "drop",
    "fault",
    "bad_base64",
    *ERROR_CODES,
)
_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
_MAX_REQUEST = 1024 * 1024


@dataclass(frozen=True)
class SimulatedQuery:
    """What the simulator received (ID number masked)."""

    request_id: str
    subject: str
    reason: str
    business_ref: str
    operator: str
    authorisation: str
    scenario: str


class _Server(LoopbackHTTPServer):
    simulator: PbocSimulator


class PbocSimulator(LoopbackServer):
    """SOAP server of the PBOC single query on loopback.

    Parameters
    ----------
    province_dir : Path
        A sandbox province folder (``households.parquet``, ``reports/pboc/``).
    host, port : str, int
        Where to listen; port 0 picks a free port.
    scenario : str
        Default scenario, one of :data:`SCENARIOS`.
    slow_seconds : float
        Delay of the ``slow`` scenario.
    no_record_code : str
        Result code of the ``vendor_no_record`` scenario.
    """

    def __init__(
        self,
        province_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        scenario: str = "hit",
        slow_seconds: float = 2.0,
        no_record_code: str = EXAMPLE_VENDOR_NO_RECORD_CODE,
    ) -> None:
        super().__init__(host=host, port=port)
        self.no_record_code = no_record_code
        self.province_dir = Path(province_dir)
        self.scenario = _checked(scenario)
        self.slow_seconds = slow_seconds
        self.queries: list[SimulatedQuery] = []
        self._by_id: dict[str, str] = {}
        self._households: dict[str, str] | None = None
        self._lock = threading.Lock()
        if not (self.province_dir / "households.parquet").is_file():
            raise BureauError(
                f"No households.parquet in the province folder {self.province_dir}.",
                code="SIMULATOR_PROVINCE",
                field="province_dir",
            )

    # -- life cycle (bind, start, serve_forever, stop: LoopbackServer) -------------------
    name = "PBOC simulator"

    def make_server(self, address: tuple[str, int]) -> _Server:
        server = _Server(address, _Handler)
        server.simulator = self
        return server

    def on_bind(self) -> None:
        self._load_households()

    @property
    def endpoint(self) -> str:
        """The SOAP endpoint URL (the WSDL is at ``endpoint + "?wsdl"``)."""
        return self.base_url + PATH

    @property
    def hits(self) -> int:
        """Number of SOAP queries received so far."""
        with self._lock:
            return len(self.queries)

    # -- scenarios ----------------------------------------------------------------------
    def set_scenario(self, scenario: str, *, id_number: str | None = None) -> None:
        """Set the default scenario, or the scenario for one ID number."""
        scenario = _checked(scenario)
        with self._lock:
            if id_number is None:
                self.scenario = scenario
            else:
                self._by_id[id_number.strip().upper()] = scenario

    def reset(self) -> None:
        """Back to ``hit`` for everyone; forget received queries."""
        with self._lock:
            self.scenario = "hit"
            self._by_id.clear()
            self.queries.clear()

    def record(self, query: SimulatedQuery) -> None:
        """Remember one received query (thread-safe)."""
        with self._lock:
            self.queries.append(query)

    def scenario_for(self, id_number: str, header: str | None) -> str:
        """The scenario of one request: header, then per-ID, then default."""
        if header:
            return _checked(header.strip())
        with self._lock:
            return self._by_id.get(id_number, self.scenario)

    # -- answers ------------------------------------------------------------------------
    def _load_households(self) -> None:
        if self._households is None:
            import pyarrow.parquet as pq

            table = pq.read_table(
                self.province_dir / "households.parquet", columns=["household_id", "id_number"]
            )
            ids = table.column("id_number").to_pylist()
            households = table.column("household_id").to_pylist()
            self._households = {
                str(i).upper(): str(h) for i, h in zip(ids, households, strict=True)
            }

    def answer(self, fields: dict[str, str], scenario: str) -> tuple[int, bytes] | None:
        """HTTP status and SOAP body for one query, or ``None`` to drop the connection."""
        request_id = fields.get("requestId", "")
        if scenario == "drop":
            return None
        if scenario == "fault":
            return 500, _fault("前置系统内部错误 (simulated front-end failure)")
        if scenario == "slow":
            self.stopping.wait(self.slow_seconds)
        if scenario in ERROR_CODES:
            name = fields.get("querierName", "")
            desc = f"{scenario} {ERROR_CODES[scenario]} (simulated; querier {name})"
            return 200, _response(request_id, {"ResultCode": scenario, "ResultDesc": desc})
        if scenario == "vendor_no_record":
            desc = "查无记录 (simulated vendor code)"
            return 200, _response(
                request_id, {"ResultCode": self.no_record_code, "ResultDesc": desc}
            )
        envelope = (
            None if scenario == "no_record" else self._envelope(fields.get("querierCertno", ""))
        )
        if envelope is None:
            envelope = _thin_file(fields)
        if scenario == "bad_base64":
            envelope["ReportMessage"] = "@@ not base64 @@"
        return 200, _response(request_id, envelope)

    def _envelope(self, id_number: str) -> dict[str, str] | None:
        from bureau_adapters.pboc import parse_envelope

        household = (self._households or {}).get(id_number.strip().upper())
        path = self.province_dir / "reports" / "pboc" / f"{household}.xml"
        if household is None or not path.is_file():
            return None
        env = parse_envelope(path.read_bytes())
        out = {"ResultCode": env.result_code, "ResultDesc": env.result_desc}
        if env.header is not None:
            out["HeaderLine"] = env.header.raw
        if env.report_name:
            out["ReportName"] = env.report_name
        if env.report is not None:
            out["ReportMessage"] = base64.encodebytes(env.report).decode("ascii")
        return out


def _checked(scenario: str) -> str:
    if scenario not in SCENARIOS:
        raise BureauError(
            f"The PBOC simulator scenario must be one of {list(SCENARIOS)}. Got {scenario!r}.",
            code="SIMULATOR_SCENARIO",
            field="scenario",
        )
    return scenario


def _thin_file(fields: dict[str, str]) -> dict[str, str]:
    """``AAA000`` and the thin-file report of the subject queried (no credit history)."""
    report = thin_file_report(
        name=fields.get("querierName", ""),
        id_number=fields.get("querierCertno", ""),
        id_type=fields.get("querierCertype", "") or "10",
        querying_institution=fields.get("originateOrgCode", ""),
        query_reason=fields.get("queryReason", ""),
        report_time=datetime.now(),
    )
    return {
        "ResultCode": "AAA000",
        "ResultDesc": "处理成功",
        "ReportMessage": base64.encodebytes(report).decode("ascii"),
    }


_ORDER = ("HeaderLine", "ResultCode", "ResultDesc", "ReportName", "ReportMessage")


def _response(request_id: str, fields: dict[str, str]) -> bytes:
    envelope = etree.Element(f"{{{_SOAP}}}Envelope", nsmap={"soap": _SOAP})
    body = etree.SubElement(envelope, f"{{{_SOAP}}}Body")
    answer = etree.SubElement(body, f"{{{NAMESPACE}}}SingleQueryResponse", nsmap={"q": NAMESPACE})
    etree.SubElement(answer, f"{{{NAMESPACE}}}requestId").text = request_id
    for name in _ORDER:
        if name in fields:
            etree.SubElement(answer, f"{{{NAMESPACE}}}{name}").text = fields[name]
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def _fault(message: str) -> bytes:
    envelope = etree.Element(f"{{{_SOAP}}}Envelope", nsmap={"soap": _SOAP})
    body = etree.SubElement(envelope, f"{{{_SOAP}}}Body")
    fault = etree.SubElement(body, f"{{{_SOAP}}}Fault")
    etree.SubElement(fault, "faultcode").text = "soap:Server"
    etree.SubElement(fault, "faultstring").text = message
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def _request_fields(body: bytes) -> dict[str, str]:
    from bureau_adapters.xml import parse_xml

    root = parse_xml(body, max_bytes=_MAX_REQUEST)
    request = root.find(f".//{{{NAMESPACE}}}SingleQueryRequest")
    if request is None:
        raise BureauError("Not a SingleQuery request.", code="SIMULATOR_BAD_REQUEST")
    fields = {etree.QName(el).localname: (el.text or "").strip() for el in _leaves(request)}
    return fields


def _leaves(element: Any) -> Iterator[Any]:
    for child in element:
        if len(child):
            yield from _leaves(child)
        else:
            yield child


class _Handler(LoopbackHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed-ACK stall)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(mask_text("pboc-simulator " + format % args))

    def do_GET(self) -> None:
        if self.path.split("?")[0] != PATH:
            self._send(404, b"not found", "text/plain")
            return
        wsdl = SINGLE_QUERY_WSDL.read_text(encoding="utf-8")
        wsdl = wsdl.replace(
            "http://127.0.0.1:8730/pboc/SingleQuery", self.server.simulator.endpoint
        )
        self._send(200, wsdl.encode(), "text/xml; charset=utf-8")

    def do_POST(self) -> None:
        sim = self.server.simulator
        length = int(self.headers.get("Content-Length") or 0)
        if self.path != PATH or not 0 < length <= _MAX_REQUEST:
            self._send(404 if self.path != PATH else 413, b"", "text/plain")
            return
        body = self.rfile.read(length)
        try:
            fields = _request_fields(body)
            scenario = sim.scenario_for(
                fields.get("querierCertno", "").upper(), self.headers.get(SCENARIO_HEADER)
            )
        except BureauError as exc:
            self._send(500, _fault(f"bad request: {exc.code}"), "text/xml; charset=utf-8")
            return
        sim.record(_received(fields, scenario))
        try:
            answer = sim.answer(fields, scenario)
        except BureauError as exc:  # e.g. a broken report file in the province
            self._send(
                500, _fault(f"simulator cannot answer: {exc.code}"), "text/xml; charset=utf-8"
            )
            return
        if answer is None:
            self.close_connection = True
            return
        self._send(answer[0], answer[1], "text/xml; charset=utf-8")


def _received(fields: dict[str, str], scenario: str) -> SimulatedQuery:
    return SimulatedQuery(
        request_id=fields.get("requestId", ""),
        subject=mask_id(fields.get("querierCertno", "")),
        reason=fields.get("queryReason", ""),
        business_ref=fields.get("bussId", ""),
        operator=fields.get("queryUser", ""),
        authorisation=fields.get("authorNum", ""),
        scenario=scenario,
    )
