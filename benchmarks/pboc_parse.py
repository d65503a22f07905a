"""PBOC parse + features throughput, side by side with bare ``lxml.etree.fromstring``.

Corpora: the 32 KB shared real-format sample (``../shared/fixtures/pboc``) and the PBOC
envelopes of a sandbox province (generated into a temporary folder, or ``--province DIR``).
For each corpus, in the same process and thread (one core):

* ``lxml floor``: ``etree.fromstring(envelope)`` — the floor the issue names;
* ``lxml floor + inner``: the envelope parse, base64 decode and ``fromstring`` of the report
  inside — what any parser of the envelope must at least do;
* ``parse_report``: hardened parse into the typed model;
* ``parse + personal_features``: one report at a time (the online path);
* ``parse + features_frame``: every report parsed, features of the corpus in one vectorised
  frame (the batch path).

Run: ``.venv/bin/python benchmarks/pboc_parse.py [--repeats 5] [--households 300]``.
"""

from __future__ import annotations

import argparse
import base64
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from bureau_adapters.pboc import parse_report
from bureau_adapters.pboc.features import features_frame, personal_features

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "pboc"


def _floor(env: bytes) -> None:
    etree.fromstring(env)


_GB18030 = etree.XMLParser(encoding="gb18030")


def _floor_inner(env: bytes) -> None:
    root = etree.fromstring(env)
    report = base64.b64decode(root.findtext("Msg/ReportMessage") or "")
    try:
        etree.fromstring(report)
    except etree.XMLSyntaxError:  # a GBK report declared as UTF-8 (sandbox trap)
        etree.fromstring(report, _GB18030)


def _parse(env: bytes) -> None:
    parse_report(env)


def _parse_features(env: bytes) -> None:
    personal_features(parse_report(env))  # type: ignore[arg-type]


def bench(corpus: list[bytes], repeats: int) -> dict[str, float]:
    """Median seconds per report of each method over the corpus.

    Time is this process's CPU time (``time.process_time``), i.e. the cost on one core;
    wall time on the shared 2-core machine is inflated by other work. Methods run
    round-robin within each repeat, so what load remains hits all of them alike. The floors get the XML part of each envelope (lxml cannot read
    the fixed-width header line some envelopes start with); the parser gets it as is.
    """
    xml_only = [e[e.find(b"<") :] for e in corpus]

    def each(func: Callable[[bytes], None], inputs: list[bytes]) -> Callable[[], None]:
        return lambda: [func(e) for e in inputs] and None

    def batch() -> None:
        features_frame([parse_report(e) for e in corpus])  # type: ignore[misc]

    methods: dict[str, Callable[[], None]] = {
        "lxml floor": each(_floor, xml_only),
        "lxml floor + inner": each(_floor_inner, xml_only),
        "parse_report": each(_parse, corpus),
        "parse + personal_features": each(_parse_features, corpus),
        "parse + features_frame": batch,
    }
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(repeats):
        for name, run in methods.items():
            start = time.process_time()  # CPU time of this process: other load is excluded
            run()
            times[name].append((time.process_time() - start) / len(corpus))
    return {name: statistics.median(values) for name, values in times.items()}


def _province(args: argparse.Namespace, tmp: Path) -> list[bytes]:
    if args.province is not None:
        folder = Path(args.province)
    else:
        try:
            from scoring_service.sandbox import generate_province
        except ImportError:
            return []
        folder = tmp / "province"
        generate_province(folder, households=args.households, banks=2, seed=7, workers=1)
    return [p.read_bytes() for p in sorted((folder / "reports" / "pboc").glob("*.xml"))]


def _table(title: str, corpus: list[bytes], result: dict[str, float]) -> str:
    floor = result["lxml floor"]
    inner = result["lxml floor + inner"]
    sizes = sorted(len(e) for e in corpus)
    lines = [
        f"### {title}: {len(corpus)} envelopes, median {sizes[len(sizes) // 2] / 1024:.1f} KB",
        "",
        "| method | CPU µs / report | reports / s / core | × floor rate | × floor+inner rate |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, seconds in result.items():
        lines.append(
            f"| {name} | {seconds * 1e6:,.0f} | {1 / seconds:,.0f} | "
            f"{floor / seconds:.2f} | {inner / seconds:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--copies", type=int, default=200, help="copies of the 32 KB sample")
    parser.add_argument("--households", type=int, default=300)
    parser.add_argument("--province", default=None, help="existing sandbox province folder")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, lxml {etree.__version__}, {platform.machine()}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}\n")
    sample = (SHARED / "personal_utf8_envelope.xml").read_bytes()
    corpus = [sample] * args.copies
    print(_table("32 KB shared sample", corpus, bench(corpus, args.repeats)))
    with tempfile.TemporaryDirectory() as tmp:
        province = _province(args, Path(tmp))
    if province:
        print(_table("sandbox province", province, bench(province, args.repeats)))
    else:
        print("(sandbox province generator not available: skipped)")


if __name__ == "__main__":
    main()
