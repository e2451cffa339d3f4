"""Hardened XML parsing: the only way untrusted bytes become an lxml tree.

No DTD is loaded, no entity is resolved, nothing is fetched from the network, and a document
that even declares a DOCTYPE is refused (SOAP forbids it: WS-I BP 1.2 R1008), so entity
expansion attacks ("billion laughs", external entities) never start.
"""

from __future__ import annotations

import threading
from typing import Any

from lxml import etree

from ketencore.errors import ExchangeError

MAX_ATTRIBUTES = 64

LIBXML = threading.RLock()
"""Held around the libxml2 work that runs without the GIL: lxml's parsing and schema validation,
and libxmlsec1's signing and verification (:mod:`ketencore.wsse`).

lxml and python-xmlsec each bring their own copy of libxml2 (their wheels bundle it), and the two
in one process are not safe side by side: measured with 4 threads, about one valid signature in
3,000 failed to verify (0111), and signing sometimes failed, while lxml parsed in another thread;
none in 20,000 one at a time, and none with this lock. The server scales by processes (a few
request threads each), so serialising this work within a process costs little."""

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
    remove_pis=False,
    collect_ids=False,
)


def parse_untrusted(raw: bytes) -> etree._Element:
    """Parse a message; refuse a DOCTYPE (0102), bad encoding (0009) or malformed XML (0001)."""
    head = raw[:1024].lstrip()
    if b"<!DOCTYPE" in raw[:4096].upper() or b"<!ENTITY" in raw[:4096].upper():
        raise ExchangeError("0102", "The message declares a DOCTYPE or an entity; SOAP messages must not.")
    if head.startswith(b"<?xml"):
        declaration = head.split(b"?>", 1)[0].lower()
        if b"encoding" in declaration and b"utf-8" not in declaration and b"utf8" not in declaration:
            raise ExchangeError("0009", "The XML declaration names an encoding other than UTF-8.")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExchangeError("0009", "The message is UTF-16 encoded; only UTF-8 is accepted.")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ExchangeError("0009", f"The message is not valid UTF-8 (byte {error.start}) (WS006).") from None
    try:
        with LIBXML:
            root = etree.fromstring(raw, parser=_PARSER)
    except etree.XMLSyntaxError as error:
        line = getattr(error, "lineno", None)
        where = f" (line {line})" if line else ""
        raise ExchangeError("0001", f"The message is not well-formed XML{where}.") from None
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise ExchangeError("0102", "The message declares a DOCTYPE or an entity; SOAP messages must not.")
    for _ in root.iter(etree.Entity):
        raise ExchangeError("0102", "The message contains an entity reference; SOAP messages must not.")
    for element in root.iter():
        # Attribute handling in lxml and in canonicalisation is quadratic in an element's
        # attribute count: 50,000 attributes would cost seconds per message. No SOAP element needs many.
        if len(element.attrib) > MAX_ATTRIBUTES:
            raise ExchangeError("0001", f"An element carries more than {MAX_ATTRIBUTES} attributes.")
    for node in (*root.itersiblings(preceding=True), *root.itersiblings(), *root.iter(etree.PI)):
        if isinstance(node, etree._ProcessingInstruction):
            raise ExchangeError("0001", "The message contains a processing instruction; SOAP messages must "
                                "not (WS-I BP R1009).")
    return root


def parse_trusted(raw: bytes) -> etree._Element:
    """Parse bytes we produced ourselves (spyne's output, stored replies); still hardened."""
    with LIBXML:
        return etree.fromstring(raw, parser=_PARSER)
