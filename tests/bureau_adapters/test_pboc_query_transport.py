"""The bureau-neutral transport: mandatory timeouts, error translation, safe retries, hooks."""

from __future__ import annotations

import gzip
import math
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import requests
import urllib3.exceptions
import zeep.exceptions

from bureau_adapters.exceptions import BureauError, BureauTimeout, BureauTransportError
from bureau_adapters.settings import BureauSettings
from bureau_adapters.transport import (
    Exchange,
    HttpTransport,
    Timeouts,
    translate_exception,
    transport_boundary,
)

ID = "11010519491231002X"


@pytest.mark.parametrize("bad", [None, 0, -1.0, math.inf, math.nan, True, "5"])
@pytest.mark.parametrize("which", ["connect", "read"])
def test_timeouts_are_mandatory_and_positive(which: str, bad: object) -> None:
    values: dict[str, object] = {"connect": 1.0, "read": 1.0, which: bad}
    with pytest.raises(
        ValueError, match=f"The '{which}' timeout of Timeouts must be a number of seconds > 0"
    ):
        Timeouts(**values)  # type: ignore[arg-type]


def test_transport_refuses_to_run_without_timeouts() -> None:
    with pytest.raises(TypeError, match="'timeouts' parameter of HttpTransport must be a Timeouts"):
        HttpTransport(bureau="pboc", timeouts=None)  # type: ignore[arg-type]


def _connection_refused() -> requests.ConnectionError:
    reason = urllib3.exceptions.NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "kind", "code", "sent"),
    [
        (httpx.ConnectError("refused"), BureauTransportError, "PBOC_CONNECT_FAILED", False),
        (httpx.ConnectTimeout("slow handshake"), BureauTimeout, "PBOC_CONNECT_TIMEOUT", False),
        (httpx.PoolTimeout("pool"), BureauTimeout, "PBOC_CONNECT_TIMEOUT", False),
        (httpx.ReadTimeout("slow answer"), BureauTimeout, "PBOC_READ_TIMEOUT", True),
        (httpx.WriteTimeout("slow send"), BureauTimeout, "PBOC_READ_TIMEOUT", True),
        (
            httpx.RemoteProtocolError("disconnected"),
            BureauTransportError,
            "PBOC_CONNECTION_DROPPED",
            True,
        ),
        (httpx.ReadError("reset"), BureauTransportError, "PBOC_CONNECTION_DROPPED", True),
        (httpx.UnsupportedProtocol("ftp"), BureauTransportError, "PBOC_BAD_ENDPOINT", False),
        (requests.ConnectTimeout("slow handshake"), BureauTimeout, "PBOC_CONNECT_TIMEOUT", False),
        (requests.ReadTimeout("slow answer"), BureauTimeout, "PBOC_READ_TIMEOUT", True),
        (_connection_refused(), BureauTransportError, "PBOC_CONNECT_FAILED", False),
        (
            requests.ConnectionError("Connection aborted."),
            BureauTransportError,
            "PBOC_CONNECTION_DROPPED",
            True,
        ),
        (
            zeep.exceptions.Fault("boom", code="soap:Server"),
            BureauTransportError,
            "PBOC_SOAP_FAULT",
            True,
        ),
        (
            zeep.exceptions.TransportError("500", status_code=500),
            BureauTransportError,
            "PBOC_HTTP_STATUS",
            True,
        ),
        (
            zeep.exceptions.XMLSyntaxError("bad xml"),
            BureauTransportError,
            "PBOC_BAD_RESPONSE",
            True,
        ),
    ],
)
def test_third_party_errors_are_translated_once(
    exc: Exception, kind: type[BureauError], code: str, sent: bool
) -> None:
    with pytest.raises(kind, match="pboc") as info, transport_boundary("pboc", request_id="r1"):
        raise exc
    assert info.value.code == code
    assert info.value.fields["request_sent"] is sent
    assert info.value.fields["request_id"] == "r1"
    assert info.value.__cause__ is exc


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@pytest.mark.parametrize(
    "cls", sorted(set(_subclasses(httpx.TransportError)), key=lambda c: c.__name__)
)
def test_every_httpx_transport_error_is_mapped(cls: type[Exception]) -> None:
    mapped = translate_exception(cls("x"), bureau="qianhai")
    assert mapped is not None
    assert mapped.code.startswith("QIANHAI_")
    assert mapped.code != "QIANHAI_TRANSPORT"  # each has a specific code
    assert isinstance(mapped.fields["request_sent"], bool)


def test_other_exceptions_pass_through() -> None:
    assert translate_exception(ValueError("bug"), bureau="pboc") is None
    with pytest.raises(ValueError, match="bug"), transport_boundary("pboc"):
        raise ValueError("bug")


def test_translated_messages_are_masked() -> None:
    mapped = translate_exception(httpx.ReadTimeout(f"no answer for {ID}"), bureau="pboc")
    assert mapped is not None
    assert ID not in mapped.message
    assert "110105********002X" in mapped.message


class CountingHook:
    def __init__(self) -> None:
        self.requests: list[Exchange] = []
        self.errors: list[str] = []

    def on_request(self, exchange: Exchange) -> None:
        self.requests.append(exchange)

    def on_response(self, exchange: Exchange) -> None:
        raise RuntimeError("a broken hook must not break the call")

    def on_error(self, exchange: Exchange, error: BureauError) -> None:
        self.errors.append(error.code)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.integration
def test_connect_refused_is_retried_because_nothing_was_sent() -> None:
    hook = CountingHook()
    transport = HttpTransport(
        bureau="pboc",
        timeouts=Timeouts(1, 1),
        hooks=[hook],
        connect_retries=2,
        retry_backoff_s=0.01,
    )
    with (
        transport,
        pytest.raises(BureauTransportError, match="before the request was sent") as info,
    ):
        transport.post(f"http://127.0.0.1:{_free_port()}/x", b"<a/>", {}, request_id="r1")
    assert info.value.code == "PBOC_CONNECT_FAILED"
    assert [e.attempt for e in hook.requests] == [1, 2, 3]
    assert hook.errors == ["PBOC_CONNECT_FAILED"] * 3


@pytest.mark.integration
def test_read_timeout_is_never_retried() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # the kernel completes handshakes; nobody ever answers
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    hook = CountingHook()
    transport = HttpTransport(
        bureau="pboc", timeouts=Timeouts(1, 0.2), hooks=[hook], connect_retries=3
    )
    try:
        with pytest.raises(BureauTimeout, match="may have been processed") as info:
            transport.post(f"http://127.0.0.1:{listener.getsockname()[1]}/x", b"<a/>", {})
    finally:
        transport.close()
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()
    assert info.value.code == "PBOC_READ_TIMEOUT"
    assert len(hook.requests) == 1
    assert len(accepted) == 1


class _BigAnswer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<a>" + b"x" * 200_000 + b"</a>"
        packed = self.path == "/gzip"
        if packed:
            body = gzip.compress(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        if packed:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def big_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BigAnswer)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.mark.integration
@pytest.mark.parametrize("path", ["/plain", "/gzip"])
def test_oversized_answers_are_refused_also_when_compressed(big_server: str, path: str) -> None:
    with HttpTransport(bureau="pboc", timeouts=Timeouts(1, 5)) as transport:
        response = transport.post(big_server + path, b"<q/>", {})
        assert len(response.content) == 200_007  # decoded, headers consistent
        assert "content-encoding" not in response.headers
    with (
        HttpTransport(
            bureau="pboc", timeouts=Timeouts(1, 5), max_response_bytes=100_000
        ) as transport,
        pytest.raises(BureauTransportError, match="exceeds 100,000 bytes") as info,
    ):
        transport.post(big_server + path, b"<q/>", {})
    assert info.value.code == "PBOC_RESPONSE_TOO_LARGE"
    assert info.value.fields["request_sent"] is True


def _tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate for 127.0.0.1 it signed: (ca, cert, key)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(name("bank private CA")).issuer_name(name("bank private CA"))
        .public_key(ca_key.public_key()).serial_number(1).not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    cert = (
        x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(2).not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = (folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    import ssl

    ca, cert, key = _tls_files(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/", ca
    finally:
        server.shutdown()
        server.server_close()


def test_a_private_ca_bundle_is_trusted(tls_server: tuple[str, Path]) -> None:
    url, ca = tls_server
    with HttpTransport(bureau="pboc", timeouts=Timeouts(2, 5), ca_bundle=ca) as transport:
        assert transport.get(url).content == b"hello"
    with (
        HttpTransport(bureau="pboc", timeouts=Timeouts(2, 5), connect_retries=0) as transport,
        pytest.raises(BureauTransportError, match="CERTIFICATE_VERIFY_FAILED") as info,
    ):
        transport.get(url)  # the standard trust store does not know the bank's CA
    assert (info.value.code, info.value.fields["request_sent"]) == ("PBOC_CONNECT_FAILED", False)


def test_an_unreadable_ca_bundle_is_a_coded_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "not.pem").write_text("not a certificate")
    with pytest.raises(BureauTransportError, match=r"CA bundle 'not\.pem'") as info:
        HttpTransport(bureau="qianhai", timeouts=Timeouts(2, 5), ca_bundle=tmp_path / "not.pem")
    assert info.value.code == "QIANHAI_CA_BUNDLE"
    monkeypatch.setenv("NONGXIN_BUREAU_CA_BUNDLE", str(tmp_path / "not.pem"))
    assert BureauSettings().ca_bundle == tmp_path / "not.pem"
