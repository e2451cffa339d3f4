"""What a ketenclient call raises besides ordinary transport errors.

One flat hierarchy, so that a school system can catch exactly what it can act on::

    KetenClientError              base of everything below
    ├── SoapFault                 the server answered with a (verified) SOAP fault
    │   ├── ClientFault           faultcode Client: the request was wrong; fix it, do not retry
    │   └── ServerFault           faultcode Server: the server failed; retrying may help
    ├── ResponseNotTrusted        the response failed a security check; the client refused it
    ├── NoSoapAnswer              an HTTP error status without a SOAP message (a 503): retry later
    └── RequestNotValid           the request breaks the contract; nothing was sent (also a ValueError)

A :class:`SoapFault` is raised only after the fault passed the same checks as a response would
(signature, Timestamp, RelatesTo in profile 2W-be-S), so its code can be trusted. Its ``code``
is the stable code from the server's catalogue (``"0004"``, ``"0115"``, ``"SBB-1001"``...),
never library text. :class:`ResponseNotTrusted` means nothing in the response may be used: not
its data and not its fault text (which is why the message does not repeat it).

Connection and TLS failures are not wrapped: they arrive as :mod:`requests` exceptions
(``requests.exceptions.SSLError``, ``ConnectionError``, ``Timeout``), untouched, so that their
detail (which certificate, which host) is not lost.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

__all__ = [
    "ClientFault",
    "KetenClientError",
    "NoSoapAnswer",
    "RequestNotValid",
    "ResponseNotTrusted",
    "ServerFault",
    "SoapFault",
    "fault_from_parts",
]

FAULT_NS = "urn:ketenserver:fault:1"
"""Namespace of ``FaultDetail`` in the detail of the server's faults (``xsd/fault.xsd``)."""

# "0004: message" (Digikoppeling technical numbers) or "SBB-1001: message" (a service's own).
_CODED = re.compile(r"^\s*(?P<code>[0-9]{4}|[A-Z][A-Z0-9]*-[0-9]+)\s*:\s*(?P<message>.*)$", re.DOTALL)


class KetenClientError(Exception):
    """Base of every error this library raises itself."""


class SoapFault(KetenClientError):
    """A SOAP 1.1 fault from the server, with the parts a program can rely on."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None,
        faultcode: str,
        field: str | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.code = code
        """Stable code from the server's fault catalogue, or None if the fault carried none."""
        self.faultcode = faultcode
        """``Client`` or ``Server`` (without the SOAP prefix); other values only from foreign servers."""
        self.message = message
        """The fault text without its code."""
        self.field = field
        """The element or rule the fault is about (detail ``Field``), when the server named one."""
        self.rule = rule
        """The standard's rule or service rule enforced (detail ``Rule``, e.g. ``WB002``)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, field={self.field!r})"


class ClientFault(SoapFault):
    """faultcode ``Client``: the server refused the request; sending it again will not help."""


class ServerFault(SoapFault):
    """faultcode ``Server``: the server could not process the request; a retry may succeed."""


class ResponseNotTrusted(KetenClientError):
    """The response's signature, Timestamp, RelatesTo or SignatureConfirmation did not check out.

    The client refuses the whole response. For a state-changing request the server may still
    have carried it out: retry with the same MessageID to learn the outcome safely.
    """


class NoSoapAnswer(KetenClientError):
    """The server answered an HTTP error status without a SOAP message (a proxy's 502 or 503, say).

    Nothing in it can be trusted or read. ``status_code`` is the HTTP status and ``retry_after``
    the seconds the server asked to wait (None when it did not say). The request may or may not
    have been carried out: for a state-changing request retry with the same MessageID (or, in
    profile MAGDA, the same Referte and Body), which gets the original reply if it was.
    """

    def __init__(self, status_code: int, retry_after: float | None) -> None:
        super().__init__(f"The server answered HTTP {status_code} without a SOAP message; retry later with the "
                         "same MessageID.")
        self.status_code = status_code
        self.retry_after = retry_after


class RequestNotValid(KetenClientError, ValueError):
    """The request does not fit the contract (a required element missing, a value of the wrong
    type), found while building it: nothing was sent. ``field`` names the element."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def fault_from_parts(faultcode: str | None, faultstring: str | None,
                     detail: etree._Element | None = None) -> SoapFault:
    """Build the typed fault from the three parts of a SOAP 1.1 Fault.

    The code comes from the detail's ``FaultDetail/Code`` when present (the server adds a detail
    only when the Body caused the fault), else from the ``CODE: message`` form of the
    faultstring. The faultcode's prefix (``soapenv:``) and any dotted refinement are dropped.
    """
    kind = (faultcode or "").strip().rpartition(":")[2].split(".")[0]
    text = (faultstring or "").strip()
    code: str | None = None
    message = text
    match = _CODED.match(text)
    if match:
        code, message = match["code"], match["message"].strip()
    field = rule = None
    info = detail.find(f"{{{FAULT_NS}}}FaultDetail") if detail is not None else None
    if detail is not None and info is None and _local(detail.tag) == "FaultDetail":
        info = detail
    if info is not None:
        code = (info.findtext(f"{{{FAULT_NS}}}Code") or "").strip() or code
        field = (info.findtext(f"{{{FAULT_NS}}}Field") or "").strip() or None
        rule = (info.findtext(f"{{{FAULT_NS}}}Rule") or "").strip() or None
    cls = {"Client": ClientFault, "Server": ServerFault}.get(kind, SoapFault)
    return cls(message, code=code, faultcode=kind, field=field, rule=rule)
