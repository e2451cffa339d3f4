"""Profile 2W-be-S end to end over mutual TLS: each WUS rule refused with its documented fault."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from ketencore import names as ns
from ketencore import wsse
from ketencore.envelope import read_envelope
from ketencore.trust import TrustStore
from ketenserver.pki import SERVER_OIN
from ketenserver.testing import fault_code

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"


@pytest.fixture
def school(builder_for):
    return builder_for("school-25LX")


def _response_envelope(content: bytes):
    return read_envelope(etree.fromstring(content))


def _verify_server_signature(content: bytes, pki) -> wsse.VerifiedSignature:
    envelope = _response_envelope(content)
    assert envelope.security is not None, "response is not signed"
    required = {"Body": envelope.body, "Timestamp": envelope.security.find(ns.TIMESTAMP)}
    required.update({f"wsa:{n}": e for n, e in envelope.addressing.items()})
    confirmation = envelope.security.find(ns.qn(ns.WSSE11, "SignatureConfirmation"))
    if confirmation is not None:
        required["SignatureConfirmation"] = confirmation
    verified = wsse.verify(envelope.root, envelope.security, required)
    store = TrustStore.from_files(pki.trust_bundle, [pki.crl])
    assert store.verify(verified.certificate) == SERVER_OIN
    return verified


def test_accepted_request_gets_a_signed_confirming_reply(post, school, payload, pki):
    built = school.build(payload(), action=ACTION)
    response = post(built.bytes())
    assert response.status_code == 200, response.text
    _verify_server_signature(response.content, pki)
    envelope = _response_envelope(response.content)
    assert envelope.wsa("RelatesTo") == built.message_id
    assert envelope.wsa("Action") == f"{SBB}:VaststellenLeerbedrijfResponse"
    assert envelope.wsa("MessageID") and envelope.wsa("MessageID") != built.message_id
    confirmation = envelope.security.find(ns.qn(ns.WSSE11, "SignatureConfirmation"))
    assert confirmation.get("Value") == built.signature_value
    assert etree.QName(envelope.payload).localname == "VaststellenLeerbedrijfResponse"


def test_tampered_body_is_refused_with_a_signed_fault(post, school, payload, pki):
    built = school.build(payload(naam="Bakkerij De Vries"), action=ACTION)
    built.body[0][0].text = "Bakkerij Jansen"
    response = post(built.bytes())
    assert response.status_code == 500
    assert fault_code(response.content) == "0111"
    verified = _verify_server_signature(response.content, pki)  # faults are signed too
    assert "Body" in verified.signed_parts
    assert b"Traceback" not in response.content and b"signxml" not in response.content.lower()


@pytest.mark.parametrize("left_out", ["Timestamp", "Action", "MessageID", "To", "From", "Body"])
def test_every_required_part_must_be_signed(post, school, payload, left_out):
    parts = [p for p in ("Body", "Timestamp", "To", "From", "Action", "MessageID") if p != left_out]
    response = post(school.build(payload(), action=ACTION, sign=parts).bytes())
    assert fault_code(response.content) == "0112"
    assert left_out in response.text


@pytest.mark.parametrize(("offset", "lifetime"), [(-301, 600), (+61, 300), (-20, 10)],
                         ids=["stale", "future", "expired"])
def test_timestamp_must_be_fresh(post, school, payload, offset, lifetime):
    created = datetime.now(UTC) + timedelta(seconds=offset)
    response = post(school.build(payload(), action=ACTION, created=created, lifetime=lifetime).bytes())
    assert fault_code(response.content) == "0115"


def test_slightly_early_clock_is_tolerated(post, school, payload):
    created = datetime.now(UTC) + timedelta(seconds=30)
    assert post(school.build(payload(), action=ACTION, created=created).bytes()).status_code == 200


def test_byte_for_byte_replay_is_refused(post, school, payload):
    data = school.build(payload(), action=ACTION).bytes()
    assert post(data).status_code == 200
    second = post(data)
    assert fault_code(second.content) == "0116"


def test_retry_with_same_message_id_and_fresh_signature_is_no_replay(post, school, payload):
    first = school.build(payload(), action=ACTION)
    retry = school.build(payload(), action=ACTION, message_id=first.message_id)
    assert post(first.bytes()).status_code == 200
    assert post(retry.bytes()).status_code == 200


def test_signed_body_moved_into_a_header_wrapper_is_refused(post, school, payload):
    built = school.build(payload(naam="Bakkerij De Vries"), action=ACTION)
    signed_body = built.body
    wrapper = etree.SubElement(built.security, ns.qn(ns.WSSE, "Wrapper"))
    built.root.remove(signed_body)
    wrapper.append(signed_body)
    evil = etree.SubElement(built.root, ns.BODY)
    evil.append(etree.fromstring(payload(naam="Iets Anders")))
    response = post(built.bytes())
    assert fault_code(response.content) == "0112"
    assert "Body" in response.text


def test_duplicate_ids_are_refused(post, school, payload):
    built = school.build(payload(), action=ACTION)
    body_id = wsse.element_id(built.body)
    decoy = etree.SubElement(built.security, ns.qn(ns.WSSE, "Decoy"))
    decoy.set("Id", body_id)  # same value, other attribute name: still a duplicate
    response = post(built.bytes())
    assert fault_code(response.content) == "0117"


def test_doctype_and_entities_are_refused(post, school, payload):
    data = school.build(payload(), action=ACTION).bytes()
    declared = data.replace(b"?>", b'?>\n<!DOCTYPE x [<!ENTITY boom "boom">]>', 1)
    response = post(declared)
    assert fault_code(response.content) == "0102"


def test_request_over_the_size_limit_is_refused(post, settings):
    response = post(b"<a>" + b"x" * (settings.max_request_bytes + 10) + b"</a>")
    assert fault_code(response.content) == "0101"
    assert str(settings.max_request_bytes) in response.text


def test_signer_neither_tls_client_nor_intermediary_is_refused(post, builder_for, payload):
    response = post(builder_for("test-rogue").build(payload(), action=ACTION).bytes())
    assert fault_code(response.content) == "0002"


def test_registered_intermediary_may_sign_for_the_school(post, builder_for, payload, journal_entry):
    built = builder_for("vendor-hosting").build(payload(), action=ACTION)
    assert post(built.bytes()).status_code == 200
    entry = journal_entry(built.message_id)
    assert entry.organisation_oin == "0000000700025LX00000"
    assert entry.signer_oin == "00000003123456780000"


@pytest.mark.parametrize("party", ["test-expired", "test-revoked", "test-foreign"])
def test_untrusted_signing_certificate_is_refused(post, builder_for, payload, party):
    response = post(builder_for(party).build(payload(), action=ACTION).bytes())
    assert fault_code(response.content) == "0114"


def test_unsigned_request_on_the_signed_profile_is_refused(post, builder_for, payload):
    response = post(builder_for("school-25LX", signed=False).build(payload(), action=ACTION).bytes())
    assert fault_code(response.content) == "0110"


def test_weak_digest_is_refused(post, school, payload):
    built = school.build(payload(), action=ACTION)
    for method in built.root.iter(ns.qn(ns.DS, "DigestMethod")):
        method.set("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")
        break
    response = post(built.bytes())
    assert fault_code(response.content) == "0113"


def test_custom_header_block_is_refused(post, school, payload):
    custom = etree.Element("{urn:example:custom}Tracking")
    custom.text = "x"
    response = post(school.build(payload(), action=ACTION, extra_headers=[custom]).bytes())
    assert fault_code(response.content) == "0010"


def test_invalid_postcode_names_the_field(post, school, payload):
    response = post(school.build(payload(postcode="0123 AB"), action=ACTION).bytes())
    assert fault_code(response.content) == "0004"
    detail = etree.fromstring(response.content).find(f".//{{{ns.FAULT}}}Field")
    assert detail is not None and detail.text == "Postcode"


def test_action_must_match_the_body(post, school, payload):
    response = post(school.build(payload(), action=f"{SBB}:OpvragenErkenningen").bytes())
    assert fault_code(response.content) == "0011"


def test_soapaction_must_equal_wsa_action(post, school, payload):
    data = school.build(payload(), action=ACTION).bytes()
    assert fault_code(post(data, soap_action="urn:other").content) == "0003"
    fresh = school.build(payload(), action=ACTION).bytes()
    assert post(fresh, soap_action=ACTION).status_code == 200


def test_replayed_copy_with_an_extra_signature_is_refused(post, school, payload):
    built = school.build(payload(), action=ACTION)
    signature = built.security.find(ns.SIGNATURE)
    built.security.append(copy.deepcopy(signature))
    response = post(built.bytes())
    assert fault_code(response.content) == "0110"


def test_far_oversized_request_still_gets_a_soap_fault(post, settings):
    response = post(b"<a>" + b"x" * (settings.max_request_bytes * 4) + b"</a>")
    assert response.status_code == 500
    assert fault_code(response.content) == "0101"


def _confirmation(content: bytes) -> str | None:
    envelope = _response_envelope(content)
    assert envelope.security is not None, "response is not signed"
    found = envelope.security.findall(ns.qn(ns.WSSE11, "SignatureConfirmation"))
    assert len(found) <= 1
    return found[0].get("Value") if found else None


@pytest.mark.parametrize(("naam", "postcode", "code"), [
    ("B.V.", "1012 AB", "SBB-1003"),  # a business rule of the service: a name that is only a legal form
    ("x" * 300, "1012 AB", "0004"),  # the XSD: Naam is too long
], ids=["business-fault", "schema-fault"])
def test_a_fault_after_the_signature_verified_confirms_it(post, school, payload, pki, naam, postcode, code):
    """Issue 10, finding 7: faults once carried no SignatureConfirmation (WB014)."""
    built = school.build(payload(naam=naam, postcode=postcode), action=ACTION)
    response = post(built.bytes())
    assert fault_code(response.content) == code, response.text
    _verify_server_signature(response.content, pki)
    assert _confirmation(response.content) == built.signature_value


def test_a_signer_who_may_not_act_for_the_tls_client_is_refused_with_a_confirmation(post, builder_for, payload,
                                                                                      tls_for):
    built = builder_for("school-30AB").build(payload(), action=ACTION)  # TLS as 25LX, signed by 30AB
    response = post(built.bytes(), session=tls_for("school-25LX"))
    assert fault_code(response.content) == "0002"
    assert _confirmation(response.content) == built.signature_value


def test_a_signature_that_does_not_verify_gets_no_confirmation(post, school, payload):
    built = school.build(payload(), action=ACTION)
    built.body[0][0].text = "Bakkerij Jansen"
    response = post(built.bytes())
    assert fault_code(response.content) == "0111"
    assert _confirmation(response.content) is None
