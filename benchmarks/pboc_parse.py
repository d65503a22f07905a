"""PBOC parse + features throughput, side by side with bare ``lxml.etree.fromstring``.

Corpora: the 32 KB shared real-format sample (``../shared/fixtures/pboc``) and the PBOC
envelopes of a sandbox province (generated into a temporary folder, or ``--province DIR``),
each as envelopes and as the bare ``<Document>`` reports inside them.
For each corpus, in the same process and thread (one core):

* ``lxml floor``: ``etree.fromstring(data)`` — the floor the issue names;
* ``lxml floor + inner`` (envelopes): the envelope parse, base64 decode and ``fromstring``
  of the report inside — what any parser of the envelope must at least do;
* ``parse_report``: hardened parse into the typed model;
* ``parse + personal_features``: one report at a time through the typed model;
* ``parse + features_frame``: every report parsed, features of the corpus in one vectorised
  frame (the typed batch path);
* ``features_from_bytes``: the fast path, bytes → features dict without the typed model
  (the online path), reading the tree with the compiled walk
  (:mod:`bureau_adapters.pboc.rawread`) when it is built;
* ``features_frame_from_bytes``: the fast path for the corpus, one frame (the batch path);
* ``fast path, pure-Python reader``: ``features_from_bytes`` with the pure-Python reader
  (:func:`bureau_adapters.pboc.lite.lite_report`) instead of the compiled walk, for
  comparison (what runs where the extension is not built).

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
from threadpoolctl import threadpool_limits

from bureau_adapters.pboc import (
    features_frame_from_bytes,
    features_from_bytes,
    parse_envelope,
    parse_report,
)
from bureau_adapters.pboc.envelope import report_root
from bureau_adapters.pboc.features import feature_dict, features_frame, personal_features
from bureau_adapters.pboc.lite import lite_report
from bureau_adapters.pboc.rawread import AVAILABLE
from bureau_adapters.pboc.single import report_values

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "pboc"


_GB18030 = etree.XMLParser(encoding="gb18030")


def _floor(data: bytes) -> None:
    try:
        etree.fromstring(data)
    except etree.XMLSyntaxError:  # a GBK report declared as UTF-8 (sandbox trap)
        etree.fromstring(data, _GB18030)


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


def _pure_reader(data: bytes) -> None:
    lite = lite_report(report_root(data))  # every input here is a personal report
    feature_dict(report_values(lite, lite.accounts))


def _discard(_: object) -> None:
    return None


def bench(corpus: list[bytes], repeats: int) -> dict[str, float]:
    """Median seconds per report of each method over the corpus.

    Time is this process's CPU time (``time.process_time``), i.e. the cost on one core;
    wall time on the shared 2-core machine is inflated by other work. Methods run
    round-robin within each repeat, so what load remains hits all of them alike. The
    floors get the XML part of each input (lxml cannot read the fixed-width header line
    some envelopes start with); the parsers get it as is.
    """
    xml_only = [e[e.find(b"<") :] for e in corpus]
    envelopes = b"<Msg>" in xml_only[0][:400]

    def each(func: Callable[[bytes], object], inputs: list[bytes]) -> Callable[[], None]:
        return lambda: [func(e) for e in inputs] and None

    def batch() -> None:
        features_frame([parse_report(e) for e in corpus])  # type: ignore[misc]

    methods: dict[str, Callable[[], None]] = {"lxml floor": each(_floor, xml_only)}
    if envelopes:
        methods["lxml floor + inner"] = each(_floor_inner, xml_only)
    methods.update(
        {
            "parse_report": each(_parse, corpus),
            "parse + personal_features": each(_parse_features, corpus),
            "parse + features_frame": batch,
            "features_from_bytes": each(features_from_bytes, corpus),
            "features_frame_from_bytes": lambda: _discard(features_frame_from_bytes(corpus)),
            "fast path, pure-Python reader": each(_pure_reader, corpus),
        }
    )
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
    inner = result.get("lxml floor + inner")
    sizes = sorted(len(e) for e in corpus)
    head = "| method | CPU µs / report | reports / s / core | × floor rate |"
    rule = "|---|---:|---:|---:|"
    if inner is not None:
        head, rule = head + " × floor+inner rate |", rule + "---:|"
    lines = [
        f"### {title}: {len(corpus)} inputs, median {sizes[len(sizes) // 2] / 1024:.1f} KB",
        "",
        head,
        rule,
    ]
    for name, seconds in result.items():
        line = f"| {name} | {seconds * 1e6:,.0f} | {1 / seconds:,.0f} | {floor / seconds:.2f} |"
        if inner is not None:
            line += f" {inner / seconds:.2f} |"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _bare(corpus: list[bytes]) -> list[bytes]:
    """The ``<Document>`` reports inside the envelopes."""
    out = []
    for envelope in corpus:
        report = parse_envelope(envelope).report
        if report is not None:
            out.append(report)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--copies", type=int, default=200, help="copies of the 32 KB sample")
    parser.add_argument("--households", type=int, default=300)
    parser.add_argument("--province", default=None, help="existing sandbox province folder")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, lxml {etree.__version__}, {platform.machine()}")
    print(f"compiled walk (bureau_adapters.pboc._walk) built: {AVAILABLE}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}\n")
    # One core means one thread: BLAS worker threads woken by numpy would keep spinning
    # after a call and charge their CPU time to whichever method runs next.
    with threadpool_limits(limits=1):
        _run(args)


def _run(args: argparse.Namespace) -> None:
    sample = (SHARED / "personal_utf8_envelope.xml").read_bytes()
    corpus = [sample] * args.copies
    print(_table("32 KB shared sample, envelope", corpus, bench(corpus, args.repeats)))
    bare = _bare(corpus)
    print(_table("32 KB shared sample, bare <Document>", bare, bench(bare, args.repeats)))
    with tempfile.TemporaryDirectory() as tmp:
        province = _province(args, Path(tmp))
    if province:
        print(_table("sandbox province, envelopes", province, bench(province, args.repeats)))
        bare = _bare(province)
        print(_table("sandbox province, bare <Document>", bare, bench(bare, args.repeats)))
    else:
        print("(sandbox province generator not available: skipped)")


if __name__ == "__main__":
    main()
