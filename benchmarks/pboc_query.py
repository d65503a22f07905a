"""What a PBOC query costs, layer by layer, against the loopback SOAP simulator.

Side by side in one process, on the same subjects and simulator (a synthetic province whose
reports are the size of the 32 KB shared sample):

1. ``zeep``    — a bare ``zeep.Client`` (its default requests transport) calling
   ``SingleQuery`` with our WSDL: the floor of SOAP over loopback, no compliance at all;
2. ``fresh``   — :meth:`PbocClient.query` with reuse off: consent check, SOAP call through the
   guarded transport, result-code mapping, the report parsed once (``parse_report``), stored
   zlib-compressed, audit row;
3. ``reused``  — :meth:`PbocClient.query` inside the reuse window: consent check, stored report
   read and verified (SHA-256), audit row; no SOAP call.

Both client modes run on a SQLite file (the embedded default, ``synchronous=FULL``) and on
the local PostgreSQL when it answers.

``--peer-tree DIR`` also times the ``reused`` path of another checkout of the code (e.g.
``git archive <commit> | tar -x -C DIR``) in a subprocess against the same simulator and
subjects, interleaved repeat by repeat with this tree's: a before/after in one run. The same
subprocess script also runs on this tree (the two trees taking turns, each on a fresh
database), so both are timed alike, in wall and CPU (``process_time``) ms per call: the
in-process ``reused`` row follows the ``fresh`` calls in a process that has done much more.

``--first-query`` instead times the first-query path of the compliance gate without the
bureau (an in-process fetch: consent check, reuse lookups, cross-process lock, report
insert, audit row, commit) and the Qianhai transNo ledger (reserve, then close: two
commits), in CPU milliseconds per call, each tree in its own subprocess on a fresh SQLite
file, this tree and ``--peer-tree`` taking turns; the section it writes replaces the
``## First query`` section of ``--out`` (the rest of the file is kept).

Usage::

    .venv/bin/python benchmarks/pboc_query.py --calls 200 --repeats 3 \
        --peer-tree /tmp/peer --out benchmarks/results/pboc_query.md
    .venv/bin/python benchmarks/pboc_query.py --first-query --calls 300 --repeats 5 \
        --peer-tree /tmp/peer --out benchmarks/results/pboc_query.md
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import platform
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pandas as pd
import zeep
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.consent import query_date
from bureau_adapters.compliance.db import create_engine
from bureau_adapters.compliance.subject import Subject
from bureau_adapters.compliance.testing import (
    isolated_engine,
    postgres_test_url,
    postgres_unavailable,
)
from bureau_adapters.identity import check_digit
from bureau_adapters.pboc.client import PbocClient
from bureau_adapters.pboc.simulator import PbocSimulator
from bureau_adapters.pboc.wsdl import NAMESPACE, SINGLE_QUERY_WSDL
from bureau_adapters.settings import BureauSettings

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "fixtures"
    / "pboc"
    / "personal_utf8_envelope.xml"
)


def _ids(n: int) -> list[str]:
    born = [dt.date(1960, 1, 1) + dt.timedelta(days=i) for i in range(n)]
    first17 = [f"430524{day:%Y%m%d}123" for day in born]
    return [f + check_digit(f) for f in first17]


def _template() -> str:
    """The 32 KB shared sample's report (falls back to a synthetic one without ../shared)."""
    if SAMPLE.is_file():
        from bureau_adapters.pboc import parse_envelope

        report = parse_envelope(SAMPLE.read_bytes()).report
        if report is not None:
            return report.decode("utf-8")
    accounts = "".join(f"<PD01><PD01A><PD01AI01>{i}</PD01AI01></PD01A></PD01>" for i in range(20))
    return (
        "<Document><PRH><PA01><PA01A><PA01AI01>0</PA01AI01><PA01AR01>2026-06-01T09:30:00"
        "</PA01AR01></PA01A><PA01B><PA01BI01>0</PA01BI01></PA01B></PA01></PRH>"
        f"<PDA>{accounts}</PDA></Document>"
    )


def make_province(folder: Path, ids: list[str]) -> Path:
    """One household per ID, each with the template report under its own ID and number."""
    (folder / "reports" / "pboc").mkdir(parents=True)
    template = _template()
    rows = []
    for i, id_number in enumerate(ids):
        household = f"H{i + 1:08d}"
        rows.append({"household_id": household, "id_number": id_number})
        report = re.sub(
            r"<PA01BI01>[^<]*</PA01BI01>", f"<PA01BI01>{id_number}</PA01BI01>", template
        )
        report = re.sub(
            r"<PA01AI01>[^<]*</PA01AI01>", f"<PA01AI01>20260601093000{i:08d}</PA01AI01>", report
        )
        envelope = (
            "<Document><Msg><ResultCode>AAA000</ResultCode><ResultDesc>处理成功</ResultDesc>"
            f"<ReportMessage>{base64.encodebytes(report.encode()).decode()}</ReportMessage></Msg></Document>"
        )
        (folder / "reports" / "pboc" / f"{household}.xml").write_text(envelope, encoding="utf-8")
    pd.DataFrame(rows).to_parquet(folder / "households.parquet")
    return folder


def _bare_zeep(endpoint: str) -> Callable[[str], object]:
    client = zeep.Client(str(SINGLE_QUERY_WSDL), transport=zeep.Transport(operation_timeout=20))
    service = client.create_service(f"{{{NAMESPACE}}}SingleQueryBinding", endpoint)
    today = query_date(None)
    authorised = {
        "authorType": "1",
        "authorNum": "c-1",
        "authorSignDate": today,
        "authorBeginDate": today,
        "authorEndDate": today,
        "authorDocSha256": "0" * 64,
    }

    def call(id_number: str) -> object:
        return service.SingleQuery(
            requestId="r1", originateOrgCode="B0000000000001", originateUserCode="op",
            querierName="张三", querierCertype="10", querierCertno=id_number, queryReason="02",
            reportVersion="2.0.0", queryType="0", syncFlag="1", sysCode="BENCH", queryUser="op",
            bussId="LN-1", authorized=authorised,
        )  # fmt: skip

    return call


def _timed(call: Callable[[str], object], ids: list[str]) -> list[float]:
    out = []
    for id_number in ids:
        started = time.perf_counter()
        call(id_number)
        out.append(time.perf_counter() - started)
    return out


def _backends(tmp: str, repeat: int) -> dict[str, Callable[[], AbstractContextManager[Engine]]]:
    out: dict[str, Callable[[], AbstractContextManager[Engine]]] = {
        "sqlite": lambda: _sqlite(f"sqlite:///{tmp}/bench{repeat}.db"),
    }
    if postgres_unavailable(postgres_test_url()) is None:
        out["postgresql"] = lambda: isolated_engine("postgresql", Path(tmp))
    return out


@contextmanager
def _sqlite(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    yield engine
    engine.dispose()


def _client_paths(
    engine: Engine, endpoint: str, ids: list[str]
) -> tuple[Callable[[str], object], ...]:
    settings = BureauSettings(subject_hash_key="bench")
    client = PbocClient(engine, endpoint=endpoint, settings=settings, hooks=())
    for id_number in ids:
        client.gate.consents.record(
            bank_code="301", subject_id=id_number, bureau="pboc", reason="02",
            signed_on=query_date(None), valid_until=query_date(None) + dt.timedelta(days=1),
            document_sha256="0" * 64, recorded_by="bench",
        )  # fmt: skip

    def fresh(id_number: str) -> object:
        return client.query(
            "301", Subject("张三", "10", id_number), "02", "op", "LN-1", allow_reuse=False
        )

    def reused(id_number: str) -> object:
        return client.query("301", Subject("张三", "10", id_number), "02", "op", "LN-2")

    return fresh, reused


#: The reused path timed in a peer checkout: only APIs both versions have.
_PEER = """
import datetime as dt, json, statistics, sys, time
from bureau_adapters.compliance.db import create_engine
from bureau_adapters.compliance.subject import Subject
from bureau_adapters.pboc.client import PbocClient
from bureau_adapters.settings import BureauSettings
url, endpoint, schema, ids = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
args = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {}
engine = create_engine(url, **args)
client = PbocClient(engine, endpoint=endpoint, settings=BureauSettings(subject_hash_key="b"), hooks=())
today = dt.date.today()
for i in ids:
    client.gate.consents.record(bank_code="301", subject_id=i, bureau="pboc", reason="02",
        signed_on=today - dt.timedelta(days=1), valid_until=today + dt.timedelta(days=2),
        document_sha256="0" * 64, recorded_by="bench")
    client.query("301", Subject("张三", "10", i), "02", "op", "LN-1")
out, cpu = [], []
for i in ids:
    started, cpu_started = time.perf_counter(), time.process_time()
    assert client.query("301", Subject("张三", "10", i), "02", "op", "LN-2").reused
    out.append(time.perf_counter() - started)
    cpu.append(time.process_time() - cpu_started)
print(json.dumps([statistics.median(out), statistics.median(cpu)]))
"""


def _peer_reused(peer: Path, engine: Engine, endpoint: str, ids: list[str]) -> tuple[float, float]:
    """Median reused-path wall and CPU seconds per call of the checkout ``peer`` (a
    subprocess) on ``engine``'s database."""
    import json
    import subprocess
    import sys

    schema = ""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = str(conn.exec_driver_sql("SELECT current_schema()").scalar())
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(peer)}
    done = subprocess.run(
        [sys.executable, "-c", _PEER, url, endpoint, schema, ",".join(ids)],
        capture_output=True, text=True, env=env, cwd=peer, check=True, timeout=600,
    )  # fmt: skip
    wall, cpu = json.loads(done.stdout.strip().splitlines()[-1])
    return float(wall), float(cpu)


#: First-query CPU per call in one tree: only APIs every compared version has.
_FIRST = """
import datetime as dt, json, statistics, sys, tempfile, time
from bureau_adapters.compliance.consent import query_date
from bureau_adapters.compliance.db import create_engine
from bureau_adapters.compliance.gate import ComplianceGate, FetchedAnswer, QueryRequest
from bureau_adapters.compliance.subject import Subject, SubjectKeyer
from bureau_adapters.qianhai.ledger import TransactionLedger
ids = sys.argv[1].split(",")
engine = create_engine(f"sqlite:///{tempfile.mkdtemp()}/first.db")
gate = ComplianceGate(engine, keyer=SubjectKeyer(b"bench"))
ledger = TransactionLedger(engine)
for i in ids:
    gate.consents.record(bank_code="301", subject_id=i, bureau="pboc", reason="02",
        signed_on=query_date(None), valid_until=query_date(None) + dt.timedelta(days=1),
        document_sha256="0" * 64, recorded_by="bench")
answer = FetchedAnswer("PBOC_AAA000", b"<Document>" + b"x" * 30000 + b"</Document>", "R1",
                       dt.date(2026, 1, 1))
def first(i):
    request = QueryRequest("301", "pboc", Subject("张三", "10", i), "02", "op", "LN-1")
    gate.run(request, lambda request, consent: answer)
def reserve_close(i):
    trans_no = "QH" + i
    ledger.reserve(trans_no, request_id="r" + i, bank_code="301", product="8005",
                   subject_key="k" * 64, reason="01")
    ledger.close(trans_no, "answered", "E000000")
out = {}
for name, fn in (("gate first query", first), ("Qianhai ledger reserve + close", reserve_close)):
    for i in ids[:20]:
        fn(i)
    times = []
    for i in ids[20:]:
        started = time.process_time()
        fn(i)
        times.append(time.process_time() - started)
    out[name] = statistics.median(times) * 1000
print(json.dumps(out))
"""


def _first_query_cpu(tree: Path, ids: list[str]) -> dict[str, float]:
    """CPU ms per call of the first-query paths in ``tree`` (a subprocess)."""
    import json
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", _FIRST, ",".join(ids)],
        capture_output=True, text=True, env=env, cwd=tree, check=True, timeout=600,
    )  # fmt: skip
    return {k: float(v) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def run_first_query(calls: int, repeats: int, peer: Path | None) -> dict[str, list[float]]:
    """Each tree's first-query CPU, the trees taking turns repeat by repeat."""
    ids = _ids(calls + 20)
    trees = {"this tree": Path(__file__).resolve().parents[1]}
    if peer is not None:
        trees["peer tree"] = peer
    results: dict[str, list[float]] = {}
    for _ in range(repeats):
        for label, tree in trees.items():
            for name, value in _first_query_cpu(tree, ids).items():
                results.setdefault(f"{label}: {name}", []).append(value)
    return results


def first_query_report(
    results: dict[str, list[float]], calls: int, repeats: int, peer_label: str | None
) -> str:
    lines = [
        "## First query: the gate and the ledger without the bureau",
        "",
        f"Command: `.venv/bin/python benchmarks/pboc_query.py --first-query --calls {calls}"
        f" --repeats {repeats}" + (f" --peer-tree {peer_label}`" if peer_label else "`"),
        f"Load average at the end: {os.getloadavg()[0]:.1f}. CPU ms per call (`process_time`),",
        "median over the calls of a repeat, then median (min-max) over repeats; each tree in",
        "its own subprocess on a fresh SQLite file (WAL, synchronous=FULL), trees taking turns.",
        "`gate first query` = consent check, reuse lookup, cross-process lock, lookup again,",
        "a 30 KB answer stored (zlib) and its audit row in one durable commit, with an",
        "in-process fetch (no SOAP); `ledger` = transNo reserved (commit) and closed (commit).",
        "",
        "| tree: path | CPU ms / call | min | max |",
        "|---|---:|---:|---:|",
    ]
    for name, values in results.items():
        lines.append(
            f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |"
        )
    return "\n".join(lines) + "\n"


def _replace_section(path: Path, section: str) -> str:
    """``path``'s text with its ``## First query`` section replaced by (or ending with) ``section``."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    head, _marker, tail = text.partition("## First query")
    rest = tail.partition("\n## ")
    after = rest[1].lstrip("\n") + rest[2] if rest[1] else ""
    return head.rstrip("\n") + "\n\n" + section + ("\n" + after if after else "")


_ROOT = Path(__file__).resolve().parents[1]
#: prefix of the results of the reused path run by the subprocess script in either tree
_SUB = "subprocess: "


def run(calls: int, repeats: int, peer: Path | None = None) -> dict[str, list[float]]:
    ids = _ids(calls)
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        province = make_province(Path(tmp) / "p", ids)
        with PbocSimulator(province) as sim:
            bare = _bare_zeep(sim.endpoint)
            for repeat in range(repeats):
                results.setdefault("bare zeep (no compliance)", []).append(
                    statistics.median(_timed(bare, ids))
                )
                for backend, open_engine in _backends(tmp, repeat).items():
                    with open_engine() as engine:
                        fresh, reused = _client_paths(engine, sim.endpoint, ids)
                        results.setdefault(f"client fresh, {backend}", []).append(
                            statistics.median(_timed(fresh, ids))
                        )
                        results.setdefault(f"client reused, {backend}", []).append(
                            statistics.median(_timed(reused, ids))
                        )
                    if peer is None:
                        continue
                    trees = [("peer tree", peer, 1000), ("this tree", _ROOT, 2000)]
                    for label, tree, offset in trees[:: 1 if repeat % 2 == 0 else -1]:
                        with _backends(tmp, repeat + offset)[backend]() as engine:
                            wall, cpu = _peer_reused(tree, engine, sim.endpoint, ids)
                        if label == "peer tree":
                            results.setdefault(f"peer tree: client reused, {backend}", []).append(
                                wall
                            )
                        results.setdefault(f"{_SUB}{label}, {backend}: wall", []).append(wall)
                        results.setdefault(f"{_SUB}{label}, {backend}: CPU", []).append(cpu)
    return results


def report(
    results: dict[str, list[float]], calls: int, repeats: int, peer_label: str | None = None
) -> str:
    floor = statistics.median(results["bare zeep (no compliance)"])
    lines = [
        "# PBOC query: compliance-gated client vs bare zeep (loopback simulator)",
        "",
        f"Command: `.venv/bin/python benchmarks/pboc_query.py --calls {calls} --repeats {repeats}"
        + (f" --peer-tree {peer_label}`" if peer_label else "`"),
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores shared with"
        f" other jobs (load average {os.getloadavg()[0]:.1f}), Python {platform.python_version()}.",
        "Report: the 32 KB shared sample under each subject's ID. Per repeat the median per-call",
        "latency over all calls, then the median over repeats. `fresh` = consent check, SOAP call,",
        "code mapping, parse_report, store + audit row in one durable commit; `reused` = consent",
        "check, stored report read and SHA-256-verified, audit row: one transaction on one",
        "connection whose commit does not wait for the log flush (the rating's durable decision",
        "commit flushes it). `peer tree` = the same reused path in the checkout named by",
        "--peer-tree, run in a subprocess after this tree's in-process calls, on a fresh database.",
        "",
        "| path | median ms / call | calls / s | ratio to bare zeep |",
        "|---|---:|---:|---:|",
    ]
    for name, values in results.items():
        if name.startswith(_SUB):
            continue
        value = statistics.median(values)
        lines.append(f"| {name} | {value * 1000:.2f} | {1 / value:,.0f} | {value / floor:.2f} |")
    sub = {k.removeprefix(_SUB): v for k, v in results.items() if k.startswith(_SUB)}
    if sub:
        lines += [
            "",
            "The reused path run by the same subprocess script in each tree (trees taking turns,",
            "each on a fresh database; CPU = the client process's `process_time`, not the",
            "PostgreSQL server's): per repeat the median per call, then median (min-max) over",
            "repeats.",
            "",
            "| tree, store: time | median ms / call | min | max |",
            "|---|---:|---:|---:|",
        ]
        for name, values in sorted(sub.items(), key=lambda kv: kv[0].split(", ")[1]):
            lines.append(
                f"| {name} | {statistics.median(values) * 1000:.3f} | "
                f"{min(values) * 1000:.3f} | {max(values) * 1000:.3f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--peer-tree", type=Path, default=None)
    parser.add_argument("--peer-label", default=None, help="How the report names the peer.")
    parser.add_argument(
        "--first-query", action="store_true", help="Time the first-query path only."
    )
    args = parser.parse_args()
    label = args.peer_label or (str(args.peer_tree) if args.peer_tree else None)
    if args.first_query:
        found = run_first_query(args.calls, args.repeats, args.peer_tree)
        section = first_query_report(found, args.calls, args.repeats, label)
        print(section)
        if args.out:
            args.out.write_text(_replace_section(args.out, section), encoding="utf-8")
        return
    results = run(args.calls, args.repeats, args.peer_tree)
    text = report(results, args.calls, args.repeats, label)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
