"""Requests signed by a second XML-DSig implementation (python-xmlsec, the binding behind zeep's
``BinarySignature``), in the shapes real client stacks produce (EXCHANGE.md, last section)."""

from __future__ import annotations

import base64
import textwrap
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from ketencore import names as ns
from ketenserver.testing import fault_code

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"
PATH = "/sbb-erkenningen/2W-be-S"
EC = "http://www.w3.org/2001/10/xml-exc-c14n#"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"  # milliseconds, as WSS4J sends


def envelope(base_url: str, payload: bytes, *, env_prefixes=("soapenv", "soapenv"), timestamp_prefix=True):
    """An unsigned request; ``env_prefixes`` gives the Envelope's and the Body's prefix."""
    outer, inner = env_prefixes
    now = datetime.now(UTC)
    ts_open = "wsu:Timestamp" if timestamp_prefix else f'Timestamp xmlns="{ns.WSU}"'
    ts_close = "wsu:Timestamp" if timestamp_prefix else "Timestamp"
    created = "wsu:Created" if timestamp_prefix else "Created"
    expires = "wsu:Expires" if timestamp_prefix else "Expires"
    text = f"""<{outer}:Envelope xmlns:{outer}="{ns.SOAP_ENV}" xmlns:wsa="{ns.WSA}" xmlns:wsu="{ns.WSU}">
  <{outer}:Header>
    <wsse:Security xmlns:wsse="{ns.WSSE}" {outer}:mustUnderstand="1">
      <{ts_open}><{created}>{_stamp(now)}</{created}>
        <{expires}>{_stamp(now + timedelta(minutes=10))}</{expires}></{ts_close}>
    </wsse:Security>
    <wsa:To>{base_url}{PATH}</wsa:To>
    <wsa:From><wsa:Address>{ns.WSA_ANONYMOUS}?oin=0000000700025LX00000</wsa:Address></wsa:From>
    <wsa:Action>{ACTION}</wsa:Action>
    <wsa:MessageID>urn:uuid:{uuid.uuid4()}</wsa:MessageID>
  </{outer}:Header>
  <{inner}:Body xmlns:{inner}="{ns.SOAP_ENV}">{payload.decode()}</{inner}:Body>
</{outer}:Envelope>"""
    return etree.fromstring(text.encode())


def xmlsec_sign(root, files, *, parts, id_attr=(ns.WSU, "Id"), signature_method=xmlsec.Transform.RSA_SHA256,
                digest=xmlsec.Transform.SHA256, enveloped=False, inclusive=None, signature_first=True,
                signed_info_inclusive=None):
    """Sign ``parts`` (names) the way zeep's BinarySignature does, optionally in other stacks' shapes."""
    header = root.find(ns.HEADER)
    security = header.find(ns.SECURITY)
    targets = {
        "Body": root.find(ns.BODY),
        "Timestamp": security.find(ns.TIMESTAMP),
        **{name: header.find(ns.qn(ns.WSA, name)) for name in ("To", "From", "Action", "MessageID")},
    }
    signature = xmlsec.template.create(root, xmlsec.Transform.EXCL_C14N, signature_method)
    if signed_info_inclusive is not None:  # WSS4J's default: a PrefixList for SignedInfo's own c14n
        c14n = signature.find(f"{{{ns.DS}}}SignedInfo/{{{ns.DS}}}CanonicalizationMethod")
        etree.SubElement(c14n, f"{{{EC}}}InclusiveNamespaces", PrefixList=signed_info_inclusive)
    key_info = xmlsec.template.ensure_key_info(signature)
    token = etree.Element(ns.BINARY_SECURITY_TOKEN, {"ValueType": ns.X509_TOKEN, "EncodingType": ns.BASE64_BINARY})
    token.set(ns.qn(ns.WSU, "Id"), f"X509-{uuid.uuid4().hex}")
    der = x509.load_pem_x509_certificate(files.cert.read_bytes()).public_bytes(serialization.Encoding.DER)
    token.text = "\n" + "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64)) + "\n"  # wrapped at 64
    reference = etree.SubElement(etree.SubElement(key_info, ns.qn(ns.WSSE, "SecurityTokenReference")),
                                 ns.qn(ns.WSSE, "Reference"))
    reference.set("URI", "#" + token.get(ns.qn(ns.WSU, "Id")))
    reference.set("ValueType", ns.X509_TOKEN)
    if signature_first:  # zeep + xmlsec: Signature before the token
        security.insert(0, signature)
        security.insert(1, token)
    else:  # node-soap: token after the Timestamp, Signature last
        security.append(token)
        security.append(signature)
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_file(str(files.key), xmlsec.constants.KeyDataFormatPem)
    attribute = ns.qn(*id_attr) if id_attr[0] else id_attr[1]
    for name in parts:
        target = targets[name]
        target.set(attribute, f"id-{name}-{uuid.uuid4().hex[:8]}")
        context.register_id(target, id_attr[1], id_attr[0])
        ref = xmlsec.template.add_reference(signature, digest, uri="#" + target.get(attribute))
        if enveloped:
            xmlsec.template.add_transform(ref, xmlsec.Transform.ENVELOPED)
        transform = xmlsec.template.add_transform(ref, xmlsec.Transform.EXCL_C14N)
        if inclusive:
            etree.SubElement(transform, f"{{{EC}}}InclusiveNamespaces", PrefixList=inclusive)
    context.sign(signature)
    return etree.tostring(root)


ALL = ("Body", "Timestamp", "To", "From", "Action", "MessageID")


@pytest.fixture
def school_files(pki):
    return pki.party("school-25LX")


def test_xmlsec_signed_request_is_accepted(post, base_url, payload, school_files):
    data = xmlsec_sign(envelope(base_url, payload()), school_files, parts=ALL)
    response = post(data, PATH)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("left_out", ["To", "From", "Action", "MessageID"])
def test_xmlsec_signed_request_with_an_unsigned_header_is_refused(post, base_url, payload, school_files, left_out):
    parts = [p for p in ALL if p != left_out]
    response = post(xmlsec_sign(envelope(base_url, payload()), school_files, parts=parts), PATH)
    assert fault_code(response.content) == "0112"
    assert left_out in response.text


def test_zeep_default_sha1_is_refused(post, base_url, payload, school_files):
    data = xmlsec_sign(envelope(base_url, payload()), school_files, parts=ALL,
                       signature_method=xmlsec.Transform.RSA_SHA1, digest=xmlsec.Transform.SHA1)
    assert fault_code(post(data, PATH).content) == "0113"


def test_node_soap_shape_is_accepted(post, base_url, payload, school_files):
    """Plain ``Id`` attributes, an unprefixed Timestamp, enveloped transform first, token after it."""
    root = envelope(base_url, payload(), timestamp_prefix=False)
    data = xmlsec_sign(root, school_files, parts=ALL, id_attr=(None, "Id"), enveloped=True, signature_first=False)
    response = post(data, PATH)
    assert response.status_code == 200, response.text


def test_wss4j_shape_is_accepted(post, base_url, payload, school_files):
    """InclusiveNamespaces, milliseconds, and two prefixes for the SOAP envelope namespace."""
    root = envelope(base_url, payload(), env_prefixes=("soapenv", "SOAP-ENV"))
    data = xmlsec_sign(root, school_files, parts=ALL, inclusive="soapenv wsa")
    response = post(data, PATH)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("prefixes", ["soapenv", "soapenv wsa", "#default soapenv", ""])
def test_wss4j_inclusive_namespaces_in_signed_info_are_accepted(post, base_url, payload, school_files, prefixes):
    """WSS4J writes ec:InclusiveNamespaces inside SignedInfo's CanonicalizationMethod by default."""
    root = envelope(base_url, payload(), env_prefixes=("soapenv", "SOAP-ENV"))
    data = xmlsec_sign(root, school_files, parts=ALL, inclusive="soapenv wsa", signed_info_inclusive=prefixes)
    response = post(data, PATH)
    assert response.status_code == 200, response.text


def test_wss4j_inclusive_namespaces_in_signed_info_still_protect_the_body(post, base_url, payload, school_files):
    root = envelope(base_url, payload(), env_prefixes=("soapenv", "SOAP-ENV"))
    data = xmlsec_sign(root, school_files, parts=ALL, inclusive="soapenv wsa", signed_info_inclusive="soapenv")
    response = post(data.replace(b"Bakkerij De Vries", b"Bakkerij De Vos"), PATH)
    assert fault_code(response.content) == "0111"
