"""Every malformed Signature shape we could think of: each is refused with a Client fault naming a
message-security rule (0110-0118), never 0500 and never an exception escaping the verifier.

The shapes are made from one validly signed request; ``valid`` in each test proves that the
untouched message passes, so a refusal below is the mutation's doing."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable

import pytest
from lxml import etree

from ketencore import names as ns
from ketencore import wsse
from ketencore.errors import ExchangeError
from ketenserver.testing import fault_code

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"
DS = ns.DS
EC = ns.EXC_C14N
SECURITY_CODES = {"0110", "0111", "0112", "0113", "0115", "0117", "0118"}


def _q(tag: str) -> str:
    return f"{{{DS}}}{tag}"


def _signature(root: etree._Element) -> etree._Element:
    found = root.find(f"{ns.HEADER}/{ns.SECURITY}/{ns.SIGNATURE}")
    assert found is not None
    return found


def _signed_info(root: etree._Element) -> etree._Element:
    return _signature(root).find(_q("SignedInfo"))


def _first_reference(root: etree._Element) -> etree._Element:
    return _signed_info(root).find(_q("Reference"))


def _remove(path: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        for element in _signature(root).findall(path, namespaces={"ds": DS, "wsse": ns.WSSE}):
            element.getparent().remove(element)
    return mutate


def _set(path: str, attribute: str | None, value: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        for element in _signature(root).findall(path, namespaces={"ds": DS, "wsse": ns.WSSE}):
            if attribute is None:
                element.text = value
            else:
                element.set(attribute, value)
    return mutate


def _duplicate(path: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        element = _signature(root).find(path, namespaces={"ds": DS})
        element.addnext(copy.deepcopy(element))
    return mutate


def _inclusive_in_signed_info(prefixes: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        c14n = _signed_info(root).find(_q("CanonicalizationMethod"))
        etree.SubElement(c14n, f"{{{EC}}}InclusiveNamespaces", PrefixList=prefixes)
    return mutate


def _add_transform(algorithm: str, count: int = 1) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        transforms = _first_reference(root).find(_q("Transforms"))
        for _ in range(count):
            etree.SubElement(transforms, _q("Transform"), Algorithm=algorithm)
    return mutate


def _reference_to(target: str) -> Callable[[etree._Element], None]:
    """Point the first reference (the Body's) at another element of the message."""
    def mutate(root: etree._Element) -> None:
        security = root.find(f"{ns.HEADER}/{ns.SECURITY}")
        element = {"signature": _signature(root), "security": security, "signed-info": _signed_info(root),
                   "token": security.find(ns.BINARY_SECURITY_TOKEN), "envelope": root}[target]
        if wsse.element_id(element) is None:
            element.set(wsse.WSU_ID, f"x-{target}")
        _first_reference(root).set("URI", "#" + str(wsse.element_id(element)))
    return mutate


def _token_text(text: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        root.find(f"{ns.HEADER}/{ns.SECURITY}/{ns.BINARY_SECURITY_TOKEN}").text = text
    return mutate


def _signature_as_text(root: etree._Element) -> None:
    signature = _signature(root)
    for child in list(signature):
        signature.remove(child)
    signature.text = "not a signature"


def _comment_in_signed_info(root: etree._Element) -> None:
    _signed_info(root).insert(0, etree.Comment(" injected "))  # (a processing instruction fails parsing: 0001)
    _signed_info(root).find(_q("Reference")).append(etree.Comment(" and another "))


def _foreign_child_in_signed_info(root: etree._Element) -> None:
    etree.SubElement(_signed_info(root), "{urn:evil}Extra").text = "x"


def _hmac_with_empty_key(root: etree._Element) -> None:
    _signed_info(root).find(_q("SignatureMethod")).set("Algorithm", "http://www.w3.org/2000/09/xmldsig#hmac-sha1")
    etree.SubElement(_signed_info(root).find(_q("SignatureMethod")), _q("HMACOutputLength")).text = "0"


SHAPES: dict[str, Callable[[etree._Element], None]] = {
    "no SignedInfo": _remove("ds:SignedInfo"),
    "two SignedInfo": _duplicate("ds:SignedInfo"),
    "no CanonicalizationMethod": _remove("ds:SignedInfo/ds:CanonicalizationMethod"),
    "two CanonicalizationMethods": _duplicate("ds:SignedInfo/ds:CanonicalizationMethod"),
    "inclusive c14n": _set("ds:SignedInfo/ds:CanonicalizationMethod", "Algorithm",
                           "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"),
    "c14n with comments": _set("ds:SignedInfo/ds:CanonicalizationMethod", "Algorithm", EC + "WithComments"),
    "c14n without Algorithm": _set("ds:SignedInfo/ds:CanonicalizationMethod", "Algorithm", ""),
    "PrefixList added after signing": _inclusive_in_signed_info("soapenv wsa"),
    "PrefixList of junk": _inclusive_in_signed_info("#default xmlns " + "p " * 500),
    "no SignatureMethod": _remove("ds:SignedInfo/ds:SignatureMethod"),
    "rsa-sha1": _set("ds:SignedInfo/ds:SignatureMethod", "Algorithm", "http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
    "hmac with empty key": _hmac_with_empty_key,
    "unknown SignatureMethod": _set("ds:SignedInfo/ds:SignatureMethod", "Algorithm", "urn:nothing"),
    "no references": _remove("ds:SignedInfo/ds:Reference"),
    "reference without URI": _set("ds:SignedInfo/ds:Reference[1]", "URI", ""),
    "reference to a URL": _set("ds:SignedInfo/ds:Reference[1]", "URI", "http://127.0.0.1:1/evil.xml"),
    "reference by xpointer": _set("ds:SignedInfo/ds:Reference[1]", "URI", "#xpointer(/)"),
    "reference to a missing Id": _set("ds:SignedInfo/ds:Reference[1]", "URI", "#nowhere"),
    "reference to the Signature": _reference_to("signature"),
    "reference to the Security header": _reference_to("security"),
    "reference to SignedInfo": _reference_to("signed-info"),
    "reference to the token": _reference_to("token"),
    "reference to the Envelope": _reference_to("envelope"),
    "two references to one part": _duplicate("ds:SignedInfo/ds:Reference[1]"),
    "no DigestMethod": _remove("ds:SignedInfo/ds:Reference[1]/ds:DigestMethod"),
    "sha1 digest": _set("ds:SignedInfo/ds:Reference[1]/ds:DigestMethod", "Algorithm",
                        "http://www.w3.org/2000/09/xmldsig#sha1"),
    "md5 digest": _set("ds:SignedInfo/ds:Reference[1]/ds:DigestMethod", "Algorithm",
                       "http://www.w3.org/2001/04/xmldsig-more#md5"),
    "no DigestValue": _remove("ds:SignedInfo/ds:Reference[1]/ds:DigestValue"),
    "empty DigestValue": _set("ds:SignedInfo/ds:Reference[1]/ds:DigestValue", None, ""),
    "DigestValue not base64": _set("ds:SignedInfo/ds:Reference[1]/ds:DigestValue", None, "%%%not base64%%%"),
    "xslt transform": _add_transform("http://www.w3.org/TR/1999/REC-xslt-19991116"),
    "xpath transform": _add_transform("http://www.w3.org/TR/1999/REC-xpath-19991116"),
    "base64 transform": _add_transform("http://www.w3.org/2000/09/xmldsig#base64"),
    "four transforms": _add_transform(EC, count=3),
    "transform without Algorithm": _add_transform(""),
    "no SignatureValue": _remove("ds:SignatureValue"),
    "empty SignatureValue": _set("ds:SignatureValue", None, ""),
    "SignatureValue not base64": _set("ds:SignatureValue", None, "***"),
    "SignatureValue of another length": _set("ds:SignatureValue", None, base64.b64encode(b"x" * 17).decode()),
    "huge SignatureValue": _set("ds:SignatureValue", None, "QUFB" * 50_000),
    "no KeyInfo": _remove("ds:KeyInfo"),
    "token reference to nowhere": _set("ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference", "URI", "#nowhere"),
    "token reference without #": _set("ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference", "URI", "X509-1"),
    "token not base64": _token_text("!!!"),
    "token not a certificate": _token_text(base64.b64encode(b"\x30\x03\x02\x01\x01").decode()),
    "empty token": _token_text(""),
    "Signature as text": _signature_as_text,
    "foreign element in SignedInfo": _foreign_child_in_signed_info,
}


@pytest.fixture
def signed(builder_for, payload) -> Callable[[], etree._Element]:
    school = builder_for("school-25LX")
    return lambda: school.build(payload(), action=ACTION).root


def _required(root: etree._Element) -> dict[str, etree._Element]:
    header = root.find(ns.HEADER)
    security = header.find(ns.SECURITY)
    parts = {"Body": root.find(ns.BODY), "Timestamp": security.find(ns.TIMESTAMP)}
    parts.update({name: header.find(ns.qn(ns.WSA, name)) for name in ("To", "From", "Action", "MessageID")})
    return parts


def test_the_untouched_message_verifies(signed) -> None:
    root = signed()
    _comment_in_signed_info(root)  # exclusive c14n without comments drops them: still the signed text
    verified = wsse.verify(root, root.find(f"{ns.HEADER}/{ns.SECURITY}"), _required(root))
    assert verified.signed_parts["Body"] is root.find(ns.BODY)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_verifier_refuses_with_a_security_fault(signed, shape: str) -> None:
    root = signed()
    SHAPES[shape](root)
    with pytest.raises(ExchangeError) as refused:
        wsse.verify(root, root.find(f"{ns.HEADER}/{ns.SECURITY}"), _required(root))
    assert refused.value.code in SECURITY_CODES, (shape, refused.value.code, refused.value.message)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_server_answers_a_client_fault(signed, post, shape: str) -> None:
    root = signed()
    SHAPES[shape](root)
    response = post(etree.tostring(root))
    code = fault_code(response.content)
    assert code in SECURITY_CODES, (shape, code, response.text[:500])
    assert b"<faultcode>soapenv:Client</faultcode>" in response.content or b":Client<" in response.content


def test_an_error_the_verifier_did_not_foresee_is_a_security_fault(signed, monkeypatch) -> None:
    root = signed()

    def broken(*_: object) -> None:
        raise RuntimeError("a library failing in a way nobody foresaw")

    monkeypatch.setattr(wsse, "_register_ids", broken)
    with pytest.raises(ExchangeError) as refused:
        wsse.verify(root, root.find(f"{ns.HEADER}/{ns.SECURITY}"), _required(root))
    assert refused.value.code == "0111" and "RuntimeError" not in refused.value.message
