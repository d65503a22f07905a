# cython: language_level=3, boundscheck=False, wraparound=False
"""The raw texts a plan asks for, read from a parsed report in one C walk (no proxies).

Compiled against lxml's public C API (``lxml.get_include()``); used by
:mod:`bureau_adapters.pboc.rawread`, which builds the plan and falls back to the pure-Python
reader when this module is not built.

A plan is a dict ``tag (bytes) -> entry`` for the children of one element (the walk
adds a cache of its own to it, keyed by ``int``):

* ``int``: an item; its text goes to that slot of the current row;
* ``(slot, memo)``: an item; ``memo[text]`` goes to that slot (the reader's conversion);
* ``(plan, SEGMENT, 0, 0, None, None)``: a segment whose items belong to the current row;
* ``(plan, SINGLE, slot, 0, None, None)``: a single group, read into the current row; its
  first occurrence marks ``slot`` and later occurrences are skipped, as the parser does;
* ``(plan, MANY, slot, width, None, make)``: one record of a repeating group, read into a
  new row of ``width`` slots; ``make(row)`` (the record, or ``None`` to drop it) is
  appended to the list in ``slot`` of the current row;
* ``(plan, PLAIN, slot, width, memo, make)``: the same for a record of items only, whose
  row is a tuple: ``memo[row]`` when the same values were seen before, else ``make(row)``.

Rows start filled with ``absent``.

Elements the plan does not name are skipped. Whatever the pure-Python reader could read
differently is reported as ``odd`` instead: an item seen twice in one row (the parser
would take the first *valid* one), an item element holding anything but one text node
(child elements, CDATA, several text nodes).
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromString
from cpython.long cimport PyLong_FromVoidPtr
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.string cimport strcmp, strlen
from lxml.includes cimport tree
from lxml.includes.etreepublic cimport _Element, import_lxml__etree

import_lxml__etree()

cdef enum:
    SEGMENT = 0
    SINGLE = 1
    MANY = 2
    PLAIN = 3


cdef Py_ssize_t _CACHE_LIMIT = 4096


cdef object _entry(dict plan, const char* name):
    """``plan.get(name)``, through a cache in ``plan`` keyed by the name's address:
    libxml2 interns tag names (lxml's parsers share one dictionary per thread), so a tag
    keeps its address from report to report; the name is compared before a cached entry
    is used, and an unknown address is simply looked up by name."""
    address = PyLong_FromVoidPtr(<void*>name)
    hit = plan.get(address)
    if hit is not None and strcmp(name, PyBytes_AS_STRING((<tuple>hit)[0])) == 0:
        return (<tuple>hit)[1]
    tag = PyBytes_FromString(name)
    entry = plan.get(tag)
    if len(plan) < _CACHE_LIMIT:
        plan[address] = (tag, entry)
    return entry


cdef object _text(tree.xmlNode* el, bint* odd):
    """``el.text`` when it is plain (nothing, or one text node); else flag ``odd``."""
    cdef tree.xmlNode* child = el.children
    if child is NULL:
        return ""  # present without text: a null value, not an absent one
    if child.type != tree.XML_TEXT_NODE or child.next is not NULL:
        odd[0] = True
        return ""
    cdef const char* content = <const char*>child.content
    return PyUnicode_DecodeUTF8(content, strlen(content), NULL)


cdef void _walk(tree.xmlNode* parent, dict plan, list row, object absent, bint* odd) except *:
    cdef tree.xmlNode* child = parent.children
    cdef Py_ssize_t slot
    cdef list new
    while child is not NULL:
        if child.type == tree.XML_ELEMENT_NODE and child.ns is NULL:
            entry = _entry(plan, <const char*>child.name)
            if entry is None:
                pass
            elif type(entry) is int or len(<tuple>entry) == 2:
                if type(entry) is int:
                    slot = entry
                    value = _text(child, odd)
                else:
                    slot = (<tuple>entry)[0]
                    value = (<tuple>entry)[1][_text(child, odd)]
                if row[slot] is not absent:
                    odd[0] = True  # the parser would take the first valid occurrence
                row[slot] = value
            else:
                sub, kind, slot, width, memo, make = <tuple>entry
                if kind == SEGMENT:
                    _walk(child, sub, row, absent, odd)
                elif kind == SINGLE:
                    if row[slot] is absent:
                        row[slot] = True
                        _walk(child, sub, row, absent, odd)
                else:
                    new = [absent] * width
                    _walk(child, sub, new, absent, odd)
                    if kind == PLAIN:
                        key = tuple(new)
                        made = (<dict>memo).get(key, absent)
                        if made is absent:
                            made = make(key)
                    else:
                        made = make(new)
                    if made is not None:
                        if row[slot] is absent:
                            row[slot] = [made]
                        else:
                            (<list>row[slot]).append(made)
        child = child.next


def walk(_Element root, dict plan, Py_ssize_t width, object absent):
    """``(row, odd)``: the root row (``width`` slots) and whether the report holds
    anything the walk does not read like the parser."""
    cdef bint odd = False
    row = [absent] * width
    _walk(root._c_node, plan, row, absent, &odd)
    return row, odd
