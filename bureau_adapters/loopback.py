"""The life cycle every bureau simulator shares: a threaded HTTP server on loopback.

:class:`LoopbackServer` binds on first use, serves in a background thread (:meth:`start`, the
context manager) or in the calling thread (:meth:`serve_forever`, the CLI), and stops from
any thread (:meth:`stop`): it interrupts slow answers (:attr:`stopping`), leaves the serve
loop only if one runs (a server that was bound but never started is just closed, so
``stop()`` never waits on a ``shutdown()`` nobody will acknowledge), and frees the port.
Subclasses give the request handler and a name (:meth:`make_server`).

>>> from http.server import BaseHTTPRequestHandler
>>> class Echo(LoopbackServer):
...     name = "echo"
...     def make_server(self, address):
...         return LoopbackHTTPServer(address, BaseHTTPRequestHandler)
>>> server = Echo()
>>> server.start().startswith("http://127.0.0.1:")
True
>>> server.stop(); server.serving
False
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from bureau_adapters.exceptions import BureauError

__all__ = ["LoopbackHTTPServer", "LoopbackHandler", "LoopbackServer"]


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server whose handler threads never keep the process alive."""

    daemon_threads = True
    block_on_close = False


class LoopbackHandler(BaseHTTPRequestHandler):
    """Request handler base of the simulators: whole answers, a vanished client tolerated."""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client went away (read timeout): nothing to answer
            self.close_connection = True


class LoopbackServer:
    """Bind, start, serve and stop one HTTP server on ``host:port`` (port 0: a free one)."""

    name = "simulator"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.stopping = threading.Event()  # set by stop(): slow answers give up waiting
        self._serving = threading.Event()
        self._life = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def make_server(self, address: tuple[str, int]) -> ThreadingHTTPServer:
        """The server to bind at ``address`` (subclasses set its handler and state)."""
        raise NotImplementedError

    def on_bind(self) -> None:
        """Called once before each bind (e.g. load the data to answer from)."""

    @property
    def base_url(self) -> str:
        """``http://host:port`` once bound."""
        server = self._server
        if server is None:
            raise BureauError(f"The {self.name} is not started.", code="SIMULATOR_STOPPED")
        return f"http://{self.host}:{server.server_address[1]}"

    @property
    def serving(self) -> bool:
        """True while the serve loop runs (in the background or the foreground)."""
        return self._serving.is_set()

    def _bind(self) -> ThreadingHTTPServer:
        with self._life:
            if self._server is None:
                self.on_bind()
                self.stopping.clear()
                self._server = self.make_server((self.host, self.port))
            return self._server

    def start(self) -> str:
        """Serve in a background thread; return the base URL."""
        server = self._bind()
        with self._life:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, args=(server, 0.05), name=self.name, daemon=True
                )
                self._thread.start()
        return self.base_url

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (Ctrl-C) or :meth:`stop`."""
        try:
            self._serve(self._bind(), 0.2)
        finally:
            self.stop()

    def _serve(self, server: ThreadingHTTPServer, poll_interval: float) -> None:
        self._serving.set()
        try:
            server.serve_forever(poll_interval=poll_interval)
        finally:
            self._serving.clear()

    def stop(self) -> None:
        """Stop serving, interrupt slow answers and free the port (from any thread)."""
        self.stopping.set()
        with self._life:
            server, thread = self._server, self._thread
            self._server, self._thread = None, None
        if server is None:
            return
        if thread is not None or self._serving.is_set():
            server.shutdown()  # returns once serve_forever has left its loop
        if thread is not None:
            thread.join(timeout=5)
        server.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __getstate__(self) -> dict[str, Any]:  # pragma: no cover - servers do not pickle
        raise TypeError(f"A {self.name} cannot be pickled.")
