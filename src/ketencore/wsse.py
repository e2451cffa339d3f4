"""WS-Security X.509 signatures as Digikoppeling WUS profile 2W-be-S wants them.

Both directions use this module: the server verifies requests and signs responses and faults,
the client library signs requests and verifies responses. Canonicalisation and the cryptography
are libraries' (never our own): signatures are verified by libxmlsec1 (python-xmlsec, the engine
behind the ``xmlsec1`` tool), which also makes them. This module decides *what* must be signed,
with which algorithms, and that the signed parts are the ones the receiver acts on.

Why libxmlsec1 verifies: it implements Exclusive C14N with every InclusiveNamespaces shape that
real stacks send, including a PrefixList inside SignedInfo's own CanonicalizationMethod (Apache
WSS4J's default, which signxml refuses) and ``#default``; and it digests the elements in the
parsed tree itself, so what was verified is exactly what the receiver reads (no re-serialised
copy), at about half signxml's cost. It signs for the same reason of cost (signxml re-serialises
the whole document per signature); signxml checks our signatures in the tests, as an independent
second implementation (``tests/security/test_signatures_cross_checked.py``).

Secure by default: exclusive C14N only (WB007), SHA-256 or stronger digests and RSA-SHA256 or
ECDSA-SHA256 or stronger signatures (SHA-1 and MD5 refused, also inside libxmlsec1, which is
told which transforms it may run), the X.509 token referenced directly (WB009, WB010), every Id
unique, and each required part referenced at its own position (no wrapping).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import xmlsec
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from ketencore import names as ns
from ketencore.errors import ExchangeError
from ketencore.xmlparse import LIBXML

_XMLDSIG_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
Transform = Any
"""A libxmlsec1 transform (xmlsec.constants.Transform*; its stubs give the class no public name)."""
SIGNATURE_METHODS: Mapping[str, Transform] = {
    _XMLDSIG_MORE + "rsa-sha256": xmlsec.constants.TransformRsaSha256,
    _XMLDSIG_MORE + "rsa-sha384": xmlsec.constants.TransformRsaSha384,
    _XMLDSIG_MORE + "rsa-sha512": xmlsec.constants.TransformRsaSha512,
    _XMLDSIG_MORE + "ecdsa-sha256": xmlsec.constants.TransformEcdsaSha256,
    _XMLDSIG_MORE + "ecdsa-sha384": xmlsec.constants.TransformEcdsaSha384,
    _XMLDSIG_MORE + "ecdsa-sha512": xmlsec.constants.TransformEcdsaSha512,
}
"""Accepted SignatureMethod algorithms (RSA-PSS is not: libxmlsec1's Python binding lacks it)."""
_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
DIGEST_METHODS: Mapping[str, Transform] = {
    _SHA256: xmlsec.constants.TransformSha256,
    _XMLDSIG_MORE + "sha384": xmlsec.constants.TransformSha384,
    "http://www.w3.org/2001/04/xmlenc#sha512": xmlsec.constants.TransformSha512,
}
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_TRANSFORMS: Mapping[str, Transform] = {
    ns.EXC_C14N: xmlsec.constants.TransformExclC14N,
    _ENVELOPED: xmlsec.constants.TransformEnveloped,
}
ID_ATTRIBUTE_NAMES = ("Id", "ID", "id")
MAX_REFERENCES = 16
"""Body, Timestamp and seven WS-A headers need nine; more is refused before any digest is computed."""
MAX_TRANSFORMS = 3
WSU_ID = ns.qn(ns.WSU, "Id")
log = logging.getLogger(__name__)

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey



def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --- timestamps (WB002) -----------------------------------------------------------------


@dataclass(frozen=True)
class Timestamp:
    element: etree._Element
    created: datetime
    expires: datetime | None


def _parse_instant(text: str | None, name: str) -> datetime:
    value = (text or "").strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ExchangeError("0115", f"wsu:{name} {value!r} is not an xs:dateTime.", field=name) from None
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        raise ExchangeError("0115", f"wsu:{name} must be in UTC (ending in Z) (WB002).", field=name)
    return moment


def read_timestamp(security: etree._Element) -> Timestamp:
    stamps = security.findall(ns.TIMESTAMP)
    if len(stamps) != 1:
        raise ExchangeError("0115", "The Security header must hold exactly one wsu:Timestamp (WB002).",
                            field="Timestamp")
    stamp = stamps[0]
    created = _parse_instant(stamp.findtext(ns.qn(ns.WSU, "Created")), "Created")
    expires_text = stamp.findtext(ns.qn(ns.WSU, "Expires"))
    expires = _parse_instant(expires_text, "Expires") if expires_text is not None else None
    return Timestamp(stamp, created, expires)


def check_freshness(stamp: Timestamp, *, now: datetime, max_age: int, max_skew: int) -> None:
    if stamp.created > now + timedelta(seconds=max_skew):
        raise ExchangeError(
            "0115", f"wsu:Created lies more than {max_skew} s in the future; check the sender's clock.",
            field="Created")
    if stamp.created < now - timedelta(seconds=max_age):
        raise ExchangeError("0115", f"wsu:Created is older than {max_age} s: the message is stale.",
                            field="Created")
    if stamp.expires is not None and stamp.expires <= now:
        raise ExchangeError("0115", "wsu:Expires has passed.", field="Expires")


def new_timestamp(now: datetime, lifetime: int = 300) -> etree._Element:
    stamp = etree.Element(ns.TIMESTAMP, nsmap={"wsu": ns.WSU})
    etree.SubElement(stamp, ns.qn(ns.WSU, "Created")).text = utc_text(now)
    etree.SubElement(stamp, ns.qn(ns.WSU, "Expires")).text = utc_text(now + timedelta(seconds=lifetime))
    return stamp


# --- identifiers ----------------------------------------------------------------------


def element_id(element: etree._Element) -> str | None:
    for key, value in element.attrib.items():
        if etree.QName(key).localname in ID_ATTRIBUTE_NAMES:
            return str(value)
    return None


_ID_ATTRIBUTES = etree.XPath("descendant-or-self::*/@*[" + " or ".join(
    f"local-name()='{name}'" for name in ID_ATTRIBUTE_NAMES) + "]")
"""Every Id-like attribute of a tree, in any namespace, in document order (one pass in libxml2)."""


def ids_of(root: etree._Element, attributes: list[Any] | None = None) -> dict[str, etree._Element]:
    """Every Id in the document, whatever its attribute's namespace; duplicates are refused.

    ``attributes``: the tree's Id attributes when the caller has them already."""
    found: dict[str, etree._Element] = {}
    for attribute in _id_attributes(root) if attributes is None else attributes:
        value = str(attribute)
        if value in found:
            raise ExchangeError("0117", f"The Id {value!r} occurs more than once in the message.", field="Id")
        found[value] = attribute.getparent()
    return found


def _id_attributes(root: etree._Element) -> list[Any]:
    """The Id attribute values (lxml "smart" strings: ``getparent()``, ``attrname``)."""
    return [value for value in _ID_ATTRIBUTES(root) if isinstance(value, str)]  # type: ignore[union-attr]


# --- verification ----------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedSignature:
    certificate: x509.Certificate
    """The signer's certificate from the BinarySecurityToken; its chain is the caller's to check."""
    signature_value: str
    """The SignatureValue (whitespace removed): replay key and SignatureConfirmation value."""
    signed_parts: Mapping[str, etree._Element]
    """Each required part by name: the element in the message itself, whose digest verified."""


def _algorithm(element: etree._Element | None, what: str, allowed: Mapping[str, Transform]
               ) -> Transform:
    algorithm = element.get("Algorithm") if element is not None else None
    transform = allowed.get(algorithm or "")
    if transform is None:
        raise ExchangeError("0113", f"{what} {algorithm!r} is not allowed (WB007; SHA-1 and MD5 are refused).",
                            field=what)
    return transform


@functools.lru_cache(maxsize=256)
def _token_key(token_text: str) -> tuple[x509.Certificate, xmlsec.Key]:
    """The certificate of a BinarySecurityToken and its key for libxmlsec1, once per certificate:
    the same few parties sign every message, and loading the key cost a third of a verification."""
    certificate = x509.load_der_x509_certificate(base64.b64decode(token_text))
    # Only the public key: libxmlsec1 copies the key into every context, and a key holding its
    # certificate costs 0.05 ms a copy; the certificate's trust is this project's to check anyway.
    public = certificate.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    key = xmlsec.Key.from_memory(public, xmlsec.constants.KeyDataFormatPem)
    return certificate, key


def _token(security: etree._Element, signature: etree._Element, ids: Mapping[str, etree._Element]
           ) -> tuple[x509.Certificate, xmlsec.Key]:
    reference = signature.find(
        f"{{{ns.DS}}}KeyInfo/{{{ns.WSSE}}}SecurityTokenReference/{{{ns.WSSE}}}Reference")
    uri = reference.get("URI", "") if reference is not None else ""
    if not uri.startswith("#"):
        raise ExchangeError("0118", "KeyInfo must reference the BinarySecurityToken directly (WB009/WB010).",
                            field="SecurityTokenReference")
    token = ids.get(uri[1:])
    if token is None or token.tag != ns.BINARY_SECURITY_TOKEN or token.getparent() is not security:
        raise ExchangeError("0118", f"The token reference {uri} does not point to a BinarySecurityToken in "
                            "the Security header.", field="SecurityTokenReference")
    if token.get("ValueType") != ns.X509_TOKEN:
        raise ExchangeError("0118", "The BinarySecurityToken is not an X.509 v3 certificate.",
                            field="BinarySecurityToken")
    try:
        return _token_key("".join((token.text or "").split()))
    except ValueError:
        raise ExchangeError("0118", "The BinarySecurityToken does not hold a readable certificate.",
                            field="BinarySecurityToken") from None
    except (xmlsec.Error, UnsupportedAlgorithm):
        raise ExchangeError("0118", "The key of the certificate in the BinarySecurityToken cannot verify "
                            "signatures.", field="BinarySecurityToken") from None


def _one(parent: etree._Element, tag: str, what: str) -> etree._Element:
    found = parent.findall(ns.qn(ns.DS, tag))
    if len(found) != 1:
        raise ExchangeError("0111", f"{what} must hold exactly one ds:{tag}.", field=tag)
    return found[0]


def _check_signed_info(signature: etree._Element, context: xmlsec.SignatureContext) -> list[etree._Element]:
    """The algorithms of SignedInfo and its references, each also the only ones libxmlsec1 may run."""
    signed_info = _one(signature, "SignedInfo", "ds:Signature")
    context.enable_signature_transform(
        _algorithm(_one(signed_info, "CanonicalizationMethod", "SignedInfo"), "CanonicalizationMethod",
                   {ns.EXC_C14N: xmlsec.constants.TransformExclC14N}))
    context.enable_signature_transform(
        _algorithm(_one(signed_info, "SignatureMethod", "SignedInfo"), "SignatureMethod", SIGNATURE_METHODS))
    references = signed_info.findall(ns.qn(ns.DS, "Reference"))
    if len(references) > MAX_REFERENCES:
        raise ExchangeError("0113", f"The signature has {len(references)} references; at most {MAX_REFERENCES} "
                            "are accepted.", field="Reference")
    for reference in references:
        transforms = reference.findall(f"{{{ns.DS}}}Transforms/{{{ns.DS}}}Transform")
        if len(transforms) > MAX_TRANSFORMS:
            raise ExchangeError("0113", f"A reference has more than {MAX_TRANSFORMS} transforms.", field="Transform")
        context.enable_reference_transform(
            _algorithm(_one(reference, "DigestMethod", "ds:Reference"), "DigestMethod", DIGEST_METHODS))
        for transform in transforms:
            context.enable_reference_transform(_algorithm(transform, "Transform", _TRANSFORMS))
    return references


def _register_ids(context: xmlsec.SignatureContext, attributes: list[Any]) -> None:
    """Tell libxmlsec1 which attributes are Ids (it knows none of WS-Security's by itself)."""
    for value in attributes:
        name = etree.QName(value.attrname)
        context.register_id(value.getparent(), name.localname, name.namespace)


def verify(
    root: etree._Element,
    security: etree._Element,
    required: Mapping[str, etree._Element],
) -> VerifiedSignature:
    """Verify the message signature and that it covers exactly the ``required`` parts.

    ``required`` maps a part's name (for fault messages) to the element at its expected position
    (the envelope's Body, the Security header's Timestamp, each WS-Addressing header). A part
    signed elsewhere (a wrapping attack moves the signed Body into another header) does not count.
    Whatever the shape of the Signature, a failure is an :class:`ExchangeError` naming the rule:
    an error this module did not foresee is logged and refused as 0111, never answered as 0500.
    """
    try:
        with LIBXML:  # all of libxmlsec1's work, its contexts' creation and release included
            return _verify(root, security, required)
    except ExchangeError:
        raise
    except Exception:
        log.exception("a Signature the verifier did not foresee")
        raise ExchangeError("0111", "The ds:Signature could not be processed; check its structure against "
                            "XML-DSig and WB004-WB010.", field="Signature") from None


def _verify(root: etree._Element, security: etree._Element, required: Mapping[str, etree._Element]
            ) -> VerifiedSignature:
    signatures = security.findall(ns.SIGNATURE)
    if len(signatures) != 1:
        raise ExchangeError("0110", "The Security header must hold exactly one ds:Signature (WB013).",
                            field="Signature")
    signature = signatures[0]
    context = xmlsec.SignatureContext()
    references = _check_signed_info(signature, context)
    attributes = _id_attributes(root)
    ids = ids_of(root, attributes)
    referenced: dict[int, etree._Element] = {}
    for reference in references:
        uri = reference.get("URI", "")
        target = ids.get(uri[1:]) if uri.startswith("#") else None
        if target is None:
            raise ExchangeError("0111", f"Reference {uri!r} does not point to an element of this message.",
                                field="Reference")
        if id(target) in referenced:
            raise ExchangeError("0111", f"Reference {uri!r} signs an element twice.", field="Reference")
        referenced[id(target)] = reference
    for name, element in required.items():
        if id(element) not in referenced:
            raise ExchangeError("0112", f"{name} is not signed at its place in the message (WB004).", field=name)

    certificate, context.key = _token(security, signature, ids)
    _register_ids(context, attributes)
    try:
        context.verify(signature)
    except xmlsec.Error:
        raise _why_not_verified(required, referenced) from None
    value = "".join((signature.findtext(ns.qn(ns.DS, "SignatureValue")) or "").split())
    return VerifiedSignature(certificate, value, dict(required))


def _why_not_verified(required: Mapping[str, etree._Element], referenced: Mapping[int, etree._Element]
                      ) -> ExchangeError:
    """Name the part that was changed when a plain recomputation of its digest shows it.

    libxmlsec1 reports only that the signature failed. This diagnosis re-digests each required
    part with lxml's exclusive C14N, only to word the fault; it decides nothing (a mismatch here
    never accepts, a match here never refuses).
    """
    for name, element in required.items():
        reference = referenced[id(element)]
        digest_method = reference.find(ns.qn(ns.DS, "DigestMethod"))
        transforms = reference.findall(f"{{{ns.DS}}}Transforms/{{{ns.DS}}}Transform")
        digest = DIGEST_METHODS.get(digest_method.get("Algorithm", "") if digest_method is not None else "")
        if digest is None or any(t.get("Algorithm") == _ENVELOPED for t in transforms):
            continue
        prefixes = [p for t in transforms for i in t.iterfind(f"{{{ns.EXC_C14N}}}InclusiveNamespaces")
                    for p in (i.get("PrefixList") or "").split()]
        if "#default" in prefixes:
            continue  # lxml ignores it; this diagnosis would be wrong
        c14n = etree.tostring(element, method="c14n", exclusive=True, inclusive_ns_prefixes=prefixes or None)
        expected = "".join((reference.findtext(ns.qn(ns.DS, "DigestValue")) or "").split())
        if base64.b64encode(hashlib.new(digest.name, c14n).digest()).decode() != expected:  # "sha256", ...
            return ExchangeError("0111", f"The digest of {name} does not match: a signed part was changed after "
                                 "signing.", field="DigestValue")
    return ExchangeError("0111", "The SignatureValue does not verify with the certificate in the "
                         "BinarySecurityToken.", field="SignatureValue")


# --- signing ---------------------------------------------------------------------------


class MessageSigner:
    """Signs envelopes with one key and certificate (a school's, a vendor's or the server's).

    libxmlsec1 (python-xmlsec) computes the signature, as it verifies them: exclusive C14N,
    SHA-256 digests, RSA-SHA256 or ECDSA-SHA256, one reference per part by its ``wsu:Id``, and a
    KeyInfo with a direct SecurityTokenReference to the BinarySecurityToken (WB009). The key is
    loaded once; each message gets a signing context of its own, so one signer serves many threads.
    """

    def __init__(self, key: PrivateKey, certificate: x509.Certificate) -> None:
        self.certificate = certificate
        self._token = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
        self._method_uri = _XMLDSIG_MORE + ("rsa-sha256" if isinstance(key, rsa.RSAPrivateKey) else "ecdsa-sha256")
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        self._key = xmlsec.Key.from_memory(pem, xmlsec.constants.KeyDataFormatPem)

    @classmethod
    def from_pem(cls, key_pem: bytes, cert_pem: bytes) -> MessageSigner:
        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError("only RSA and EC keys can sign WUS messages")
        return cls(key, x509.load_pem_x509_certificate(cert_pem))

    def sign(self, root: etree._Element, security: etree._Element, parts: Sequence[etree._Element]) -> str:
        """Add the token and a signature over ``parts`` to ``security``; return the SignatureValue."""
        with LIBXML:  # all of libxmlsec1's work, its context's creation and release included
            return self._sign(root, security, parts)

    def _sign(self, root: etree._Element, security: etree._Element, parts: Sequence[etree._Element]) -> str:
        token = etree.SubElement(
            security, ns.BINARY_SECURITY_TOKEN,
            {"EncodingType": ns.BASE64_BINARY, "ValueType": ns.X509_TOKEN, WSU_ID: f"X509-{uuid.uuid4().hex}"},
        )
        token.text = self._token
        # The template is built with lxml, not xmlsec.template: elements that libxmlsec1 creates
        # carry names outside the document's dictionary, which lxml's find() then does not match.
        context = xmlsec.SignatureContext()
        signature = etree.SubElement(security, ns.SIGNATURE, nsmap={"ds": ns.DS})
        signed_info = etree.SubElement(signature, ns.qn(ns.DS, "SignedInfo"))
        etree.SubElement(signed_info, ns.qn(ns.DS, "CanonicalizationMethod"), Algorithm=ns.EXC_C14N)
        etree.SubElement(signed_info, ns.qn(ns.DS, "SignatureMethod"), Algorithm=self._method_uri)
        for part in parts:
            part_id = element_id(part)
            if part_id is None:
                part_id = f"id-{uuid.uuid4().hex}"
                part.set(WSU_ID, part_id)
            context.register_id(part, "Id", ns.WSU)
            reference = etree.SubElement(signed_info, ns.qn(ns.DS, "Reference"), URI="#" + part_id)
            transforms = etree.SubElement(reference, ns.qn(ns.DS, "Transforms"))
            etree.SubElement(transforms, ns.qn(ns.DS, "Transform"), Algorithm=ns.EXC_C14N)
            etree.SubElement(reference, ns.qn(ns.DS, "DigestMethod"), Algorithm=_SHA256)
            etree.SubElement(reference, ns.qn(ns.DS, "DigestValue"))
        etree.SubElement(signature, ns.qn(ns.DS, "SignatureValue"))
        key_info = etree.SubElement(signature, ns.qn(ns.DS, "KeyInfo"))
        reference_holder = etree.SubElement(key_info, ns.qn(ns.WSSE, "SecurityTokenReference"),
                                            nsmap={"wsse": ns.WSSE})
        etree.SubElement(reference_holder, ns.qn(ns.WSSE, "Reference"),
                         URI="#" + token.get(WSU_ID, ""), ValueType=ns.X509_TOKEN)
        context.key = self._key
        context.sign(signature)
        return "".join((signature.findtext(ns.qn(ns.DS, "SignatureValue")) or "").split())


def new_message_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"
