"""``nongxin serve`` as its users run it: a real process on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scoring_service.cli.serve import KEEP_ALIVE_SECONDS

pytestmark = pytest.mark.integration
NONGXIN = Path(sys.executable).parent / "nongxin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(conn: socket.socket, path: str) -> bytes:
    """One kept-alive ``GET``; the raw answer (b"" when the server closed the connection)."""
    conn.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = conn.recv(65536)
        if not chunk:
            return answer
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += conn.recv(65536)
    return answer


@pytest.fixture
def served(nongxin_home: Path, tmp_path: Path) -> Iterator[int]:
    """``nongxin serve`` with the default options on a free port (SQLite under the home)."""
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    proc = subprocess.Popen(
        [str(NONGXIN), "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    if _get(conn, "/healthz").startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                pass
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "nongxin serve did not answer in 60 s"
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


def test_an_idle_kept_alive_connection_is_not_closed_under_the_client(served: int) -> None:
    """uvicorn's own default (5 s) closed idle pooled connections of the load test's client,
    whose next request on one then failed; the server now keeps them 75 s."""
    assert KEEP_ALIVE_SECONDS > 60
    with socket.create_connection(("127.0.0.1", served), timeout=10) as conn:
        assert _get(conn, "/healthz").startswith(b"HTTP/1.1 200")
        time.sleep(6.0)  # longer than uvicorn's default keep-alive
        assert _get(conn, "/healthz").startswith(b"HTTP/1.1 200")


def test_start_up_objects_stay_out_of_the_collector_while_the_app_serves() -> None:
    """A served app freezes what start-up loaded (a full collection then scans only what
    requests leave behind) and gives it back to the collector when it stops."""
    import gc

    from scoring_service.api import create_app
    from scoring_service.api.testing import serve_in_thread
    from scoring_service.settings import NongxinSettings

    class Champions:
        def stop(self) -> None:
            pass

    class Started:
        champions = Champions()

        def start(self) -> None:
            pass

    app = create_app(NongxinSettings(), services=Started())  # type: ignore[arg-type]
    with serve_in_thread(app):
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
