"""Digikoppeling WUS message security as zeep "wsse" objects: one per profile.

zeep calls ``apply(envelope, http_headers)`` on every request after building it, and
``verify(envelope)`` on every response *before* it looks for a SOAP fault. That makes these
objects the single place where a client's message security happens; call sites never see it.

* :class:`WusAddressing` (profile **2W-be**, mutual TLS only): WS-Addressing headers on the
  request; the response must relate to it (``wsa:RelatesTo``).
* :class:`WusSignature` (profile **2W-be-S**): the same headers, a ``wsu:Timestamp`` and an
  X.509 signature over the Body, the Timestamp and every WS-Addressing header, each by its own
  reference (WB002, WB004). The response is refused (:class:`ResponseNotTrusted`) unless:

  - it carries a fresh Timestamp (at most 300 s old, at most 60 s ahead of our clock);
  - its Body, Timestamp and every WS-Addressing header are signed *at their own place* (no
    wrapping), with exclusive C14N and SHA-256 or stronger (SHA-1 refused): the checks of
    :func:`ketencore.wsse.verify`, the same code the server runs on requests;
  - the signer's certificate chains to the configured trust bundle, is within its dates and
    not revoked according to a current CRL (WT004), as :class:`ketencore.trust.TrustStore`
    decides, and (when configured) carries the expected server OIN;
  - the *signed* ``wsa:RelatesTo`` equals this request's MessageID, so a response to another
    request (or a replayed one) is never taken for this one;
  - the *signed* ``wsse11:SignatureConfirmation`` equals this request's SignatureValue (WB014):
    the server saw exactly what was signed. A fault may lack the confirmation, because a server
    that refused the request's signature has nothing to confirm; if present it must match.

  Values are read from the signed copies that verification returns, never from the tree
  beside them ("see what is signed").
* :class:`MagdaSignature` (profile **MAGDA**, Flemish government B2B services): no WS-Addressing
  at all, a ``wsu:Timestamp`` and an X.509 signature over the Body and the Timestamp. The
  response is refused (:class:`ResponseNotTrusted`) when it carries any WS-Addressing header
  (it was written for another profile), when it is not signed, or unless it passes
  :func:`ketencore.verify.verify_message` with ``profile=MAGDA``: a fresh Timestamp, Body and
  Timestamp signed at their own place, a trusted signer (optionally pinned). There is nothing to
  relate a response to: a MAGDA message's identity (its *Referte*) travels in the Body, so the
  service client matches it there.

The signing half (Timestamp, signature, the trust decision and the pin) is one piece,
:class:`_Signing`, that both signed profiles use; :class:`MessageSecurity` is what every profile
offers a :class:`~ketenclient.base.ServiceClient` (``profile``, ``exchange``, ``last_*``).

The MessageID and SignatureValue of a request are kept per thread between ``apply`` and
``verify``, because one client may serve several threads at once. A retry of a state-changing
request reuses its MessageID (see :meth:`WusAddressing.exchange`) with a fresh Timestamp and
signature, which is what the server recognises as a retry rather than a replay.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from lxml import etree

from ketencore import names as ns
from ketencore import wsse
from ketencore.envelope import Envelope, check_no_addressing, read_envelope
from ketencore.errors import ExchangeError
from ketencore.profiles import DIGIKOPPELING_2W_BE_S, MAGDA, Profile
from ketencore.trust import TrustStore
from ketencore.verify import SignerNotTrusted, VerifiedMessage, verify_message

from .credentials import Credentials
from .errors import KetenClientError, ResponseNotTrusted

__all__ = ["Clock", "MagdaSignature", "MessageSecurity", "WusAddressing", "WusSignature"]

Clock = Callable[[], datetime]
HttpHeaders = dict[str, str]

_NSMAP = {"soapenv": ns.SOAP_ENV, "wsa": ns.WSA, "wsse": ns.WSSE, "wsu": ns.WSU}
_MAGDA_NSMAP = {"soapenv": ns.SOAP_ENV, "wsse": ns.WSSE, "wsu": ns.WSU}
_CONFIRMATION = ns.qn(ns.WSSE11, "SignatureConfirmation")
_SENT_ORDER = ("To", "From", "Action", "MessageID")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _PerThread(threading.local):
    """What one thread's current call needs between ``apply`` and ``verify``."""

    pending_message_id: str | None = None
    message_id: str | None = None
    signature_value: str | None = None


class MessageSecurity:
    """What every profile's wsse object offers a service client, besides zeep's ``apply``/``verify``.

    ``address`` is the endpoint URL the request is posted to. The state of a call is kept per
    thread (:class:`_PerThread`), so one object serves a client used by several threads.
    """

    profile: str
    """The profile's name (``2W-be``, ``2W-be-S``, ``MAGDA``): the endpoint's last path segment."""

    def __init__(self, address: str, credentials: Credentials, *, clock: Clock = _utcnow) -> None:
        self.address = address
        self.credentials = credentials
        self._clock = clock
        self._state = _PerThread()

    @contextmanager
    def exchange(self, message_id: str | None = None) -> Iterator[None]:
        """Within this block, requests from this thread carry ``message_id`` (a retry).

        Without a ``message_id`` each request gets a fresh ``urn:uuid:`` one.
        """
        self._state.pending_message_id = message_id
        try:
            yield
        finally:
            self._state.pending_message_id = None

    @property
    def last_message_id(self) -> str | None:
        """The MessageID of the last request this thread sent (to log, or to retry with)."""
        return self._state.message_id

    @property
    def last_signature_value(self) -> str | None:
        """The SignatureValue of the last request this thread signed (signed profiles only)."""
        return self._state.signature_value


class _Signing:
    """The signing half of a signed profile (2W-be-S, MAGDA): the request's Timestamp and
    signature, and the response's verification, trust decision and optional signer pin.

    ``trust_store`` defaults to one built from the credentials' trust bundle and CRLs. Without
    CRLs no server signature could be checked for revocation (WT004), so construction fails
    rather than every response.
    """

    def __init__(self, profile: Profile, credentials: Credentials, *, trust_store: TrustStore | None,
                 server_oin: str | None, timestamp_lifetime: int, max_age: int, max_skew: int,
                 identifier: str = "OIN") -> None:
        if trust_store is None:
            if not credentials.crls:
                raise ValueError(
                    f"profile {profile.name} checks the server's signing certificate against the CRL of its "
                    "CA (WT004); pass crls=[...] when loading the credentials")
            trust_store = TrustStore.from_files(credentials.trust_bundle, credentials.crls)
        self.profile = profile
        self._trust = trust_store
        self._server_oin = server_oin
        self._identifier = identifier
        self._signer = wsse.MessageSigner(credentials.key, credentials.certificate)
        self._lifetime = timestamp_lifetime
        self._max_age = max_age
        self._max_skew = max_skew

    def sign(self, root: etree._Element, header: etree._Element, parts: list[etree._Element], now: datetime
             ) -> str:
        """Add a wsse:Security header with a fresh Timestamp to ``header`` and sign ``parts`` and
        that Timestamp; return the SignatureValue."""
        security = etree.SubElement(header, ns.SECURITY)
        security.set(ns.qn(ns.SOAP_ENV, "mustUnderstand"), "1")
        stamp = wsse.new_timestamp(now, self._lifetime)
        security.append(stamp)
        return self._signer.sign(root, security, [*parts, stamp])

    def security_of(self, parsed: Envelope) -> etree._Element:
        """The response's wsse:Security header; refused when it has none."""
        if parsed.security is None:
            raise ResponseNotTrusted(f"The response is not signed: profile {self.profile.name} requires a "
                                     "wsse:Security header with a signature (WB013).")
        return parsed.security

    def verify(self, parsed: Envelope, now: datetime, also_signed: dict[str, etree._Element] | None = None
               ) -> VerifiedMessage:
        """:func:`ketencore.verify.verify_message` under this profile, its refusals as
        :class:`ResponseNotTrusted`, then the pin on the signer."""
        self.security_of(parsed)
        try:
            verified = verify_message(parsed, trust=self._trust, now=now, max_age=self._max_age,
                                      max_skew=self._max_skew, also_signed=also_signed, profile=self.profile)
        except SignerNotTrusted as error:
            reason = error.message.removeprefix("The signing certificate is not trusted: ")
            raise ResponseNotTrusted(f"The response was signed with a certificate that is not trusted: "
                                     f"{reason}.") from None
        except ExchangeError as error:
            raise ResponseNotTrusted(f"The response's signature does not check out: {error.message}"
                                     ) from None
        signer = verified.signer_oin
        if self._server_oin is not None and signer != self._server_oin:
            raise ResponseNotTrusted(f"The response was signed by {self._identifier} {signer}, not by the "
                                     f"server {self._server_oin}.")
        return verified


class WusAddressing(MessageSecurity):
    """Profile 2W-be: WS-Addressing on the request, RelatesTo checked on the response.

    ``address`` is the endpoint URL the request is posted to; it becomes ``wsa:To``.
    ``wsa:From`` names the organisation: ``...addressing/anonymous?oin=<OIN>``.
    """

    profile = "2W-be"

    # -- egress -----------------------------------------------------------------------------

    def apply(self, envelope: etree._Element, headers: HttpHeaders) -> tuple[etree._Element, HttpHeaders]:
        root, _header, _parts = self._address(envelope, headers)
        self._state.signature_value = None
        return root, headers

    def _address(self, envelope: etree._Element, headers: HttpHeaders
                 ) -> tuple[etree._Element, etree._Element, list[etree._Element]]:
        """Rebuild the envelope with our prefixes and exactly one set of WS-Addressing headers.

        zeep's own WS-Addressing plugin may have added Action, MessageID and To already (when the
        WSDL declares ``wsam:Action``); they are replaced, so the MessageID is ours to choose and
        no header appears twice. Returns the new root, its Header, and the parts to sign.
        """
        old_header, body = _split(envelope)
        action = self._action(old_header, headers)
        root, header = _rebuild(old_header, body, _NSMAP)

        message_id = self._state.pending_message_id or wsse.new_message_id()
        values = {"To": self.address, "Action": action, "MessageID": message_id}
        parts = [body]
        for name in _SENT_ORDER:
            element = etree.SubElement(header, ns.qn(ns.WSA, name))
            if name == "From":
                address = etree.SubElement(element, ns.qn(ns.WSA, "Address"))
                address.text = f"{ns.WSA_ANONYMOUS}?oin={self.credentials.oin}"
            else:
                element.text = values[name]
            parts.append(element)
        self._state.message_id = message_id
        return root, header, parts

    @staticmethod
    def _action(header: etree._Element | None, headers: HttpHeaders) -> str:
        """wsa:Action is the SOAPAction (WS002); the contracts declare them equal (WS008)."""
        soap_action = headers.get("SOAPAction", "").strip().strip('"')
        declared = header.findtext(ns.qn(ns.WSA, "Action")) if header is not None else None
        declared = (declared or "").strip()
        if soap_action and declared and soap_action != declared:
            raise KetenClientError(
                f"The WSDL's soapAction {soap_action!r} differs from its wsam:Action {declared!r}; "
                "WUS requires them to be equal (WS002).")
        action = soap_action or declared
        if not action:
            raise KetenClientError("The operation declares neither soapAction nor wsam:Action (WS008).")
        return action

    # -- ingress ----------------------------------------------------------------------------

    def verify(self, envelope: etree._Element) -> None:
        """Refuse a response that does not answer this thread's request."""
        message_id = self._sent_message_id()
        parsed = _read(envelope)
        _check_relates_to(parsed.wsa("RelatesTo"), message_id)

    def _sent_message_id(self) -> str:
        message_id = self._state.message_id
        if message_id is None:
            raise ResponseNotTrusted("No request was sent from this thread, so no response can be matched.")
        return message_id


class WusSignature(WusAddressing):
    """Profile 2W-be-S: signed requests, and responses verified before anything reads them.

    ``trust_store`` defaults to one built from the credentials' trust bundle and CRLs. Without
    CRLs no server signature could be checked for revocation (WT004), so construction fails
    rather than every response. ``server_oin`` additionally pins the OIN the response signer
    must carry (e.g. DUO's ``00000001800866472000``); by default any trusted signer is accepted.
    """

    profile = "2W-be-S"

    def __init__(
        self,
        address: str,
        credentials: Credentials,
        *,
        trust_store: TrustStore | None = None,
        server_oin: str | None = None,
        clock: Clock = _utcnow,
        timestamp_lifetime: int = 300,
        max_age: int = 300,
        max_skew: int = 60,
    ) -> None:
        super().__init__(address, credentials, clock=clock)
        self._signing = _Signing(DIGIKOPPELING_2W_BE_S, credentials, trust_store=trust_store,
                                 server_oin=server_oin, timestamp_lifetime=timestamp_lifetime,
                                 max_age=max_age, max_skew=max_skew)

    def apply(self, envelope: etree._Element, headers: HttpHeaders) -> tuple[etree._Element, HttpHeaders]:
        root, header, parts = self._address(envelope, headers)
        self._state.signature_value = None
        self._state.signature_value = self._signing.sign(root, header, parts, self._clock())
        return root, headers

    def verify(self, envelope: etree._Element) -> None:
        message_id = self._sent_message_id()
        sent_signature = self._state.signature_value
        if sent_signature is None:
            raise ResponseNotTrusted("The last request from this thread was not signed; nothing to confirm.")
        parsed = _read(envelope)
        security = self._signing.security_of(parsed)
        for name in ("Action", "MessageID", "RelatesTo"):
            if name not in parsed.addressing:
                raise ResponseNotTrusted(f"The response has no wsa:{name} header (WA001).")
        confirmations = security.findall(_CONFIRMATION)
        if len(confirmations) > 1:
            raise ResponseNotTrusted("The response carries more than one SignatureConfirmation.")
        confirmation = {"SignatureConfirmation": confirmations[0]} if confirmations else None
        verified = self._signing.verify(parsed, self._clock(), also_signed=confirmation)
        signed = verified.signed_parts
        _check_relates_to(signed["wsa:RelatesTo"].text, message_id)
        if confirmations:
            value = "".join((signed["SignatureConfirmation"].get("Value") or "").split())
            if value != sent_signature:
                raise ResponseNotTrusted("The response's SignatureConfirmation does not match the signature "
                                         "of the request (WB014): the server did not see what was signed.")
        elif parsed.payload.tag != ns.FAULT_TAG:
            raise ResponseNotTrusted("The response carries no SignatureConfirmation of the request's "
                                     "signature (WB014).")


class MagdaSignature(MessageSecurity):
    """Profile MAGDA (Flemish government B2B): a signed Body and Timestamp, no WS-Addressing.

    The request gets a ``wsse:Security`` header with a ``wsu:Timestamp`` (``timestamp_lifetime``
    seconds, as in 2W-be-S) and a signature over the Body and that Timestamp with the credentials'
    key; any WS-Addressing header zeep may have added is dropped. A response is accepted only when
    it carries no WS-Addressing header and passes :func:`ketencore.verify.verify_message` with
    ``profile=MAGDA``; anything else raises :class:`ResponseNotTrusted`. ``trust_store`` and its
    default are those of :class:`WusSignature`. ``server_oin`` pins the identifier in the response
    signer's subject serialNumber, for a Flemish service its KBO enterprise number (the
    werkplekduaal counter's ``0316200006``).

    A MAGDA message has no MessageID: its identity (the *Referte*) is in the Body, and a retry
    resends the same Body freshly signed. So :meth:`exchange` takes no ``message_id`` and
    :attr:`last_message_id` stays None; :attr:`last_signature_value` is the last request's.
    """

    profile = MAGDA.name

    def __init__(
        self,
        address: str,
        credentials: Credentials,
        *,
        trust_store: TrustStore | None = None,
        server_oin: str | None = None,
        clock: Clock = _utcnow,
        timestamp_lifetime: int = 300,
        max_age: int = 300,
        max_skew: int = 60,
    ) -> None:
        super().__init__(address, credentials, clock=clock)
        self._signing = _Signing(MAGDA, credentials, trust_store=trust_store, server_oin=server_oin,
                                 timestamp_lifetime=timestamp_lifetime, max_age=max_age, max_skew=max_skew,
                                 identifier="certificate serialNumber")

    @contextmanager
    def exchange(self, message_id: str | None = None) -> Iterator[None]:
        """Profile MAGDA carries no MessageID: a retry resends the same Referte in the Body."""
        if message_id is not None:
            raise KetenClientError("Profile MAGDA carries no wsa:MessageID; retry by sending the same Referte "
                                   "in the request's Context.")
        yield

    def apply(self, envelope: etree._Element, headers: HttpHeaders) -> tuple[etree._Element, HttpHeaders]:
        old_header, body = _split(envelope, profile=self.profile)
        root, header = _rebuild(old_header, body, _MAGDA_NSMAP)
        self._state.signature_value = None
        self._state.signature_value = self._signing.sign(root, header, [body], self._clock())
        return root, headers

    def verify(self, envelope: etree._Element) -> None:
        parsed = _read(envelope, profile=self.profile)
        try:
            check_no_addressing(parsed, MAGDA)
        except ExchangeError as error:
            raise ResponseNotTrusted(f"The response was written for another profile: {error.message}") from None
        self._signing.verify(parsed, self._clock())


def _split(envelope: etree._Element, *, profile: str = "Digikoppeling WUS") -> tuple[etree._Element | None,
                                                                                     etree._Element]:
    """The Header (if any) and the Body of the envelope zeep built."""
    if envelope.tag != ns.ENVELOPE:
        raise KetenClientError(f"{profile} uses SOAP 1.1 envelopes only (WW001).")
    old_header, body = envelope.find(ns.HEADER), envelope.find(ns.BODY)
    if body is None:
        raise KetenClientError("The envelope has no Body.")
    return old_header, body


def _rebuild(old_header: etree._Element | None, body: etree._Element, nsmap: dict[str, str]
             ) -> tuple[etree._Element, etree._Element]:
    """A new envelope with our prefixes: the old header blocks except WS-Addressing, then the Body.

    The WS-Addressing blocks are left for the profile to write (or, in MAGDA, to leave out); a
    Security header already present is refused, because only one party signs.
    """
    root = etree.Element(ns.ENVELOPE, nsmap=nsmap)
    header = etree.SubElement(root, ns.HEADER)
    for block in list(old_header) if old_header is not None else []:
        if block.tag == ns.SECURITY:
            raise KetenClientError("The envelope already carries a wsse:Security header.")
        if not (isinstance(block.tag, str) and etree.QName(block).namespace == ns.WSA):
            header.append(block)
    root.append(body)
    return root, header


def _read(envelope: etree._Element, *, profile: str = "WUS") -> Envelope:
    try:
        return read_envelope(envelope)
    except ExchangeError as error:
        raise ResponseNotTrusted(f"The response is not a valid {profile} envelope: {error.message}") from None


def _check_relates_to(value: str | None, message_id: str) -> None:
    relates_to = (value or "").strip()
    if not relates_to:
        raise ResponseNotTrusted("The response has no wsa:RelatesTo, so it cannot be matched to the request "
                                 "(WA001).")
    if relates_to != message_id:
        raise ResponseNotTrusted(f"The response relates to {relates_to!r}, not to this request "
                                 f"({message_id!r}).")
