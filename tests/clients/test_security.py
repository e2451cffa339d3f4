"""The wsse objects: what a request carries (checked with the server's own verifier) and which
responses the client refuses."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from ketenclient import Credentials, ResponseNotTrusted, WusAddressing, WusSignature
from ketencore import names as ns
from ketencore import wsse
from ketencore.envelope import check_request_addressing, read_envelope
from ketencore.trust import TrustStore
from ketenserver.pki import DevPki
from ketenserver.recognitions import NAMESPACE as SBB_NAMESPACE

WSA_SENT = ("To", "From", "Action", "MessageID")


# -- egress -------------------------------------------------------------------------------------


def test_signed_request_covers_body_timestamp_and_every_addressing_header(
        signing: WusSignature, school: Credentials, wire: Any) -> None:
    envelope = read_envelope(wire.send(signing))

    assert envelope.security is not None
    assert envelope.security.get(ns.qn(ns.SOAP_ENV, "mustUnderstand")) == "1"
    stamp = wsse.read_timestamp(envelope.security)
    required = {"Body": envelope.body, "Timestamp": stamp.element}
    required.update({f"wsa:{name}": envelope.addressing[name] for name in WSA_SENT})
    verified = wsse.verify(envelope.root, envelope.security, required)

    assert verified.certificate == school.certificate
    assert verified.signature_value == signing.last_signature_value
    assert sorted(envelope.addressing) == sorted(WSA_SENT)
    assert envelope.wsa("To") == wire.ENDPOINT
    assert envelope.wsa("Action") == wire.ACTION  # the SOAPAction, unquoted
    assert envelope.wsa("MessageID") == signing.last_message_id
    assert envelope.wsa("From") == f"{ns.WSA_ANONYMOUS}?oin=0000000700025LX00000"
    assert envelope.payload.findtext(ns.qn(SBB_NAMESPACE, "Naam")) == "Bakkerij De Korenschoof"
    # What the server's pipeline demands of a state-changing request's addressing (WA001).
    check_request_addressing(envelope, endpoint_path="/sbb-erkenningen/2W-be-S", requires_from=True)


def test_zeeps_own_addressing_headers_are_replaced_not_duplicated(signing: WusSignature, wire: Any) -> None:
    envelope = read_envelope(wire.send(signing, with_zeep_addressing=True))  # refuses duplicates itself
    assert envelope.wsa("MessageID") == signing.last_message_id != "urn:uuid:zeeps-own"
    assert envelope.header is not None
    assert len(envelope.header.findall(ns.qn(ns.WSA, "Action"))) == 1


def test_each_request_gets_a_new_message_id_unless_retrying(signing: WusSignature, wire: Any) -> None:
    wire.send(signing)
    first = signing.last_message_id
    wire.send(signing)
    assert signing.last_message_id != first
    with signing.exchange("urn:uuid:11111111-2222-3333-4444-555555555555"):
        sent = read_envelope(wire.send(signing))
    assert sent.wsa("MessageID") == "urn:uuid:11111111-2222-3333-4444-555555555555"
    wire.send(signing)
    assert signing.last_message_id != "urn:uuid:11111111-2222-3333-4444-555555555555"


def test_action_falls_back_to_wsam_action_and_must_agree_with_soapaction(
        signing: WusSignature, wire: Any) -> None:
    root, _ = signing.apply(wire.zeep_envelope(with_zeep_addressing=True), {"SOAPAction": '""'})
    assert read_envelope(wire.on_the_wire(root)).wsa("Action") == wire.ACTION
    with pytest.raises(Exception, match="WS002"):
        signing.apply(wire.zeep_envelope(with_zeep_addressing=True), {"SOAPAction": '"urn:other"'})


def test_unsigned_profile_sends_addressing_only(addressing: WusAddressing, wire: Any) -> None:
    envelope = read_envelope(wire.send(addressing))
    assert envelope.security is None
    assert sorted(envelope.addressing) == sorted(WSA_SENT)
    assert addressing.last_signature_value is None
    check_request_addressing(envelope, endpoint_path="/sbb-erkenningen/2W-be", requires_from=True)


# -- ingress ------------------------------------------------------------------------------------


def test_accepts_the_servers_signed_response(signing: WusSignature, server_signer: wsse.MessageSigner,
                                             wire: Any) -> None:
    sent = wire.send(signing)
    signing.verify(wire.answer(sent, server_signer).render())


def test_accepts_a_signed_fault_without_confirmation(signing: WusSignature, server_signer: wsse.MessageSigner,
                                                     wire: Any) -> None:
    """A server that refused the request's signature has nothing to confirm (WB014)."""
    sent = wire.send(signing)
    response = wire.answer(sent, server_signer)
    response.confirm, response.action = None, wire.FAULT_ACTION
    response.body = wire.fault_payload("0111", "The SignatureValue does not verify.", "SignatureValue",
                                       with_detail=False)
    signing.verify(response.render())


def _change_body(root: etree._Element) -> None:
    naam = root.find(f".//{{{SBB_NAMESPACE}}}Melding")
    assert naam is not None
    naam.text = "Erkend leerbedrijf gevonden."


def _drop_security(root: etree._Element) -> None:
    header = root.find(ns.HEADER)
    assert header is not None
    security = header.find(ns.SECURITY)
    assert security is not None
    header.remove(security)


def _drop_relates_to(root: etree._Element) -> None:
    header = root.find(ns.HEADER)
    assert header is not None
    header.remove(header.find(ns.qn(ns.WSA, "RelatesTo")))


Spoil = Callable[[Any, Any], Any]  # (response, wire) -> optional after_signing hook

REFUSALS: dict[str, tuple[Spoil, str]] = {
    "body changed after signing": (lambda r, w: _change_body, "digest of"),
    "relates to another request": (lambda r, w: setattr(r, "relates_to", "urn:uuid:someone-else"),
                                   "relates to"),
    "no RelatesTo": (lambda r, w: _drop_relates_to, "RelatesTo"),
    "RelatesTo not signed": (lambda r, w: setattr(r, "unsigned", ("RelatesTo",)),
                             "wsa:RelatesTo is not signed"),
    "confirmation of another signature": (lambda r, w: setattr(r, "confirm", "QUJD" * 64),
                                          "does not match the signature"),
    "confirmation missing": (lambda r, w: setattr(r, "confirm", None), "no SignatureConfirmation"),
    "confirmation not signed": (lambda r, w: setattr(r, "unsigned", ("SignatureConfirmation",)),
                                "SignatureConfirmation is not signed"),
    "unsigned": (lambda r, w: setattr(r, "signer", None), "not signed"),
    "Security header removed": (lambda r, w: _drop_security, "not signed"),
    "stale Timestamp": (lambda r, w: setattr(r, "created", w.minutes_ago(10)), "stale"),
    "Timestamp not signed": (lambda r, w: setattr(r, "unsigned", ("Timestamp",)), "Timestamp is not signed"),
    "Body not signed": (lambda r, w: setattr(r, "unsigned", ("Body",)), "Body is not signed"),
}


@pytest.mark.parametrize("spoil", REFUSALS, ids=list(REFUSALS))
def test_refuses_a_response_that_does_not_check_out(
        spoil: str, signing: WusSignature, server_signer: wsse.MessageSigner, wire: Any) -> None:
    sent = wire.send(signing)
    response = wire.answer(sent, server_signer)
    change, reason = REFUSALS[spoil]
    hook = change(response, wire)
    with pytest.raises(ResponseNotTrusted, match=reason):
        signing.verify(response.render(hook if callable(hook) else None))


@pytest.mark.parametrize(("party", "reason"), [
    ("test-foreign", "not trusted: .*not issued by a trusted certificate authority"),
    ("test-revoked", "not trusted: .*has been revoked"),
    ("test-expired", "not trusted: the certificate of OIN .* expired on"),
])
def test_refuses_a_response_signed_by_an_untrusted_certificate(
        party: str, reason: str, signing: WusSignature, signer_of: Any, wire: Any) -> None:
    sent = wire.send(signing)
    with pytest.raises(ResponseNotTrusted, match=reason):
        signing.verify(wire.answer(sent, signer_of(party)).render())


def test_refuses_a_fault_whose_confirmation_does_not_match(
        signing: WusSignature, server_signer: wsse.MessageSigner, wire: Any) -> None:
    sent = wire.send(signing)
    response = wire.answer(sent, server_signer)
    response.body, response.confirm = wire.fault_payload(), "QUJD" * 64
    with pytest.raises(ResponseNotTrusted, match="does not match"):
        signing.verify(response.render())


def test_pinned_server_oin(school: Credentials, pki: DevPki, server_signer: wsse.MessageSigner,
                           signer_of: Any, wire: Any) -> None:
    pinned = WusSignature(wire.ENDPOINT, school, server_oin="00000099000000000001")
    sent = wire.send(pinned)
    pinned.verify(wire.answer(sent, server_signer).render())
    sent = wire.send(pinned)
    # A valid certificate of the same CA, but not the server's: refused only because of the pin.
    with pytest.raises(ResponseNotTrusted, match="not by the server"):
        pinned.verify(wire.answer(sent, signer_of("school-30AB")).render())


def test_a_response_is_matched_only_in_the_thread_that_sent_the_request(
        signing: WusSignature, server_signer: wsse.MessageSigner, wire: Any) -> None:
    sent: list[etree._Element] = []
    sender = threading.Thread(target=lambda: sent.append(wire.send(signing)))
    sender.start()
    sender.join()
    with pytest.raises(ResponseNotTrusted, match="No request was sent"):
        signing.verify(wire.answer(sent[0], server_signer).render())


def test_calls_from_several_threads_are_matched_to_their_own_request(
        signing: WusSignature, server_signer: wsse.MessageSigner, wire: Any) -> None:
    """Both threads send before either verifies: shared state would mix the two calls up."""
    both_sent = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            sent = wire.send(signing)
            both_sent.wait()
            signing.verify(wire.answer(sent, server_signer).render())
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_unsigned_profile_checks_relates_to(addressing: WusAddressing, wire: Any) -> None:
    sent = wire.send(addressing)
    addressing.verify(wire.answer(sent, None).render())
    response = wire.answer(sent, None)
    response.relates_to = "urn:uuid:someone-else"
    with pytest.raises(ResponseNotTrusted, match="relates to"):
        addressing.verify(response.render())
    response.relates_to = None
    with pytest.raises(ResponseNotTrusted, match="no wsa:RelatesTo"):
        addressing.verify(response.render())


def test_signed_profile_needs_crls_to_check_the_server(pki: DevPki) -> None:
    files = pki.party("school-25LX")
    without_crls = Credentials.from_pem(files.cert, files.key, trust=pki.trust_bundle)
    with pytest.raises(ValueError, match="CRL"):
        WusSignature("https://x/sbb-erkenningen/2W-be-S", without_crls)
    # An explicit trust store is the caller's own decision.
    store = TrustStore.from_files(pki.trust_bundle, [pki.crl])
    assert WusSignature("https://x/sbb-erkenningen/2W-be-S", without_crls, trust_store=store)
