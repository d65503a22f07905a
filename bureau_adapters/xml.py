"""The one hardened XML entry point of nongxin.

Every XML document the toolkit reads — PBOC reports, query envelopes, SOAP answers of
simulators — goes through :func:`parse_xml`. It refuses, with a coded
:class:`~bureau_adapters.exceptions.UnsafeXMLError`, before or while parsing:

=====================  ===============================================================
code                   refused input
=====================  ===============================================================
``XML_TOO_LARGE``      more than ``max_bytes`` bytes (checked before parsing)
``XML_ENTITY``         any ``<!ENTITY`` declaration (entity expansion, "billion laughs")
``XML_EXTERNAL``       ``SYSTEM``/``PUBLIC`` identifiers (XXE, external DTD)
``XML_DTD``            any ``<!DOCTYPE`` (no DTD is ever loaded or validated)
``XML_TOO_DEEP``       elements nested deeper than ``max_depth``
``XML_ENCODING``       UTF-16/UTF-32 input, or a declared encoding outside
                       :data:`ALLOWED_ENCODINGS` (UTF-7 could hide ``<!ENTITY``); bytes
                       invalid in the declared encoding give the same code as a
                       ``MalformedReportError``
=====================  ===============================================================

Declarations are looked for in the prolog (the bytes before the root element, the only
place XML allows them) before parsing, and anywhere in a document libxml2 refuses, so
hostile input gets its code wherever the declaration stands; ``<!ENTITY`` as the text of a
CDATA section is inert and accepted. Other input is refused with
:class:`~bureau_adapters.exceptions.MalformedReportError` ``XML_SYNTAX`` (not
well-formed) or ``XML_EMPTY``. The parser never resolves entities, never loads a DTD and
never touches the network. Comments, processing instructions and the whitespace between
elements (indentation) are dropped; whitespace inside a value is kept. Only
ASCII-compatible encodings are accepted, so the byte scan for declarations cannot be
evaded by re-encoding.

>>> parse_xml(b"<a><b>1</b></a>").findtext("b")
'1'
>>> parse_xml(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>')  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
bureau_adapters.exceptions.UnsafeXMLError: XML entity declarations are refused ...
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from lxml import etree

from bureau_adapters.exceptions import MalformedReportError, UnsafeXMLError

__all__ = ["ALLOWED_ENCODINGS", "DEFAULT_MAX_BYTES", "DEFAULT_MAX_DEPTH", "parse_xml"]

#: 32 MiB: a large enterprise report envelope is about 0.4 MB, a batch file a few MB.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
#: libxml2's own nesting limit without XML_PARSE_HUGE (it refuses deeper input itself, in
#: bounded memory). A PBOC report nests 6 levels, its envelope 3; a smaller ``max_depth``
#: is checked after parsing with one XPath query (about 10-60 µs a report).
DEFAULT_MAX_DEPTH = 256

_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_DECLARED = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
#: Declared encodings accepted: all keep ``<!`` and the declaration keywords as ASCII bytes.
ALLOWED_ENCODINGS = frozenset(
    {"utf-8", "utf8", "gbk", "gb2312", "gb18030", "us-ascii", "ascii", "iso-8859-1", "latin-1"}
)
_local = threading.local()


def _parser(encoding: str | None) -> etree.XMLParser:
    """One hardened parser per thread and encoding (lxml parsers are not thread-safe)."""
    cache: dict[str | None, etree.XMLParser] | None = getattr(_local, "parsers", None)
    if cache is None:
        cache = _local.parsers = {}
    parser = cache.get(encoding)
    if parser is None:
        parser = cache[encoding] = etree.XMLParser(
            encoding=encoding,
            resolve_entities=False,
            load_dtd=False,
            dtd_validation=False,
            no_network=True,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            # whitespace between elements (a pretty-printed report's indentation) is not
            # data: not keeping it makes the parse ~20 % faster. Whitespace inside a value
            # (<X> </X>, or text beside other text) is kept; libxml2 drops only text that
            # stands alone between two tags of an element that has element children.
            remove_blank_text=True,
            collect_ids=False,  # no xml:id lookups are ever made
        )
    return parser


@lru_cache(maxsize=8)
def _too_deep(max_depth: int) -> etree.XPath:
    # True when an element exists at depth max_depth + 1 below the root.
    return etree.XPath("boolean(" + "*/" * (max_depth - 1) + "*)")


def _scan(data: bytes) -> None:
    """Refuse by looking at the raw bytes, before any parsing."""
    if not data or data.isspace():
        raise MalformedReportError("XML input is empty.", code="XML_EMPTY")
    if data.startswith(_WIDE_BOMS) or data[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        raise UnsafeXMLError(
            "XML input is UTF-16/UTF-32; only ASCII-compatible encodings are accepted.",
            code="XML_ENCODING",
        )
    head = data[:256].lstrip(b" \t\r\n").removeprefix(b"\xef\xbb\xbf")
    if not head.startswith(b"<"):  # also refuses EBCDIC, where "<?xml" is not ASCII
        raise MalformedReportError(
            "XML input does not start with '<' (not XML, or not an ASCII-compatible encoding).",
            code="XML_SYNTAX",
        )
    declared = _DECLARED.match(head)
    if declared is not None:
        name = declared.group(1).decode("ascii").lower()
        if name not in ALLOWED_ENCODINGS:
            raise UnsafeXMLError(
                f"XML declares encoding {name!r}; accepted: {', '.join(sorted(ALLOWED_ENCODINGS))}.",
                code="XML_ENCODING",
                encoding=name,
            )
    if _prolog_declares(data):
        _refuse_declarations(data)


def _prolog_declares(data: bytes) -> bool:
    """True when a ``<!`` markup declaration (``<!DOCTYPE``, ``<!ENTITY``) stands before
    the root element, the only place XML allows one; comments and processing instructions
    are skipped. Reads the prolog only (a few bytes), not the whole input."""
    i = 0
    while (i := data.find(b"<", i)) >= 0:
        if data.startswith(b"<?", i):
            i = data.find(b"?>", i + 2)
            if i < 0:
                return False  # unterminated: libxml2 refuses it, then the full scan runs
            i += 2
        elif data.startswith(b"<!--", i):
            i = data.find(b"-->", i + 4)
            if i < 0:
                return False
            i += 3
        else:
            return data.startswith(b"<!", i)
    return False


def _refuse_declarations(data: bytes) -> None:
    """Raise the code of the first ``<!DOCTYPE``/``<!ENTITY`` anywhere in ``data``, if any.

    Runs before parsing when the prolog holds a declaration, and after libxml2 refused a
    document (a declaration after the root element is not well-formed), so that hostile
    input gets its own code wherever the declaration stands.
    """
    doctype, entity = data.find(b"<!DOCTYPE"), data.find(b"<!ENTITY")
    if doctype < 0 and entity < 0:
        return
    # Only which code to give depends on the declaration's text: look at its start
    # (plain substring tests, linear in the input, nothing to backtrack).
    start = min(i for i in (doctype, entity) if i >= 0)
    region = data[start : start + 4096]
    if b"SYSTEM" in region or b"PUBLIC" in region:
        raise UnsafeXMLError(
            "XML external identifiers (SYSTEM/PUBLIC: external entity or DTD) are refused.",
            code="XML_EXTERNAL",
        )
    if entity >= 0:
        raise UnsafeXMLError(
            "XML entity declarations are refused (no entity is ever expanded).",
            code="XML_ENTITY",
        )
    raise UnsafeXMLError("XML document type declarations are refused.", code="XML_DTD")


def parse_xml(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    encoding: str | None = None,
) -> etree._Element:
    """Parse untrusted XML bytes into an lxml element, safely.

    Parameters
    ----------
    data : bytes
        The document. ``str`` is refused: decoding is the caller's explicit choice.
    max_bytes : int
        Largest accepted input, checked before parsing.
    max_depth : int
        Deepest accepted element nesting (the root is depth 1).
    encoding : str, optional
        Override the encoding declared in the document (for example ``"gb18030"`` when the
        caller has detected that the declaration lies).

    Returns
    -------
    lxml.etree._Element
        The root element. Comments and processing instructions are dropped.

    Raises
    ------
    UnsafeXMLError
        Codes ``XML_TOO_LARGE``, ``XML_ENTITY``, ``XML_EXTERNAL``, ``XML_DTD``,
        ``XML_TOO_DEEP``, ``XML_ENCODING`` (UTF-16/32).
    MalformedReportError
        Codes ``XML_SYNTAX``, ``XML_EMPTY``, ``XML_NOT_BYTES`` and ``XML_ENCODING`` (bytes
        invalid in the declared or given encoding).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedReportError(
            f"XML input must be bytes, got {type(data).__name__}.", code="XML_NOT_BYTES"
        )
    if len(data) > max_bytes:  # before any copy: a 200 MB input costs nothing
        raise UnsafeXMLError(
            f"XML input of {len(data):,} bytes exceeds the limit of {max_bytes:,} bytes.",
            code="XML_TOO_LARGE",
            size=len(data),
            limit=max_bytes,
        )
    data = bytes(data)
    _scan(data)
    try:
        root = etree.fromstring(data, _parser(encoding))
    except etree.XMLSyntaxError as exc:
        _refuse_declarations(data)
        raise _translate(exc) from exc
    except (ValueError, LookupError) as exc:  # unknown encoding name and similar
        raise MalformedReportError(f"XML input rejected: {exc}", code="XML_SYNTAX") from exc
    if root is None:  # pragma: no cover - lxml raises for empty documents
        raise MalformedReportError("XML input has no root element.", code="XML_EMPTY")
    if root.getroottree().docinfo.doctype:  # pragma: no cover - the prolog scan catches it
        raise UnsafeXMLError("XML document type declarations are refused.", code="XML_DTD")
    if max_depth < DEFAULT_MAX_DEPTH and _too_deep(max_depth)(root):
        raise UnsafeXMLError(
            f"XML elements nest deeper than the limit of {max_depth} levels.",
            code="XML_TOO_DEEP",
            limit=max_depth,
        )
    return root


def _translate(exc: etree.XMLSyntaxError) -> MalformedReportError:
    """Map a libxml2 error to a coded error with the position, never the content."""
    message = str(exc.msg or exc)
    where = f"line {exc.lineno}, column {exc.offset}" if exc.lineno else "unknown position"
    if "Excessive depth" in message:
        return UnsafeXMLError(
            f"XML elements nest deeper than the parser allows ({where}).", code="XML_TOO_DEEP"
        )
    lowered = message.lower()
    if "encoding" in lowered or "utf-8" in lowered:
        return MalformedReportError(
            f"XML bytes are invalid in the declared encoding ({where}).",
            code="XML_ENCODING",
            line=exc.lineno,
        )
    return MalformedReportError(
        f"XML is not well-formed at {where}: {message.split(',')[0]}.",
        code="XML_SYNTAX",
        line=exc.lineno,
    )
