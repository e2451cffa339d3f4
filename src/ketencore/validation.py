"""XSD validation of Body content with lxml, with fault messages in our own words.

lxml's messages are library text; a vendor gets instead the element, its path and which kind
of rule failed, in wording of ours.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, cast

from lxml import etree

from ketencore.errors import ExchangeError
from ketencore.faults import internal_error
from ketencore.xmlparse import LIBXML

log = logging.getLogger(__name__)

_KINDS = {
    "PATTERN_VALID": "does not have the required format",
    "LENGTH_VALID": "does not have the required length",
    "MINLENGTH_VALID": "is too short",
    "MAXLENGTH_VALID": "is too long",
    "ENUMERATION_VALID": "is not one of the allowed values",
    "DATATYPE_VALID": "is not a valid value of its type",
    "MININCLUSIVE_VALID": "is below the allowed minimum",
    "MAXINCLUSIVE_VALID": "is above the allowed maximum",
    "TOTALDIGITS_VALID": "has too many digits",
    "COMPLEX_TYPE_2_4": "misses a required element or holds an unexpected one",
    "ELEMENT_CONTENT": "misses a required element or holds an unexpected one",
    "ELT_1": "is not an element this service knows",
    "COMPLEX_TYPE_3_2_2": "carries an attribute that is not allowed",
    "COMPLEX_TYPE_2_3": "holds text where only elements are allowed",
}


_EXPECTED = re.compile(r"\{[^}]*\}([A-Za-z_][\w.-]*)")


_PREFIX = re.compile(r"[\w.-]+:")
_VALIDATING = threading.Lock()


def _field(path: str | None) -> str:
    if not path:
        return "Body"
    last = path.rstrip("/").rsplit("/", 1)[-1]
    last = last.split("[", 1)[0]
    return last.split(":", 1)[-1] or "Body"


_STEP = re.compile(r"(?:[\w.-]+:)?([\w.-]+|\*)(?:\[(\d+)\])?")


def _named_path(payload: etree._Element, path: str) -> str:
    """lxml's error path (rooted at *payload*) with local names: lxml writes ``*`` for an element
    in a default namespace. Each step is followed among the element children, as XPath would."""
    steps = path.strip("/").split("/")
    element, names = payload, [etree.QName(payload).localname]
    for step in steps[1:]:
        match = _STEP.fullmatch(step)
        if match is None:
            return path
        local, index = match.group(1), int(match.group(2) or 1)
        candidates = [child for child in element.iterchildren(etree.Element)
                      if local == "*" or etree.QName(child).localname == local]
        if len(candidates) < index:
            return path
        element = candidates[index - 1]
        names.append(etree.QName(element).localname)
    return "/" + "/".join(names)


def validate_payload(schema: etree.XMLSchema, payload: etree._Element, *, outbound: bool = False) -> None:
    """Refuse a Body element the published XSD does not accept (0004)."""
    # One schema object serves every thread, and its error log is part of it: without the lock
    # another thread's validation can replace the log before this one reads it (then the fault
    # would name the wrong field). Validating takes microseconds, so the lock costs nothing.
    with _VALIDATING, LIBXML:
        if schema.validate(payload):
            return
        errors: Any = cast(Any, schema.error_log).copy()  # lxml-stubs lack _ErrorLog.copy
    entry = errors[0] if len(errors) else None
    if outbound:
        # Our own response breaks the contract: a bug, never the caller's fault.
        # Type and path only: the message text of lxml may quote a value (personal data).
        log.error("response not valid against the XSD: %s at %s", entry.type_name if entry else "?",
                  entry.path if entry else "?")
        raise internal_error()
    type_name = entry.type_name if entry is not None else ""
    kind = next((text for key, text in _KINDS.items() if type_name.endswith(key)),
                "is not valid against the schema")
    path = _named_path(payload, entry.path) if entry is not None and entry.path else None
    name = _field(path)
    # The path with the contract's element names only (prefixes are the sender's choice).
    where = f" at {_PREFIX.sub('', path)}" if path else ""
    message = entry.message if entry is not None else ""
    # The element names the schema expected are the contract's words, not the library's.
    expected = [local for local in _EXPECTED.findall(message.split("Expected", 1)[1])] if "Expected" in message else []
    if expected and "Missing child" in message:
        raise ExchangeError("0004", f"Field {expected[0]} is missing in {name}{where} (XSD of this service).",
                            field=expected[0])
    if expected:
        kind = f"is not expected here; expected {' or '.join(expected)}"
    raise ExchangeError("0004", f"Field {name}{where} {kind} (XSD of this service).", field=name)
