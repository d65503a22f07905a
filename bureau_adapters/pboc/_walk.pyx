# cython: language_level=3, boundscheck=False, wraparound=False
"""The raw texts a plan asks for, read from a parsed report in one C walk (no proxies).

Compiled against lxml's public C API (``lxml.get_include()``); used by
:mod:`bureau_adapters.pboc.rawread`, which builds the plan and falls back to the pure-Python
reader when this module is not built.

A plan is a dict ``tag (bytes) -> entry`` for the children of one element:

* ``int``: an item; its text goes to that slot of the current row;
* ``(plan, SEGMENT, 0, 0)``: a segment whose items belong to the current row;
* ``(plan, SINGLE, slot, 0)``: a single group, read into the current row; its first
  occurrence marks ``slot`` and later occurrences are skipped, as the parser does;
* ``(plan, MANY, table, width)``: one record of a repeating group: a new row
  ``[parent row, item slots...]`` appended to ``tables[table]``.

Elements the plan does not name are skipped. Whatever the pure-Python reader could read
differently is reported as ``odd`` instead: an item seen twice in one row (the parser
would take the first *valid* one), an item element holding anything but one text node
(child elements, CDATA, several text nodes).
"""

from cpython.bytes cimport PyBytes_FromString
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.string cimport strlen
from lxml.includes cimport tree
from lxml.includes.etreepublic cimport _Element, import_lxml__etree

import_lxml__etree()

cdef enum:
    SEGMENT = 0
    SINGLE = 1
    MANY = 2


cdef object _text(tree.xmlNode* el, bint* odd):
    """``el.text`` when it is plain (nothing, or one text node); else flag ``odd``."""
    cdef tree.xmlNode* child = el.children
    if child is NULL:
        return None
    if child.type != tree.XML_TEXT_NODE or child.next is not NULL:
        odd[0] = True
        return None
    cdef const char* content = <const char*>child.content
    return PyUnicode_DecodeUTF8(content, strlen(content), NULL)


cdef void _walk(
    tree.xmlNode* parent, dict plan, list row, Py_ssize_t row_id, list tables, bint* odd
) except *:
    cdef tree.xmlNode* child = parent.children
    cdef Py_ssize_t slot
    cdef list new
    while child is not NULL:
        if child.type == tree.XML_ELEMENT_NODE and child.ns is NULL:
            entry = plan.get(PyBytes_FromString(<const char*>child.name))
            if entry is None:
                pass
            elif type(entry) is int:
                slot = entry
                if row[slot] is not None:
                    odd[0] = True
                row[slot] = _text(child, odd)
                if row[slot] is None:
                    row[slot] = ""  # present without text: a null marker, not absent
            else:
                sub, kind, index, width = <tuple>entry
                if kind == SEGMENT:
                    _walk(child, sub, row, row_id, tables, odd)
                elif kind == SINGLE:
                    if row[index] is None:
                        row[index] = True
                        _walk(child, sub, row, row_id, tables, odd)
                else:
                    rows = <list>tables[index]
                    new = [None] * width
                    new[0] = row_id
                    rows.append(new)
                    _walk(child, sub, new, len(rows) - 1, tables, odd)
        child = child.next


def walk(_Element root, dict plan, Py_ssize_t ntables, Py_ssize_t width):
    """``(row, tables, odd)``: the root row (``width`` slots), the rows of each repeating
    group, and whether the report holds anything the walk does not read like the parser."""
    cdef bint odd = False
    tables = [[] for _ in range(ntables)]
    row = [None] * width
    _walk(root._c_node, plan, row, 0, tables, &odd)
    return row, tables, odd
