"""Load test of ``nongxin serve`` on loopback, beside ``mlflow models serve`` on the same card.

Set-up (in a temporary NONGXIN_HOME): a sandbox province, a champion trained on it and
registered in the embedded MLflow registry, the PBOC simulator, bank 301 with an API key and a
consent per household, and one rating per household first so every report is in the store.
Then, for each decision store — the embedded SQLite file (the zero-setup default) and, when
it answers, PostgreSQL (the production store; a fresh database ``nongxin_bench_<pid>`` created
through ``--postgres-admin-url`` and dropped at the end) — and for ``nongxin serve --workers 1``
and ``--workers 2``:

* full rating (``POST /v1/ratings``: consent check, report reused from the store, parse,
  features, champion, knockouts, grade, limit, decision persisted) — wrk at concurrency 1 and
  8 (closed loop), and ``--open-loop-runs`` runs of an open-loop client at ``--rate``
  requests/s (p50/p99, errors by kind);
* scoring only (``POST /v1/scores``: the decide stage on a given input row) — wrk at 1 and 8;

and ``mlflow models serve --env-manager local`` of the same registered version (``POST
/invocations``, one row) — wrk at 1 and 8. Every run is bounded in time (``--seconds``) and
the open-loop client in count too. Needs ``wrk`` (``apt-get install -y wrk``). The subject
HMAC key PostgreSQL requires is ``NONGXIN_BUREAU_SUBJECT_HASH_KEY`` when set, else a random
one for the run.

    MLFLOW_DISABLE_TELEMETRY=true .venv/bin/python benchmarks/service_load.py
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"
BIN = Path(sys.executable).parent
LUA = """
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do bodies[#bodies + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("API_KEY") or ""
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, os.getenv("TARGET_PATH"), nil, bodies[i])
end
"""


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn workers, mlflow's server processes)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += parents.get(current, [])
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants (Linux ``/proc``)."""
    total = 0
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: the server exited with status {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} not ready after {seconds:.0f}s")


@contextmanager
def process(
    cmd: list[str], env: dict[str, str], ready_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    log = Path(tempfile.gettempdir()) / f"nongxin-load-{os.getpid()}.log"
    print(f"{cmd[0]} log: {log}", file=sys.stderr, flush=True)
    with log.open("ab") as sink:
        proc = subprocess.Popen(cmd, env=env, stdout=sink, stderr=sink)
    try:
        wait_ready(ready_url, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def wrk(
    url: str, path: str, bodies: Path, key: str, conns: int, seconds: int, lua: Path
) -> dict[str, Any]:
    env = {**os.environ, "BODIES": str(bodies), "API_KEY": key, "TARGET_PATH": path}
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{conns}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "5s",
            "-s",
            str(lua),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if "50" not in pct or "99" not in pct:
        raise SystemExit(f"wrk gave no latency distribution:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "conns": conns,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(pct["50"]),
        "p99_ms": _ms(pct["99"]),
        "requests": int(total.group(1)) if total else 0,
        "errors": (int(non2xx.group(1)) if non2xx else 0)
        + (sum(map(int, sock.groups())) if sock else 0),
    }


def probe_ms() -> float:
    """CPU milliseconds of a fixed pure-Python loop (a million additions) in this process:
    how fast the machine runs Python right now. On the shared 2-core machine it varies by a
    factor of two from one minute to the next, which the load average does not show."""
    start = time.process_time()
    total = 0
    for i in range(1_000_000):
        total += i
    return (time.process_time() - start) * 1e3


def measured(pid: int, run: Any) -> dict[str, Any]:
    """``run()``'s result with the load average and the machine's speed (:func:`probe_ms`)
    before it, and the server's CPU time per answered request (all its processes), which
    the machine's other jobs disturb far less than wall-clock latency."""
    load = os.getloadavg()[0]
    probe = probe_ms()
    before = cpu_seconds(pid)
    out = dict(run())
    out["cpu_ms"] = (cpu_seconds(pid) - before) / max(out["requests"], 1) * 1e3
    out["load"] = load
    out["probe_ms"] = probe
    return out


async def _exchange(
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes
) -> tuple[str, bool]:
    """One HTTP/1.1 request on a kept-alive connection: the answer's status code, and whether
    the connection may be reused (not when the server said ``Connection: close``)."""
    reader, writer = conn
    writer.write(request)
    await writer.drain()
    status = await reader.readline()
    length, keep = 0, True
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            keep = False
    await reader.readexactly(length)
    code = status.split(b" ", 2)[1:2]
    return (code[0].decode() if code else "no status"), keep


async def _open_loop(
    url: str, bodies: list[str], key: str, rate: float, seconds: float, max_in_flight: int = 64
) -> dict[str, Any]:
    """Requests sent on a fixed schedule (request i at start + i/rate) whatever the answers,
    on up to ``max_in_flight`` kept-alive connections; latency counts from the scheduled
    time (no coordinated omission). A request due while every connection is busy is shed
    and counted as an error, never queued. Like any connection pool, a kept-alive connection
    the server has closed is not reused; every failure is counted by kind (status code or
    exception). Plain asyncio streams: the client must cost far less CPU than the server on
    the shared cores."""
    parts = httpx.URL(url)
    host, port = parts.host, parts.port or 80
    requests = [
        (
            f"POST /v1/ratings HTTP/1.1\r\nHost: {host}:{port}\r\nX-API-Key: {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(b.encode())}\r\n\r\n"
        ).encode()
        + b.encode()
        for b in bodies
    ]
    n = int(rate * seconds)
    latencies: list[float] = []
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    kinds: dict[str, int] = {}  # what went wrong: a status code or the exception's class
    opened = errors = shed = 0

    async def one(i: int, due: float) -> None:
        nonlocal errors, opened
        conn = idle.pop() if idle else None
        while conn is not None and conn[0].at_eof():  # closed by the server while idle
            conn[1].close()
            opened -= 1
            conn = idle.pop() if idle else None
        try:
            if conn is None:
                opened += 1
                conn = await asyncio.open_connection(host, port)
            code, keep = await asyncio.wait_for(_exchange(conn, requests[i % len(requests)]), 5)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            code, keep = type(exc).__name__, False
        latencies.append((time.perf_counter() - due) * 1e3)
        if code != "200":
            errors += 1
            kinds[code] = kinds.get(code, 0) + 1
        if conn is not None and keep:
            idle.append(conn)
        else:
            if conn is not None:
                conn[1].close()
            opened -= 1

    start = time.perf_counter()
    tasks = []
    for i in range(n):  # bounded in count (n), time (seconds) and requests in flight
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if time.perf_counter() - start > seconds:
            break
        if not idle and opened >= max_in_flight:
            shed += 1  # the server is behind: count it as an error, do not queue it
            continue
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for _, writer in idle:
        writer.close()
    latencies.sort()
    return {
        "rate": rate,
        "achieved_rps": len(tasks) / elapsed,
        "p50_ms": statistics.median(latencies) if latencies else math.nan,
        "p99_ms": latencies[min(len(latencies) - 1, math.ceil(0.99 * len(latencies)) - 1)]
        if latencies
        else math.nan,
        "requests": len(tasks),
        "shed": shed,
        "errors": errors + shed,
        "error_kinds": kinds,
    }


def open_loop(url: str, bodies: list[str], key: str, rate: float, seconds: float) -> dict[str, Any]:
    """:func:`_open_loop` with this process's collector held off the schedule: the set-up
    (province, MLflow, pandas) leaves ~450k objects here, and a full collection over them
    stalled the client ~0.2 s, sending every request due meanwhile late (counted as the
    server's latency, some shed). They are frozen for the run (a full pass then takes
    ~1 ms) and given back after."""
    gc.collect()
    gc.freeze()
    try:
        return asyncio.run(_open_loop(url, bodies, key, rate, seconds))
    finally:
        gc.unfreeze()


def setup(tmp: Path, households: int) -> dict[str, Any]:
    """Province, champion, registry, simulator, bank + key, consents; bodies on disk."""
    from model_registry.registry import ModelRegistry
    from scoring_service.api.testing import (
        province_frame,
        rating_body,
        register_champion,
        train_champion,
    )
    from scoring_service.pipeline import INPUT_COLUMNS
    from scoring_service.sandbox import generate_province

    home = tmp / "home"
    os.environ.update(NONGXIN_HOME=str(home), NONGXIN_CONFIG_DIR=str(CONFIG))
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    province = tmp / "province"
    generate_province(province, households=households, banks=3, seed=7)
    version = register_champion(train_champion(province, CONFIG), ModelRegistry())
    frame = province_frame(province)
    rows = frame[frame["bank_code"] == "301"].reset_index(drop=True)
    ratings = tmp / "ratings.jsonl"
    ratings.write_text(
        "\n".join(json.dumps(rating_body(r), ensure_ascii=False) for _, r in rows.iterrows()) + "\n"
    )
    scores = tmp / "scores.jsonl"
    cols = [c for c in INPUT_COLUMNS if c != "bank_code"]
    records = rows[cols].astype(object).where(rows[cols].notna(), None).to_dict("records")
    scores.write_text(
        "\n".join(
            json.dumps({"bank_code": "301", "inputs": r}, ensure_ascii=False, default=_plain)
            for r in records
        )
        + "\n"
    )
    model = train_champion(province, CONFIG).model
    split = rows[model.input_columns].astype(object).where(rows[model.input_columns].notna(), None)
    mlflow_bodies = tmp / "mlflow.jsonl"
    mlflow_bodies.write_text(
        "\n".join(
            json.dumps(
                {"dataframe_split": {"columns": list(split.columns), "data": [list(r)]}},
                default=_plain,
            )
            for r in split.itertuples(index=False)
        )
        + "\n"
    )
    return {
        "home": home,
        "province": province,
        "version": version,
        "rows": rows,
        "ratings": ratings,
        "scores": scores,
        "mlflow": mlflow_bodies,
    }


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else str(value)


def prepare_bank(url: str, rows: pd.DataFrame) -> str:
    """Bank 301, a consent per household and an API key in the database at ``url``."""
    from bureau_adapters.compliance.consent import ConsentRegistry
    from bureau_adapters.compliance.db import create_engine
    from scoring_service.api.testing import record_consent
    from scoring_service.tenancy import Tenancy

    engine = create_engine(url)
    tenancy = Tenancy(engine)
    tenancy.add_bank("301", "双峰农商行", config_dir=CONFIG)
    consents = ConsentRegistry(engine)
    for number in rows["id_number"]:
        record_consent(consents, "301", str(number))
    key = tenancy.add_key("301", "load test").secret
    engine.dispose()
    return key


@contextmanager
def postgres_store(admin_url: str) -> Iterator[str | None]:
    """A fresh database on the PostgreSQL of ``admin_url`` (its URL), dropped at the end;
    ``None`` when that server does not answer."""
    import sqlalchemy as sa

    name = f"nongxin_bench_{os.getpid()}"
    try:
        admin = sa.create_engine(
            admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except Exception as exc:  # no server: the SQLite runs only, said in the report
        print(f"PostgreSQL not used ({type(exc).__name__})", file=sys.stderr, flush=True)
        yield None
        return
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def serve_runs(
    s: dict[str, Any],
    store: dict[str, Any],
    endpoint: str,
    workers: int,
    args: argparse.Namespace,
    lua: Path,
) -> dict[str, Any]:
    """Closed-loop (wrk) and open-loop runs against ``nongxin serve --workers workers`` on the
    decision store ``store`` (its name, database URL and API key)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    key = store["key"]
    env = {**os.environ, "NONGXIN_BUREAU_PBOC_ENDPOINT": endpoint}
    env["NONGXIN_DATABASE_URL"] = store["url"]
    cmd = [str(BIN / "nongxin"), "serve", "--port", str(port), "--workers", str(workers)]
    out: dict[str, Any] = {"store": store["name"], "workers": workers, "rating": [], "score": []}
    seconds = args.seconds
    with process(cmd, env, f"{url}/healthz") as proc:
        bodies = s["ratings"].read_text().splitlines()
        with httpx.Client(
            base_url=url, headers={"X-API-Key": key, "Content-Type": "application/json"}, timeout=30
        ) as client:
            for body in bodies:  # one rating per household: every report is in the store
                answer = client.post("/v1/ratings", content=body)
                if answer.status_code != 200:
                    raise SystemExit(f"warm-up failed: {answer.status_code} {answer.text[:300]}")
        # then on 8 connections, so that every worker has seen every household once (its
        # features cache, its connections, its lazy imports): not measured
        wrk(url, "/v1/ratings", s["ratings"], key, 8, 4, lua)

        def closed_loop(path: str, bodies_file: Path) -> list[dict[str, Any]]:
            return [
                measured(proc.pid, lambda c=c: wrk(url, path, bodies_file, key, c, seconds, lua))
                for c in (1, 8)
            ]

        if not args.open_loop_only:
            out["rating"] = closed_loop("/v1/ratings", s["ratings"])
        out["rating_rate"] = [
            measured(proc.pid, lambda: open_loop(url, bodies, key, args.rate, seconds))
            for _ in range(args.open_loop_runs)
        ]
        if not args.open_loop_only:
            out["score"] = closed_loop("/v1/scores", s["scores"])
    return out


def mlflow_runs(s: dict[str, Any], seconds: int, lua: Path) -> list[dict[str, Any]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{s['home'] / 'mlflow' / 'mlflow.db'}",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # its uvicorn
    }
    cmd = [
        str(BIN / "mlflow"),
        "models",
        "serve",
        "-m",
        f"models:/farmer-rating/{s['version']}",
        "--env-manager",
        "local",
        "-p",
        str(port),
        "-h",
        "127.0.0.1",
    ]
    with process(cmd, env, f"{url}/ping") as proc:
        return [
            measured(
                proc.pid, lambda c=c: wrk(url, "/invocations", s["mlflow"], "", c, seconds, lua)
            )
            for c in (1, 8)
        ]


START, END = "<!-- service_load:start -->", "<!-- service_load:end -->"


def _row(store: str, server: str, request: str, how: str, r: dict[str, Any], errors: str) -> str:
    rps = r.get("rps", r.get("achieved_rps", 0.0))
    return (
        f"| {store} | {server} | {request} | {how} | {rps:.0f} | {r['p50_ms']:.1f} "
        f"| {r['p99_ms']:.1f} | {r['requests']} | {errors} | {r['cpu_ms']:.2f} | {r['load']:.1f} "
        f"| {r['probe_ms']:.0f} |"
    )


def _errors(o: dict[str, Any]) -> str:
    """An open-loop run's errors: the count, then shed requests and each failure's kind."""
    parts = [f"shed {o['shed']}"] if o["shed"] else []
    parts += [f"{kind} {n}" for kind, n in sorted(o.get("error_kinds", {}).items())]
    return f"{o['errors']}" + (f" ({', '.join(parts)})" if parts else "")


def _aim(results: dict[str, Any], rate: float) -> list[str]:
    """Per store, the open-loop runs of the most workers against the aim (median p99)."""
    lines = []
    for store in results["stores"]:
        runs = [run for run in results["serve"] if run["store"] == store]
        top = max(runs, key=lambda run: run["workers"])
        opened = top["rating_rate"]
        p99 = [o["p99_ms"] for o in opened]
        errors = sum(o["errors"] for o in opened)
        median = statistics.median(p99)
        met = median < 25.0 and errors == 0
        lines.append(
            f"* **{store}, {top['workers']} workers, open loop {rate:g}/s: p99 "
            + " / ".join(f"{v:.1f}" for v in p99)
            + f" ms in {len(p99)} runs (median {median:.1f}), {errors} errors of "
            f"{sum(o['requests'] + o['shed'] for o in opened)} requests; CPU "
            + " / ".join(f"{o['cpu_ms']:.2f}" for o in opened)
            + f" ms per rating. Aim (p99 < 25 ms, zero errors): {'met' if met else 'not met'}.**"
        )
    return lines


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [
        START,
        "# Scoring service load test (`benchmarks/service_load.py`)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other engineers' jobs "
        f"(load average at start {results['load']}; per run in the last column); Python "
        f"{platform.python_version()}; loopback; clients on the same cores (wrk 4.1, 1 thread, "
        "closed loop; an asyncio open-loop client). Card: federation statistical scorecard "
        f"trained on a {args.households}-household sandbox province (bank 301: "
        f"{results['n301']} households, every PBOC report already in the store). Decision "
        "stores: SQLite (the zero-setup default: one file, WAL, synchronous=FULL for the "
        "decision commit) and PostgreSQL (the production store; "
        f"{results.get('pg_version') or 'not reachable in this run'}, server defaults: "
        "synchronous_commit on), each holding the keys, consents, reports, audit rows and "
        "decisions. `nongxin serve`: uvicorn with uvloop and httptools, idle connections kept "
        f"75 s, champion refreshed in a background thread. Each run {args.seconds} s. *CPU "
        "ms/req* is the CPU time of all the server's processes divided by the requests "
        "answered: it is what the other jobs on the machine disturb least. *probe ms*: CPU time "
        "of a fixed pure-Python loop run just before (the machine's speed at that moment; "
        f"{results['probe']} at the start of this run, lower is faster). Open loop: request "
        f"i is sent at start + i/{args.rate:g} s whatever the answers, latency counted from "
        "that time, at most 64 in flight (a request due beyond that is shed and counted as an "
        "error); the client process's collector is held off the schedule (its set-up objects "
        "frozen for the run).",
        "",
        "Command: `MLFLOW_DISABLE_TELEMETRY=true .venv/bin/python benchmarks/service_load.py "
        f"--households {args.households} --seconds {args.seconds} --rate {args.rate:g}`",
        "",
        *_aim(results, args.rate),
        "",
        "| store | server | request | concurrency / rate | req/s | p50 ms | p99 ms | requests "
        "| errors | CPU ms/req | load | probe ms |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in results["serve"]:
        w, st = f"nongxin serve, {run['workers']} worker(s)", run["store"]
        for r in run["rating"]:
            lines.append(_row(st, w, "full rating", f"c={r['conns']}", r, str(r["errors"])))
        for o in run["rating_rate"]:
            lines.append(_row(st, w, "full rating", f"open loop {o['rate']:g}/s", o, _errors(o)))
        for r in run["score"]:
            lines.append(_row(st, w, "scoring only", f"c={r['conns']}", r, str(r["errors"])))
    for r in results["mlflow"]:
        lines.append(
            _row(
                "-",
                "mlflow models serve",
                "/invocations, 1 row",
                f"c={r['conns']}",
                r,
                str(r["errors"]),
            )
        )
    best_ml = max(r["rps"] for r in results["mlflow"])
    ml_cpu = min(r["cpu_ms"] for r in results["mlflow"])
    best_score = {
        (run["store"], run["workers"]): max(r["rps"] for r in run["score"])
        for run in results["serve"]
    }
    score_cpu = min(r["cpu_ms"] for run in results["serve"] for r in run["score"])
    rating_cpu = {
        store: min(
            r["cpu_ms"] for run in results["serve"] if run["store"] == store for r in run["rating"]
        )
        for store in results["stores"]
    }
    lines += [
        "",
        "Scoring-only throughput / mlflow models serve (best concurrency each, same run): "
        + ", ".join(f"{w} worker(s) ({st}) {v / best_ml:.1f}x" for (st, w), v in best_score.items())
        + f". CPU per request: scoring only {score_cpu:.2f} ms, mlflow models serve "
        f"{ml_cpu:.2f} ms ({ml_cpu / score_cpu:.1f}x less for nongxin); full rating (least of "
        "the closed-loop runs) "
        + ", ".join(f"{v:.2f} ms ({st})" for st, v in rating_cpu.items())
        + ".",
        END,
        "",
    ]
    return "\n".join(lines)


def write_report(text: str, path: Path) -> None:
    """Replace the load-test section of ``path`` (between the markers), keeping the rest."""
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if START in old and END in old:
        head, rest = old.split(START, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + text.rstrip("\n") + "\n" + ("\n" + tail if tail else "")
    path.write_text(text, encoding="utf-8")


def _pg_version(url: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return f"PostgreSQL {conn.exec_driver_sql('SHOW server_version').scalar_one()}"
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=400)
    parser.add_argument("--seconds", type=int, default=8, help="Duration of each run (bounded).")
    parser.add_argument("--rate", type=float, default=200.0, help="Open-loop rate, requests/s.")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "service.md")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="Worker counts to run."
    )
    parser.add_argument("--open-loop-runs", type=int, default=3, help="Open-loop runs per server.")
    parser.add_argument(
        "--open-loop-only",
        action="store_true",
        help="Only the open-loop runs of nongxin serve (no wrk, no mlflow); prints, writes nothing.",
    )
    parser.add_argument(
        "--stores",
        nargs="+",
        choices=["sqlite", "postgresql"],
        default=["sqlite", "postgresql"],
        help="Decision stores to run (PostgreSQL only when it answers).",
    )
    parser.add_argument(
        "--postgres-admin-url",
        default=os.environ.get(
            "NONGXIN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="A PostgreSQL database to create (and drop) the benchmark's database from.",
    )
    args = parser.parse_args()
    from bureau_adapters.pboc.simulator import PbocSimulator

    os.environ.pop("NONGXIN_DATABASE_URL", None)  # each store's URL is given explicitly
    os.environ.setdefault("NONGXIN_BUREAU_SUBJECT_HASH_KEY", secrets.token_hex(32))
    results: dict[str, Any] = {
        "load": f"{os.getloadavg()[0]:.1f}",
        "probe": f"{statistics.median(probe_ms() for _ in range(5)):.0f} ms",
        "serve": [],
        "stores": [],
    }
    with (
        tempfile.TemporaryDirectory(prefix="nongxin-load-") as tmp_name,
        postgres_store(args.postgres_admin_url)
        if "postgresql" in args.stores
        else nullcontext(None) as pg_url,
    ):
        tmp = Path(tmp_name)
        lua = tmp / "post.lua"
        lua.write_text(LUA)
        s = setup(tmp, args.households)
        results["n301"] = len(s["rows"])
        stores = []
        if "sqlite" in args.stores:
            stores.append({"name": "SQLite", "url": f"sqlite:///{s['home'] / 'nongxin.db'}"})
        if pg_url is not None:
            stores.append({"name": "PostgreSQL", "url": pg_url})
            results["pg_version"] = _pg_version(pg_url)
        with PbocSimulator(s["province"]) as simulator:
            for store in stores:
                store["key"] = prepare_bank(store["url"], s["rows"])
                results["stores"].append(store["name"])
                for workers in args.workers:
                    run = serve_runs(s, store, simulator.endpoint, workers, args, lua)
                    results["serve"].append(run)
                    print(json.dumps(run), flush=True)
        if args.open_loop_only:
            return
        results["mlflow"] = mlflow_runs(s, args.seconds, lua)
        print(json.dumps(results["mlflow"]), flush=True)
    text = report(results, args)
    write_report(text, args.out)
    print(text)


if __name__ == "__main__":
    main()
