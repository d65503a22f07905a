"""A Qianhai simulator: a real HTTP server on loopback speaking the vendor's envelope.

It has its own RSA key pair (Qianhai's signing key), its own 24-character check code, user
and password, and the public key of the institution it serves, generated at construction.
It answers from a sandbox province: the subject is looked up by ID number and name in
``households.parquet``, the answer read from ``reports/qianhai/<household_id>.json``.
Scenarios (see :mod:`bureau_adapters.qianhai.responder`) apply to every request or to the
requests about one ID number, so one server serves several cases at once.

>>> with QianhaiSimulator(province_dir, scenario="hit") as sim:     # doctest: +SKIP
...     sim.set_scenario("daily_limit", id_number="11010519491231002X")
...     result = sim.client(gate).query("8005", subject, bank_code="301", reason="01",
...                                     business_ref="LN-1", operator="clerk01")
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import string
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from bureau_adapters.loopback import LoopbackHandler, LoopbackHTTPServer, LoopbackServer
from bureau_adapters.pii import mask_text
from bureau_adapters.qianhai import crypto
from bureau_adapters.qianhai.errors import QianhaiConfigError
from bureau_adapters.qianhai.responder import NAME_MISMATCH, SCENARIOS, Responder, VendorIdentity
from bureau_adapters.qianhai.settings import QianhaiCredentials, QianhaiIdentity
from bureau_adapters.transport import Timeouts

if TYPE_CHECKING:
    from bureau_adapters.compliance.gate import ComplianceGate
    from bureau_adapters.qianhai.client import QianhaiClient

__all__ = ["SCENARIOS", "ProvinceQianhai", "QianhaiSimulator"]

logger = logging.getLogger(__name__)

SIM_CHANNEL, SIM_AUTH_CODE, SIM_AUTH_DATE = "nongxin-sim", "CRT0000000001", "2026-01-01 00:00:00"
_MAX_BODY = 1 << 20  # larger requests get E000041 packet too large
_ALPHABET = string.ascii_letters + string.digits


class ProvinceQianhai:
    """Looks subjects up in a sandbox province and reads their Qianhai results."""

    def __init__(self, province_dir: Path) -> None:
        import pandas as pd

        self.province_dir = Path(province_dir)
        path = self.province_dir / "households.parquet"
        try:
            frame = pd.read_parquet(path, columns=["household_id", "id_number", "head_name"])
        except (OSError, ValueError, KeyError) as exc:
            raise QianhaiConfigError(
                f"The Qianhai simulator needs a sandbox province: cannot read {path.name} "
                f"in {self.province_dir}.",
                code="QH_SIM_PROVINCE",
                field="province_dir",
            ) from exc
        ids = frame["id_number"].astype(str).str.strip().str.upper()
        self._by_id = dict(
            zip(ids, zip(frame["household_id"], frame["head_name"], strict=True), strict=True)
        )

    def __call__(self, id_number: str, name: str) -> Mapping[str, Any] | None:
        """The household's results by product code, ``None`` for an unknown ID number, or
        :data:`~bureau_adapters.qianhai.responder.NAME_MISMATCH` for a known ID number with
        another name."""
        entry = self._by_id.get(id_number.strip().upper())
        if entry is None:
            return None
        if entry[1] != name:
            return NAME_MISMATCH
        path = self.province_dir / "reports" / "qianhai" / f"{entry[0]}.json"
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return found if isinstance(found, dict) else None


class _Server(LoopbackHTTPServer):
    responder: Responder
    stopping: threading.Event

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("qianhai simulator: connection error from %s", client_address[0])


class _Handler(LoopbackHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self._send(413, b'{"header":{"rtCode":"E000041"}}', "application/json")
            return
        body = self.rfile.read(length)
        answer = self.server.responder.respond(
            self.path, self.headers.get("Content-Type", ""), body
        )
        if answer.delay_s and self.server.stopping.wait(answer.delay_s):
            self.close_connection = True
            return
        self._send(answer.status, answer.body, answer.content_type)

    def do_GET(self) -> None:
        self._send(405, b"POST only", "text/plain")

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("qianhai simulator: " + mask_text(format % args))


class QianhaiSimulator(LoopbackServer):
    """The simulator server; a context manager that starts and stops it.

    Parameters
    ----------
    province_dir : Path
        A sandbox province folder (``households.parquet``, ``reports/qianhai/``).
    host, port : str, int
        Where to listen; port 0 picks a free port.
    scenario : str
        Default scenario, one of :data:`SCENARIOS`.
    slow_seconds : float
        Delay of the ``slow`` scenario.
    daily_limit : int, optional
        Requests after which every call gets ``E900006``.
    client_dir : Path, optional
        On :meth:`start`, write the matching client key, Qianhai's public key, check code,
        password and a ``client.env`` (``NONGXIN_QIANHAI_*`` lines) here, so a client in
        another process (``nongxin bureau qianhai``) can talk to this simulator.
    """

    def __init__(
        self,
        province_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        scenario: str = "hit",
        slow_seconds: float = 3.0,
        daily_limit: int | None = None,
        org_code: str = "91440300SIM0000001",
        user_name: str = "nongxin-sim",
        client_dir: Path | None = None,
    ) -> None:
        super().__init__(host=host, port=port)
        self.client_dir = client_dir
        self.org_code, self.user_name = org_code, user_name
        self._check_code = "".join(secrets.choice(_ALPHABET) for _ in range(24))
        self._password = secrets.token_urlsafe(18)
        self._client_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._vendor_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        identity = VendorIdentity(
            org_code=org_code,
            user_name=user_name,
            password_sha1=crypto.password_digest(self._password),
            check_code=self._check_code,
            client_public_key=self._client_key.public_key(),
            vendor_private_key=self._vendor_key,
        )
        self.responder = Responder(
            identity,
            ProvinceQianhai(province_dir),
            scenario=scenario,
            slow_seconds=slow_seconds,
            daily_limit=daily_limit,
        )

    # --- life cycle (bind, start, serve_forever, stop: LoopbackServer) ----------------------
    name = "Qianhai simulator"

    def make_server(self, address: tuple[str, int]) -> _Server:
        server = _Server(address, _Handler)
        server.responder = self.responder
        server.stopping = self.stopping
        return server

    def start(self) -> str:
        """Serve in a background thread; return the base URL (and write ``client_dir``)."""
        url = super().start()
        if self.client_dir is not None:
            self.write_client_env(self.client_dir)
        return url

    def write_client_env(self, folder: Path) -> Path:
        """Write the client files and ``folder/client.env`` (``NONGXIN_QIANHAI_*=...``
        lines, the base URL included once started) for a client in another process."""
        env = self.write_client_files(folder)
        lines = [f"{name}={value}" for name, value in env.items()]
        path = Path(folder) / "client.env"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        return path

    # --- scenarios and what a client needs ---------------------------------------------------

    def set_scenario(self, scenario: str, id_number: str | None = None) -> None:
        """Switch the default scenario, or the scenario of one ID number."""
        self.responder.set_scenario(scenario, id_number)

    @property
    def calls(self) -> list[dict[str, Any]]:
        """One entry per request: transNo, product, scenario (no personal data)."""
        return list(self.responder.calls)

    def client_credentials(self) -> QianhaiCredentials:
        """The institution-side secrets that match this simulator."""
        return QianhaiCredentials(
            check_code=SecretStr(self._check_code),
            password_sha1=crypto.password_digest(self._password),
            private_key=self._client_key,
            vendor_public_key=self._vendor_key.public_key(),
        )

    def client(
        self,
        gate: ComplianceGate,
        *,
        timeouts: Timeouts | None = None,
        max_retries: int = 2,
        retry_backoff_s: float = 0.01,
    ) -> QianhaiClient:
        """A :class:`QianhaiClient` wired to this (started) simulator and ``gate``."""
        from bureau_adapters.qianhai.client import QianhaiClient

        return QianhaiClient(
            endpoint=self.base_url,
            identity=QianhaiIdentity(
                org_code=self.org_code,
                chnl_id=SIM_CHANNEL,
                auth_code=SIM_AUTH_CODE,
                auth_date=SIM_AUTH_DATE,
                user_name=self.user_name,
            ),
            credentials=self.client_credentials(),
            gate=gate,
            timeouts=timeouts or Timeouts(connect=2.0, read=5.0),
            max_retries=max_retries,
            retry_backoff_s=retry_backoff_s,
        )

    def write_client_files(self, folder: Path) -> dict[str, str]:
        """Write the client's key, Qianhai's public key, check code and password to files.

        Returns the ``NONGXIN_QIANHAI_*`` environment that points a client at them (files
        are created with mode 0600; the values themselves are never in the mapping).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            "client_key.pem": self._client_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            "qianhai_public.pem": self._vendor_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            "check_code.txt": self._check_code.encode(),
            "password.txt": self._password.encode(),
        }
        for name, data in files.items():
            path = folder / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        env = {
            "NONGXIN_QIANHAI_ORG_CODE": self.org_code,
            "NONGXIN_QIANHAI_CHNL_ID": SIM_CHANNEL,
            "NONGXIN_QIANHAI_AUTH_CODE": SIM_AUTH_CODE,
            "NONGXIN_QIANHAI_AUTH_DATE": SIM_AUTH_DATE,
            "NONGXIN_QIANHAI_USER_NAME": self.user_name,
            "NONGXIN_QIANHAI_PRIVATE_KEY_FILE": str(folder / "client_key.pem"),
            "NONGXIN_QIANHAI_VENDOR_CERT_FILE": str(folder / "qianhai_public.pem"),
            "NONGXIN_QIANHAI_CHECK_CODE_FILE": str(folder / "check_code.txt"),
            "NONGXIN_QIANHAI_PASSWORD_FILE": str(folder / "password.txt"),
        }
        if self._server is not None:
            env["NONGXIN_QIANHAI_BASE_URL"] = self.base_url
        return env
