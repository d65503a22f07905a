"""Bureau-neutral transport: the only I/O of the adapters.

Every bureau client (PBOC SOAP through zeep, Qianhai HTTPS JSON) sends through
:class:`HttpTransport`, which

* always has a connect and a read timeout (:class:`Timeouts`; ``None`` is refused);
* translates third-party exceptions (httpx, requests, zeep) **once**, here, into
  :class:`~bureau_adapters.exceptions.BureauTimeout` or
  :class:`~bureau_adapters.exceptions.BureauTransportError` with a stable code
  (``<BUREAU>_CONNECT_FAILED``, ``<BUREAU>_READ_TIMEOUT``, ``<BUREAU>_CONNECTION_DROPPED`` ...)
  and the field ``request_sent`` (could the bureau have seen, and billed, the request?);
* retries automatically only when ``request_sent`` is ``False`` (connect refused, connect
  timeout), so a retry can never produce a second billable query;
* calls :class:`TransportHook` objects around each attempt (logging, metrics). Messages of
  translated errors and of :class:`LoggingHook` are passed through
  :func:`bureau_adapters.pii.mask_text`, so ID and phone numbers never reach a log line.

>>> Timeouts(connect=3, read=20).read
20.0
>>> Timeouts(connect=3, read=None)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
ValueError: The 'read' timeout of Timeouts must be a number of seconds > 0. Got None.
"""

from __future__ import annotations

import logging
import math
import ssl
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import httpx

from bureau_adapters.exceptions import BureauError, BureauTimeout, BureauTransportError
from bureau_adapters.pii import mask_text

__all__ = [
    "Exchange",
    "HttpTransport",
    "LoggingHook",
    "Timeouts",
    "TransportHook",
    "translate_exception",
    "transport_boundary",
    "trust_store",
]

logger = logging.getLogger(__name__)

_MAX_DETAIL = 300


@dataclass(frozen=True)
class Timeouts:
    """Connect and read timeouts in seconds; both mandatory, finite and > 0."""

    connect: float
    read: float

    def __post_init__(self) -> None:
        for name in ("connect", "read"):
            value = getattr(self, name)
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or value <= 0:
                raise ValueError(
                    f"The {name!r} timeout of Timeouts must be a number of seconds > 0. "
                    f"Got {value!r}."
                )
            object.__setattr__(self, name, float(value))

    def as_httpx(self) -> httpx.Timeout:
        """The same limits as an :class:`httpx.Timeout` (write = read, pool = connect)."""
        return httpx.Timeout(
            connect=self.connect, read=self.read, write=self.read, pool=self.connect
        )


@dataclass(frozen=True)
class Exchange:
    """One HTTP attempt as hooks see it: no bodies, so nothing personal."""

    bureau: str
    method: str
    url: str
    request_id: str
    attempt: int
    request_bytes: int
    status_code: int | None = None
    response_bytes: int | None = None
    elapsed_s: float | None = None


class TransportHook(Protocol):
    """Called around every attempt; hooks must not raise."""

    def on_request(self, exchange: Exchange) -> None:
        """Before the attempt is sent."""

    def on_response(self, exchange: Exchange) -> None:
        """After a response (any HTTP status) was read."""

    def on_error(self, exchange: Exchange, error: BureauError) -> None:
        """After the attempt failed with a translated error."""


class LoggingHook:
    """Logs one masked line per attempt: DEBUG before, INFO after, WARNING on errors."""

    def __init__(self, log: logging.Logger | None = None) -> None:
        self._log = log or logger

    def _emit(self, level: int, exchange: Exchange, tail: str) -> None:
        head = (
            f"{exchange.bureau} {exchange.method} {exchange.url} request_id={exchange.request_id}"
        )
        self._log.log(level, mask_text(f"{head} {tail}"))

    def on_request(self, exchange: Exchange) -> None:
        self._emit(logging.DEBUG, exchange, f"attempt={exchange.attempt}")

    def on_response(self, exchange: Exchange) -> None:
        tail = f"status={exchange.status_code} bytes={exchange.response_bytes}"
        self._emit(logging.INFO, exchange, f"{tail} elapsed_ms={_ms(exchange.elapsed_s)}")

    def on_error(self, exchange: Exchange, error: BureauError) -> None:
        tail = f"error[{error.code}] {error.message}"
        self._emit(logging.WARNING, exchange, f"{tail} elapsed_ms={_ms(exchange.elapsed_s)}")


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}"


def _detail(exc: BaseException) -> str:
    text = mask_text(str(exc) or type(exc).__name__)
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "…"


@dataclass(frozen=True)
class _Rule:
    """Exceptions of ``types`` become ``kind`` with code ``<BUREAU>_<suffix>``."""

    types: tuple[type[BaseException], ...]
    kind: type[BureauError]
    suffix: str
    what: str
    request_sent: bool


_NOT_SENT = "connection failed before the request was sent"
_DROPPED = "connection dropped after the request was sent"
_MAYBE_PROCESSED = "read timeout; the request may have been processed"

_T, _E = BureauTimeout, BureauTransportError

# Order matters: the first matching rule wins (subclasses before their bases).
_HTTPX_RULES = (
    _Rule(
        (httpx.ConnectTimeout, httpx.PoolTimeout), _T, "CONNECT_TIMEOUT", "connect timeout", False
    ),
    _Rule((httpx.ReadTimeout, httpx.WriteTimeout), _T, "READ_TIMEOUT", _MAYBE_PROCESSED, True),
    _Rule((httpx.TimeoutException,), _T, "TIMEOUT", "timeout", True),
    _Rule((httpx.ConnectError,), _E, "CONNECT_FAILED", _NOT_SENT, False),
    _Rule(
        (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL),
        _E,
        "BAD_ENDPOINT",
        "request could not be built for the endpoint",
        False,
    ),
    _Rule((httpx.ProxyError,), _E, "PROXY_FAILED", "proxy failed", True),
    _Rule((httpx.NetworkError, httpx.ProtocolError), _E, "CONNECTION_DROPPED", _DROPPED, True),
    _Rule((httpx.HTTPError, httpx.StreamError), _E, "TRANSPORT", "transport error", True),
)


def _requests_rules() -> tuple[_Rule, ...]:
    import requests

    return (
        _Rule((requests.ConnectTimeout,), _T, "CONNECT_TIMEOUT", "connect timeout", False),
        _Rule((requests.Timeout,), _T, "READ_TIMEOUT", _MAYBE_PROCESSED, True),
        _Rule((requests.ConnectionError,), _E, "CONNECTION_DROPPED", _DROPPED, True),
        _Rule((requests.RequestException,), _E, "TRANSPORT", "transport error", True),
    )


def _zeep_rules() -> tuple[_Rule, ...]:
    import zeep.exceptions as zx

    return (
        _Rule((zx.Fault,), _E, "SOAP_FAULT", "answered with a SOAP fault", True),
        _Rule((zx.TransportError,), _E, "HTTP_STATUS", "answered an HTTP error status", True),
        _Rule((zx.Error,), _E, "BAD_RESPONSE", "answered a message not matching the WSDL", True),
    )


def _refused_before_sending(exc: BaseException) -> bool:
    """requests wraps 'connection refused' as MaxRetryError(reason=NewConnectionError)."""
    import urllib3.exceptions

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _apply(rule: _Rule, exc: Exception, bureau: str) -> BureauError:
    fields: dict[str, Any] = {"bureau": bureau, "request_sent": rule.request_sent}
    suffix, what = rule.suffix, rule.what
    if suffix == "CONNECTION_DROPPED" and _refused_before_sending(exc):
        suffix, what, fields["request_sent"] = "CONNECT_FAILED", _NOT_SENT, False
    status = getattr(exc, "status_code", None)
    if suffix == "HTTP_STATUS":
        fields["status_code"] = status
    if suffix == "SOAP_FAULT":
        fields["fault_code"] = str(getattr(exc, "code", "") or "")
    message = f"{bureau} {what} ({type(exc).__name__}: {_detail(exc)})"
    return rule.kind(message, code=f"{bureau.upper()}_{suffix}", **fields)


def translate_exception(exc: Exception, *, bureau: str) -> BureauError | None:
    """The :class:`BureauError` for a third-party exception, or ``None`` if it is not one.

    Parameters
    ----------
    exc : Exception
        An exception raised by httpx, requests/urllib3 or zeep.
    bureau : str
        Bureau name (``"pboc"``, ``"qianhai"``); it prefixes the error code.

    Examples
    --------
    >>> err = translate_exception(httpx.ReadTimeout("timed out"), bureau="pboc")
    >>> err.code, err.fields["request_sent"]
    ('PBOC_READ_TIMEOUT', True)
    """
    if isinstance(exc, BureauError):
        return exc
    for rule in (*_HTTPX_RULES, *_requests_rules(), *_zeep_rules()):
        if isinstance(exc, rule.types):
            return _apply(rule, exc, bureau)
    return None


@contextmanager
def transport_boundary(bureau: str, **fields: Any) -> Iterator[None]:
    """Translate httpx/requests/zeep exceptions raised inside into coded bureau errors."""
    try:
        yield
    except BureauError:
        raise
    except Exception as exc:
        mapped = translate_exception(exc, bureau=bureau)
        if mapped is None:
            raise
        mapped.fields.update(fields)
        raise mapped from exc


def trust_store(ca_bundle: Path | None, *, bureau: str) -> ssl.SSLContext | bool:
    """The TLS verification of a transport: ``True`` (default trust store) or a context
    trusting exactly the CAs of ``ca_bundle`` (a coded error if it is not a PEM bundle)."""
    if ca_bundle is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(ca_bundle))
    except (OSError, ssl.SSLError) as exc:
        raise BureauTransportError(
            f"The {bureau} CA bundle {Path(ca_bundle).name!r} cannot be read as PEM "
            f"certificates ({type(exc).__name__}).",
            code=f"{bureau.upper()}_CA_BUNDLE",
            bureau=bureau,
            field="ca_bundle",
            request_sent=False,
        ) from exc


@dataclass
class HttpTransport:
    """HTTP transport of one bureau with mandatory timeouts, hooks and safe retries.

    Parameters
    ----------
    bureau : str
        Bureau name used in error codes and hooks.
    timeouts : Timeouts
        Connect and read timeouts; there is no default.
    hooks : sequence of TransportHook
        Called around each attempt (a :class:`LoggingHook` is a good start).
    connect_retries : int
        Extra attempts after an error with ``request_sent=False``. Read timeouts and
        dropped connections are never retried: the bureau may have billed the query.
    retry_backoff_s : float
        Pause before each retry (doubled each time).
    max_response_bytes : int
        Larger answers are refused (``<BUREAU>_RESPONSE_TOO_LARGE``) without being held.
    ca_bundle : Path, optional
        PEM file of the certificate authorities trusted for HTTPS to this bureau (a bank's
        private CA in front of the 征信前置, Qianhai's chain); default: the system's trust
        store as bundled with httpx (certifi). Checked at construction
        (``<BUREAU>_CA_BUNDLE``).
    """

    bureau: str
    timeouts: Timeouts
    hooks: Sequence[TransportHook] = ()
    connect_retries: int = 1
    retry_backoff_s: float = 0.05
    max_response_bytes: int = 64 * 1024 * 1024
    ca_bundle: Path | None = None
    _client: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.timeouts, Timeouts):
            raise TypeError(
                f"The 'timeouts' parameter of HttpTransport must be a Timeouts. Got {self.timeouts!r}."
            )
        if not 0 <= self.connect_retries <= 3:
            raise ValueError(
                "The 'connect_retries' parameter of HttpTransport must be an int in [0, 3]. "
                f"Got {self.connect_retries!r}."
            )
        self._client = httpx.Client(
            timeout=self.timeouts.as_httpx(),
            follow_redirects=False,
            trust_env=False,
            verify=trust_store(self.ca_bundle, bureau=self.bureau),
        )

    def post(
        self, url: str, content: bytes, headers: Mapping[str, str], *, request_id: str = "-"
    ) -> httpx.Response:
        """POST ``content``; return the response whatever its HTTP status."""
        return self._send("POST", url, content, headers, request_id)

    def get(
        self, url: str, *, headers: Mapping[str, str] | None = None, request_id: str = "-"
    ) -> httpx.Response:
        """GET ``url``; return the response whatever its HTTP status."""
        return self._send("GET", url, b"", headers or {}, request_id)

    def _send(
        self, method: str, url: str, content: bytes, headers: Mapping[str, str], request_id: str
    ) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            exchange = Exchange(self.bureau, method, url, request_id, attempt, len(content))
            try:
                return self._attempt(exchange, content, headers)
            except BureauError as error:
                if error.fields.get("request_sent", True) or attempt > self.connect_retries:
                    raise
                time.sleep(self.retry_backoff_s * 2 ** (attempt - 1))

    def _attempt(
        self, exchange: Exchange, content: bytes, headers: Mapping[str, str]
    ) -> httpx.Response:
        self._call("on_request", exchange)
        started = time.perf_counter()
        try:
            with transport_boundary(
                self.bureau, request_id=exchange.request_id, attempt=exchange.attempt
            ):
                response = self._receive(exchange, content, headers)
        except BureauError as error:
            self._call(
                "on_error", replace(exchange, elapsed_s=time.perf_counter() - started), error
            )
            raise
        done = replace(
            exchange,
            status_code=response.status_code,
            response_bytes=len(response.content),
            elapsed_s=time.perf_counter() - started,
        )
        self._call("on_response", done)
        return response

    def _receive(
        self, exchange: Exchange, content: bytes, headers: Mapping[str, str]
    ) -> httpx.Response:
        """Send and read the answer, refusing bodies over ``max_response_bytes``."""
        request = self._client.build_request(
            exchange.method, exchange.url, content=content or None, headers=dict(headers)
        )
        response = self._client.send(request, stream=True)
        try:
            body = bytearray()
            for chunk in response.iter_bytes():  # decoded: a gzip bomb counts in full
                body += chunk
                if len(body) > self.max_response_bytes:
                    raise BureauTransportError(
                        f"{self.bureau} answer exceeds {self.max_response_bytes:,} bytes; refused.",
                        code=f"{self.bureau.upper()}_RESPONSE_TOO_LARGE",
                        bureau=self.bureau,
                        request_sent=True,
                        limit=self.max_response_bytes,
                    )
        finally:
            response.close()
        kept = [
            (key, value)
            for key, value in response.headers.multi_items()
            if key.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code, headers=kept, content=bytes(body), request=request
        )

    def _call(self, name: str, exchange: Exchange, *args: Any) -> None:
        for hook in self.hooks:
            try:
                getattr(hook, name)(exchange, *args)
            except Exception:  # a broken hook must not turn a report into an error
                logger.exception("transport hook %s.%s failed", type(hook).__name__, name)

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def __enter__(self) -> HttpTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
