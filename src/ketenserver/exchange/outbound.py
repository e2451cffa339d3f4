"""Calling another party's WUS service as the server: SBB pushing a mutation to a school.

The server is then the *client* of the exchange, so it secures the message exactly as the
client library does: :class:`ketenclient.WusSignature` signs the request (Body, Timestamp, every
WS-Addressing header) and verifies the answer (signature at its own places, trusted and not
revoked signer carrying the expected OIN, fresh Timestamp, RelatesTo, SignatureConfirmation).
The TLS connection presents the server's certificate and trusts only the configured bundle
(``trust_env`` off: ``REQUESTS_CA_BUNDLE`` must not replace it).

Every failure becomes an :class:`OutboundError` with a reason fit for the journal; what was sent
and received travels with it, so each attempt can be journalled in full.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import requests
from lxml import etree

from ketenclient.credentials import Credentials
from ketenclient.errors import KetenClientError
from ketenclient.security import WusSignature
from ketencore import names as ns
from ketencore.envelope import read_envelope
from ketencore.errors import ExchangeError
from ketencore.trust import TrustStore
from ketencore.validation import validate_payload
from ketencore.xmlparse import parse_untrusted

MAX_ANSWER_BYTES = 1024 * 1024
"""A larger answer is not read: nothing a receiver must say needs more."""


class OutboundError(Exception):
    """The call did not end in a trusted, valid answer."""

    def __init__(self, reason: str, *, request: bytes = b"", response: bytes = b"",
                 signer_oin: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request = request
        self.response = response
        self.signer_oin = signer_oin


@dataclass(frozen=True)
class Answer:
    payload: etree._Element
    """The Body's element, from the verified message."""
    request: bytes
    response: bytes
    message_id: str


class SignedCaller:
    """Posts signed requests (profile 2W-be-S) with the server's key and certificate."""

    def __init__(self, *, cert_chain: Path, key: Path, trust_bundle: Path, trust: TrustStore,
                 timeout: float, clock: Callable[[], datetime]) -> None:
        self._credentials = Credentials.from_pem(cert_chain, key, trust=trust_bundle)
        self._trust = trust
        self._timeout = timeout
        self._clock = clock
        self._session = requests.Session()
        self._session.trust_env = False
        self._session.verify = str(trust_bundle)
        self._session.cert = (str(cert_chain), str(key))

    @property
    def oin(self) -> str:
        return str(self._credentials.oin)

    def call(self, address: str, action: str, payload: etree._Element, *, schema: etree.XMLSchema,
             expect_signer: str) -> Answer:
        """Send *payload* to *address*; the answer must be signed by *expect_signer* and valid."""
        security = WusSignature(address, self._credentials, trust_store=self._trust, server_oin=expect_signer,
                                clock=self._clock)
        envelope = etree.Element(ns.ENVELOPE, nsmap={"soapenv": ns.SOAP_ENV})
        etree.SubElement(envelope, ns.BODY).append(payload)
        root, _ = security.apply(envelope, {"SOAPAction": action})
        request = etree.tostring(root, xml_declaration=True, encoding="utf-8")
        message_id = security.last_message_id or ""
        response = self._post(address, action, request)
        try:
            parsed = read_envelope(parse_untrusted(response))
        except ExchangeError as error:
            raise OutboundError(f"the answer is not a usable SOAP envelope: {error.message}",
                                request=request, response=response) from None
        try:
            security.verify(parsed.root)
        except KetenClientError as error:
            raise OutboundError(f"the answer is not trusted: {error}", request=request, response=response) from None
        body = parsed.payload
        if body.tag == ns.FAULT_TAG:
            raise OutboundError(f"the receiver answered with a fault: {body.findtext('faultstring') or '?'}",
                                request=request, response=response, signer_oin=expect_signer)
        try:
            validate_payload(schema, body)
        except ExchangeError as error:
            raise OutboundError(f"the answer does not follow the contract: {error.message}",
                                request=request, response=response, signer_oin=expect_signer) from None
        return Answer(body, request, response, message_id)

    def _post(self, address: str, action: str, request: bytes) -> bytes:
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
        try:
            with self._session.post(address, data=request, headers=headers, timeout=self._timeout,
                                    stream=True, allow_redirects=False) as reply:
                content = reply.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
                status = reply.status_code
        except requests.exceptions.SSLError:
            raise OutboundError("the TLS connection was refused (certificate not trusted, or ours not accepted)",
                                request=request) from None
        except requests.exceptions.Timeout:
            raise OutboundError(f"no answer within {self._timeout:g} s", request=request) from None
        except requests.exceptions.ConnectionError:
            raise OutboundError("the receiver could not be reached (connection refused or lost)",
                                request=request) from None
        except requests.exceptions.RequestException as error:
            raise OutboundError(f"the call failed ({type(error).__name__})", request=request) from None
        if len(content) > MAX_ANSWER_BYTES:
            raise OutboundError(f"the answer exceeds {MAX_ANSWER_BYTES} bytes", request=request,
                                response=content[:MAX_ANSWER_BYTES])
        if status not in (200, 500):  # SOAP 1.1 over HTTP: 200, or 500 with a fault
            raise OutboundError(f"HTTP status {status}", request=request, response=content)
        return bytes(content)

    def close(self) -> None:
        self._session.close()
