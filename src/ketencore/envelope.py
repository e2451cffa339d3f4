"""SOAP 1.1 envelope structure and WS-Addressing headers (WW001, WW003, WS007, WA001)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from lxml import etree

from ketencore import names as ns
from ketencore import wsse
from ketencore.errors import ExchangeError
from ketencore.profiles import DIGIKOPPELING_2W_BE, DIGIKOPPELING_2W_BE_S, Profile
from ketencore.xmlparse import LIBXML

SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
FAULT_ACTION = "http://www.w3.org/2005/08/addressing/soap/fault"
_ALLOWED_HEADER_NAMESPACES = frozenset({ns.WSA, ns.WSSE})


@dataclass(frozen=True)
class Envelope:
    root: etree._Element
    header: etree._Element | None
    body: etree._Element
    payload: etree._Element
    """The Body's single child element."""
    security: etree._Element | None
    addressing: dict[str, etree._Element]
    """WS-Addressing header blocks by local name (To, Action, MessageID, ...)."""

    def wsa(self, name: str) -> str | None:
        element = self.addressing.get(name)
        if element is None:
            return None
        if name in ("From", "ReplyTo", "FaultTo"):
            address = element.find(ns.qn(ns.WSA, "Address"))
            return (address.text or "").strip() if address is not None else None
        return (element.text or "").strip()


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def read_envelope(root: etree._Element) -> Envelope:
    """Check the envelope's shape and collect its header blocks."""
    if root.tag == ns.qn(SOAP12_ENV, "Envelope"):
        raise ExchangeError("0001", "SOAP 1.2 envelopes are not accepted; use SOAP 1.1 (WW001).")
    if root.tag != ns.ENVELOPE:
        raise ExchangeError("0001", "The document element is not a SOAP 1.1 Envelope.")
    children = _elements(root)
    headers = [c for c in children if c.tag == ns.HEADER]
    bodies = [c for c in children if c.tag == ns.BODY]
    if len(bodies) != 1:
        raise ExchangeError("0001", f"The envelope must hold exactly one Body; it holds {len(bodies)}.")
    if len(headers) > 1:
        raise ExchangeError("0001", "The envelope must hold at most one Header.")
    expected = [*headers, bodies[0]]
    if children != expected:
        raise ExchangeError("0001", "The envelope may only hold a Header followed by the Body.")
    body = bodies[0]
    payload = _elements(body)
    if len(payload) != 1:
        raise ExchangeError("0001", f"The Body must hold exactly one element (WW003); it holds {len(payload)}.")
    if (body.text or "").strip() or any((c.tail or "").strip() for c in body):
        raise ExchangeError("0001", "The Body holds text beside its element.")

    header = headers[0] if headers else None
    security: etree._Element | None = None
    addressing: dict[str, etree._Element] = {}
    for block in _elements(header) if header is not None else []:
        qname = etree.QName(block)
        if qname.namespace not in _ALLOWED_HEADER_NAMESPACES:
            raise ExchangeError(
                "0010",
                f"Header block {{{qname.namespace}}}{qname.localname} is neither WS-Addressing nor "
                "WS-Security (WS007).",
                field=qname.localname,
            )
        if block.tag == ns.SECURITY:
            if security is not None:
                raise ExchangeError("0001", "The message carries more than one wsse:Security header.")
            security = block
        elif qname.namespace == ns.WSA:
            if qname.localname not in ns.WSA_HEADERS:
                raise ExchangeError("0011", f"wsa:{qname.localname} is not a WS-Addressing header.",
                                    field=qname.localname)
            if qname.localname in addressing:
                raise ExchangeError("0011", f"wsa:{qname.localname} appears more than once.",
                                    field=qname.localname)
            addressing[qname.localname] = block
        else:
            raise ExchangeError("0010", f"Header block wsse:{qname.localname} is not allowed here.")
    return Envelope(root, header, body, payload[0], security, addressing)


def check_request_addressing(envelope: Envelope, *, endpoint_path: str, requires_from: bool) -> None:
    """WA001 for requests: To, Action and MessageID present and sane; EPRs only carry Address."""
    for name, code in (("To", "0005"), ("Action", "0006"), ("MessageID", "0007")):
        if not envelope.wsa(name):
            raise ExchangeError(code, f"The request has no wsa:{name} header (WA001).", field=name)
    to = envelope.wsa("To") or ""
    if urlsplit(to).path.rstrip("/") != endpoint_path.rstrip("/"):
        raise ExchangeError("0011", f"wsa:To names {to!r}, not this endpoint ({endpoint_path}).", field="To")
    if requires_from and not envelope.wsa("From"):
        raise ExchangeError("0011", "wsa:From is required for an operation that changes data (WA001).",
                            field="From")
    for name in ("From", "ReplyTo", "FaultTo"):
        element = envelope.addressing.get(name)
        if element is None:
            continue
        parts = _elements(element)
        if [p.tag for p in parts] != [ns.qn(ns.WSA, "Address")]:
            raise ExchangeError("0011", f"wsa:{name} may only hold an Address (endpoint references).", field=name)
        if name != "From" and (envelope.wsa(name) or "").split("?")[0] != ns.WSA_ANONYMOUS:
            raise ExchangeError(
                "0011", f"wsa:{name} must be anonymous: exchanges are request/response only (WS003).", field=name
            )


def check_no_addressing(envelope: Envelope, profile: Profile) -> None:
    """A profile without WS-Addressing (MAGDA) refuses its headers rather than ignore them: a
    client that sends them was built for another profile, and nothing it says there would count."""
    for name in envelope.addressing:
        raise ExchangeError("0010", f"wsa:{name} is not part of profile {profile.name}, which carries no "
                            "WS-Addressing headers: the message's identity is in its Body.", field=name)


def write_reply(payload: etree._Element, *, action: str | None, relates_to: str | None,
                signer: wsse.MessageSigner | None, now: datetime, confirm: str | None = None,
                profile: Profile | None = None) -> bytes:
    """A response envelope around *payload* (a response element or a soap:Fault), as *profile* wants.

    With WS-Addressing (the Digikoppeling profiles): Action (the fault action for a fault), a fresh
    MessageID, RelatesTo and To (anonymous). With a *signer* also a Timestamp, a
    SignatureConfirmation of the request's SignatureValue *confirm* where the profile confirms
    (WB014), and a signature over all of them and the Body. Without *profile*, 2W-be-S when there
    is a signer and 2W-be when not. Used by the server for every reply, and by the client
    library's receivers for theirs.
    """
    if profile is None:
        profile = DIGIKOPPELING_2W_BE_S if signer is not None else DIGIKOPPELING_2W_BE
    if profile.signed != (signer is not None):
        raise ValueError(f"profile {profile.name} {'needs a' if profile.signed else 'takes no'} signer")
    nsmap = {"soapenv": ns.SOAP_ENV, "wsa": ns.WSA, "wsu": ns.WSU} if profile.addressing else {
        "soapenv": ns.SOAP_ENV, "wsu": ns.WSU}
    root = etree.Element(ns.ENVELOPE, nsmap=nsmap)
    header = etree.SubElement(root, ns.HEADER)
    body = etree.SubElement(root, ns.BODY)
    body.append(payload)
    if payload.tag == ns.FAULT_TAG or not action:
        action = FAULT_ACTION
    parts = [body]
    addressing = (("Action", action), ("MessageID", wsse.new_message_id()), ("RelatesTo", relates_to),
                  ("To", ns.WSA_ANONYMOUS)) if profile.addressing else ()
    for name, value in addressing:
        if value:
            element = etree.SubElement(header, ns.qn(ns.WSA, name))
            element.text = value
            parts.append(element)
    if signer is not None:
        security = etree.SubElement(header, ns.SECURITY, nsmap={"wsse": ns.WSSE})
        security.set(ns.qn(ns.SOAP_ENV, "mustUnderstand"), "1")
        stamp = wsse.new_timestamp(now)
        security.append(stamp)
        parts.append(stamp)
        if confirm and profile.confirms_signature:
            confirmation = etree.SubElement(security, ns.qn(ns.WSSE11, "SignatureConfirmation"),
                                            {"Value": confirm}, nsmap={"wsse11": ns.WSSE11})
            parts.append(confirmation)
        signer.sign(root, security, parts)
    with LIBXML:  # lxml serialises without the GIL (see ketencore.xmlparse.LIBXML)
        return etree.tostring(root, xml_declaration=True, encoding="utf-8")
