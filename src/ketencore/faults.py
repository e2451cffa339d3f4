"""The fault catalogue and the one place where SOAP 1.1 faults are built.

Codes 0001-0051 are the Digikoppeling best-practice technical fault numbers (Koppelvlakstandaard
WUS). Codes 01xx refine "the receiver rejects any signature failure" (WB013) and the other WUS
security rules so that a vendor sees which rule failed; 0500 is the single answer to anything
unexpected. A service's business codes (prefix per service, e.g. ``SBB-``) are carried by its
:class:`~ketencore.errors.RuleError` subclasses, each of which names its :class:`FaultSpec`; so
:func:`fault_for` needs no registry, and a side (server, receiver) answers any error it raises.
The server's catalogue (:mod:`ketenserver.faults`) lists the core codes and those of the features
it runs.

A fault never contains a stack trace or text from a library: messages are written here or in the
rule that raised them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lxml import etree

from ketencore import names as ns
from ketencore.errors import BusinessError, KetenError, RuleError

FaultCode = Literal["Client", "Server"]


@dataclass(frozen=True)
class FaultSpec:
    code: str
    faultcode: FaultCode
    title: str
    rule: str
    """The standard's rule this code enforces (e.g. WB013), or the service's own rule."""


CORE_FAULTS = (
    FaultSpec("0001", "Client", "Invalid SOAP envelope", "WW001/WW003"),
    FaultSpec("0002", "Client", "Not authorised", "PKI001"),
    FaultSpec("0003", "Client", "Invalid SOAPAction", "WS002"),
    FaultSpec("0004", "Client", "Message not valid against the XSD", "WW001"),
    FaultSpec("0005", "Client", "wsa:To missing", "WA001"),
    FaultSpec("0006", "Client", "wsa:Action missing", "WA001"),
    FaultSpec("0007", "Client", "wsa:MessageID missing", "WA001"),
    FaultSpec("0008", "Client", "wsa:RelatesTo missing", "WA001"),
    FaultSpec("0009", "Client", "Message not UTF-8", "WS006"),
    FaultSpec("0010", "Client", "Header block other than WS-Addressing or WS-Security", "WS007"),
    FaultSpec("0011", "Client", "Wrong header value", "WA001"),
    FaultSpec("0051", "Server", "Service unavailable", "WS003"),
    FaultSpec("0101", "Client", "Message too large", "ketenserver size limit"),
    FaultSpec("0102", "Client", "DTD or entity declaration not allowed", "WW001 (BP 1.2 R1008)"),
    FaultSpec("0110", "Client", "WS-Security header or signature missing", "WB013"),
    FaultSpec("0111", "Client", "Signature does not verify", "WB013"),
    FaultSpec("0112", "Client", "Required message part not signed", "WB004"),
    FaultSpec("0113", "Client", "Algorithm not allowed", "WB007"),
    FaultSpec("0114", "Client", "Certificate not trusted", "WT004/PKI001"),
    FaultSpec("0115", "Client", "Timestamp missing or not fresh", "WB002"),
    FaultSpec("0116", "Client", "Replayed message", "WB013"),
    FaultSpec("0117", "Client", "Duplicate Id", "WB004"),
    FaultSpec("0118", "Client", "Security token reference invalid", "WB009/WB010"),
    FaultSpec("0500", "Server", "Internal error", "ketenserver"),
)


def internal_error() -> KetenError:
    """The one answer to anything unexpected: it says nothing of the cause (the log keeps that)."""
    return KetenError("0500", "The server could not process the message; the journal holds the detail.")


@dataclass(frozen=True)
class Fault:
    """A fault ready to be serialised: what the pipeline answers instead of a response."""

    spec: FaultSpec
    message: str
    field: str | None
    with_detail: bool

    @property
    def faultstring(self) -> str:
        return f"{self.spec.code}: {self.message}"


CORE_BY_CODE = {spec.code: spec for spec in CORE_FAULTS}


def rule_faults(errors: object) -> tuple[FaultSpec, ...]:
    """The fault codes a module of errors declares: the ``spec`` of each of its
    :class:`~ketencore.errors.RuleError` subclasses, in the order they are defined. A feature's codes
    are written once, on its error classes; this is how its catalogue entry is derived."""
    found: list[FaultSpec] = []
    for value in vars(errors).values():
        declares = isinstance(value, type) and issubclass(value, RuleError) and "spec" in value.__dict__
        if declares and value.spec not in found:
            found.append(value.spec)
    return tuple(found)


def spec_of(error: KetenError) -> FaultSpec | None:
    """The catalogued meaning of an error's code: its own spec for a rule, else a core code."""
    if isinstance(error, RuleError):
        return error.spec
    return CORE_BY_CODE.get(error.code)


def fault_for(error: KetenError) -> Fault:
    spec = spec_of(error)
    if spec is None:  # an uncatalogued code is a bug: never let it reach the wire as such
        spec, error = CORE_BY_CODE["0500"], internal_error()
    # A detail only when the Body caused the fault (Digikoppeling fault rules).
    with_detail = isinstance(error, BusinessError) or error.code == "0004"
    return Fault(spec, error.message, error.field, with_detail)


def fault_body(fault: Fault) -> etree._Element:
    """The soap:Fault element (to be placed in a Body)."""
    element = etree.Element(ns.FAULT_TAG, nsmap={"soapenv": ns.SOAP_ENV})
    etree.SubElement(element, "faultcode").text = f"soapenv:{fault.spec.faultcode}"
    etree.SubElement(element, "faultstring").text = fault.faultstring
    if fault.with_detail:
        detail = etree.SubElement(element, "detail")
        info = etree.SubElement(detail, ns.qn(ns.FAULT, "FaultDetail"), nsmap={"kf": ns.FAULT})
        etree.SubElement(info, ns.qn(ns.FAULT, "Code")).text = fault.spec.code
        if fault.field:
            etree.SubElement(info, ns.qn(ns.FAULT, "Field")).text = fault.field
        etree.SubElement(info, ns.qn(ns.FAULT, "Rule")).text = fault.spec.rule
    return element
