"""The bureau feature catalog: every bureau feature, defined once, versioned.

A :class:`FeatureSpec` says what a feature means (definition, unit, window, what a missing
or thin-file value is, which report elements it reads) and which catalog version it belongs
to. Feature modules register their specs into the process-wide :data:`CATALOG` at import
time: PBOC features under ``pboc-features/1`` (:mod:`bureau_adapters.pboc.features`),
Qianhai features prefixed ``qh_``. :func:`load_catalog` imports every known feature module
and returns the filled catalog; ``nongxin bureau catalog`` prints it and
``docs/feature-catalog.md`` is generated from it.

>>> spec = FeatureSpec(
...     name="demo_cnt", definition="Demo.", unit="count", window="all",
...     missing="0 when absent.", sources=("PD01",), bureau="pboc",
...     catalog_version="pboc-features/1")
>>> catalog = FeatureCatalog()
>>> catalog.register(spec).name
'demo_cnt'
>>> catalog.names()
['demo_cnt']
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from bureau_adapters.exceptions import BureauError

__all__ = [
    "CATALOG",
    "FEATURE_MODULES",
    "UNITS",
    "FeatureCatalog",
    "FeatureSpec",
    "catalog_document",
    "load_catalog",
]

#: Allowed units, declared once (messages are generated from this).
UNITS = ("count", "yuan", "ratio", "months", "days", "years", "flag", "rank", "score")
#: Modules that register features; imported by :func:`load_catalog` when installed.
FEATURE_MODULES = ("bureau_adapters.pboc.features", "bureau_adapters.qianhai.features")


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One catalogued feature.

    Parameters
    ----------
    name : str
        Column name, lower snake case (``inq_loan_cnt_3m``); Qianhai names start ``qh_``.
    definition : str
        What is computed, precisely enough to re-implement it.
    unit : str
        One of :data:`UNITS`.
    window : str
        Look-back window counted back from the report date (``"3m"``, ``"24m"``), or
        ``"as reported"`` for values taken from the report, or ``"all"``.
    missing : str
        What the value is when the data is absent (thin file, unit missing).
    sources : tuple of str
        Report elements read (``PC05BS03``, ``PH010R01`` ...).
    bureau : str
        ``"pboc"`` or ``"qianhai"``.
    catalog_version : str
        E.g. ``"pboc-features/1"``; bumped whenever a definition changes.
    dtype : str
        ``"int"`` or ``"float"`` (``None`` is allowed in both: missing).
    group : str
        Section for tables: ``queries``, ``accounts``, ``delinquency`` ...
    """

    name: str
    definition: str
    unit: str
    window: str
    missing: str
    sources: tuple[str, ...]
    bureau: str
    catalog_version: str
    dtype: str = "float"
    group: str = "other"

    def __post_init__(self) -> None:
        problems = []
        if (
            not self.name
            or not self.name.replace("_", "").isalnum()
            or self.name.lower() != self.name
        ):
            problems.append("'name' must be lower snake case")
        if self.unit not in UNITS:
            problems.append(f"'unit' must be one of {', '.join(UNITS)}")
        if self.dtype not in ("int", "float"):
            problems.append("'dtype' must be 'int' or 'float'")
        for attr in ("definition", "window", "missing", "bureau", "catalog_version"):
            if not getattr(self, attr):
                problems.append(f"'{attr}' must not be empty")
        if problems:
            raise BureauError(
                f"Invalid feature spec {self.name!r}: {'; '.join(problems)}.",
                code="CATALOG_INVALID_SPEC",
                feature=self.name,
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``sources`` as a list)."""
        out = asdict(self)
        out["sources"] = list(self.sources)
        return out


@dataclass
class FeatureCatalog:
    """A registry of :class:`FeatureSpec`, in registration order."""

    _specs: dict[str, FeatureSpec] = field(default_factory=dict)

    def register(self, spec: FeatureSpec) -> FeatureSpec:
        """Add ``spec``; registering the identical spec twice is a no-op."""
        existing = self._specs.get(spec.name)
        if existing is not None and existing != spec:
            raise BureauError(
                f"Feature {spec.name!r} is already registered with a different definition "
                f"({existing.catalog_version}).",
                code="CATALOG_DUPLICATE",
                feature=spec.name,
            )
        self._specs[spec.name] = spec
        return spec

    def register_all(self, specs: Iterable[FeatureSpec]) -> None:
        """Register several specs."""
        for spec in specs:
            self.register(spec)

    def get(self, name: str) -> FeatureSpec:
        """The spec called ``name``."""
        try:
            return self._specs[name]
        except KeyError:
            raise BureauError(
                f"Feature {name!r} is not in the catalog.", code="CATALOG_UNKNOWN", feature=name
            ) from None

    def specs(self, bureau: str | None = None) -> list[FeatureSpec]:
        """Specs in registration order, optionally of one bureau."""
        return [s for s in self._specs.values() if bureau is None or s.bureau == bureau]

    def names(self, bureau: str | None = None) -> list[str]:
        """Feature names in registration order (the column order of feature frames)."""
        return [s.name for s in self.specs(bureau)]

    def versions(self) -> dict[str, str]:
        """Bureau → catalog version(s), e.g. ``{"pboc": "pboc-features/1"}``."""
        out: dict[str, set[str]] = {}
        for spec in self._specs.values():
            out.setdefault(spec.bureau, set()).add(spec.catalog_version)
        return {bureau: ", ".join(sorted(v)) for bureau, v in out.items()}

    def __iter__(self) -> Iterator[FeatureSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def to_json(self, bureau: str | None = None) -> str:
        """The catalog as a JSON document (versions and features)."""
        return json.dumps(
            {"versions": self.versions(), "features": [s.to_dict() for s in self.specs(bureau)]},
            ensure_ascii=False,
            indent=2,
        )

    def to_markdown(self, bureau: str | None = None) -> str:
        """One Markdown table per bureau and group."""
        lines: list[str] = []
        for name in sorted({s.bureau for s in self.specs(bureau)}):
            specs = self.specs(name)
            lines += [f"## {name} ({', '.join(sorted({s.catalog_version for s in specs}))})", ""]
            for group in dict.fromkeys(s.group for s in specs):
                lines += [f"### {group}", ""]
                lines += [
                    "| feature | definition | unit | window | missing / thin file | sources |",
                    "|---|---|---|---|---|---|",
                ]
                for s in specs:
                    if s.group == group:
                        cells = [
                            f"`{s.name}`",
                            s.definition,
                            s.unit,
                            s.window,
                            s.missing,
                            ", ".join(f"`{x}`" for x in s.sources),
                        ]
                        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
                lines.append("")
        return "\n".join(lines)


#: The process-wide catalog that feature modules register into.
CATALOG = FeatureCatalog()


def load_catalog() -> FeatureCatalog:
    """Import every installed feature module of :data:`FEATURE_MODULES`; return :data:`CATALOG`."""
    for module in FEATURE_MODULES:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            importlib.import_module(module)
    return CATALOG


def catalog_document(catalog: FeatureCatalog) -> str:
    """The text of ``docs/feature-catalog.md`` (a test checks the file is up to date)."""
    versions = ", ".join(f"{b}: `{v}`" for b, v in sorted(catalog.versions().items()))
    head = [
        "# Bureau feature catalog",
        "",
        "Generated from the code by `nongxin bureau catalog --write-doc docs/feature-catalog.md`;",
        "do not edit by hand. Catalog versions: " + versions + ".",
        "",
        "Windows count back from the report date T (`PA01AR01`), never from today. For dated",
        'records (queries, account openings) "last N months" means on or after the same day N',
        "months before T and not after T; for monthly repayment statuses it means the N calendar",
        'months ending with T\'s month. "Missing / thin file" says what a report without the',
        'data gives: counts, amounts and flags are 0, ratios and "months since" are empty',
        "(`None` in Python, NaN in frames).",
        "",
        "Computing the PBOC features: `bureau_adapters.pboc.features_from_bytes(data)` (one",
        "report's bytes, envelope or bare `<Document>`, to a dict) and",
        "`features_frame_from_bytes(inputs)` (many reports to one frame) read only the",
        "elements the catalog needs, without building the typed report; `personal_features`",
        "and `features_frame` compute the same values from typed reports (`parse_report`).",
        "Both paths give identical values and raise the same coded errors (tested on the",
        "shared samples, every sandbox report and mutated reports).",
        "",
        "",
    ]
    return "\n".join(head) + catalog.to_markdown() + "\n"
