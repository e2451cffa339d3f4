"""WS-Security X.509 signatures as Digikoppeling WUS profile 2W-be-S wants them.

Both directions use this module: the server verifies requests and signs responses and faults,
the client library signs requests and verifies responses. Signing and canonicalisation are
signxml's (never our own); this module decides *what* must be signed, with which algorithms,
and that the signed parts are the ones the receiver acts on.

Secure by default: exclusive C14N only (WB007), SHA-256 or stronger digests and RSA-SHA256 or
stronger signatures (SHA-1 and MD5 refused), the X.509 token referenced directly (WB009, WB010),
every Id unique, and each required part referenced at its own position (no wrapping).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration

from ketenserver import namespaces as ns
from ketenserver.errors import ExchangeError

SIGNATURE_METHODS = frozenset(
    {
        SignatureMethod.RSA_SHA256,
        SignatureMethod.RSA_SHA384,
        SignatureMethod.RSA_SHA512,
        SignatureMethod.ECDSA_SHA256,
        SignatureMethod.ECDSA_SHA384,
        SignatureMethod.ECDSA_SHA512,
        SignatureMethod.SHA256_RSA_MGF1,
        SignatureMethod.SHA384_RSA_MGF1,
        SignatureMethod.SHA512_RSA_MGF1,
    }
)
DIGEST_METHODS = frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512})
_ENVELOPED = SignatureConstructionMethod.enveloped.value
_TRANSFORMS = frozenset({ns.EXC_C14N, _ENVELOPED})
ID_ATTRIBUTE_NAMES = ("Id", "ID", "id")
MAX_REFERENCES = 16
"""Body, Timestamp and seven WS-A headers need nine; more is refused before any digest is computed."""
MAX_TRANSFORMS = 3
WSU_ID = ns.qn(ns.WSU, "Id")

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


def ids_of(root: etree._Element) -> dict[str, etree._Element]:
    """Every Id in the document, whatever its attribute's namespace; duplicates are refused."""
    found: dict[str, etree._Element] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for key, value in element.attrib.items():
            if etree.QName(key).localname in ID_ATTRIBUTE_NAMES:
                value = str(value)
                if value in found:
                    raise ExchangeError("0117", f"The Id {value!r} occurs more than once in the message.",
                                        field="Id")
                found[value] = element
    return found


# --- verification ----------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedSignature:
    certificate: x509.Certificate
    """The signer's certificate from the BinarySecurityToken; its chain is the caller's to check."""
    signature_value: str
    """The SignatureValue (whitespace removed): replay key and SignatureConfirmation value."""
    signed_parts: Mapping[str, etree._Element]
    """The signed copy (as signxml canonicalised it) of each required part, by name."""


def _algorithm(element: etree._Element | None, what: str, allowed: frozenset[str]) -> str:
    algorithm = element.get("Algorithm") if element is not None else None
    if algorithm not in allowed:
        raise ExchangeError("0113", f"{what} {algorithm!r} is not allowed (WB007; SHA-1 and MD5 are refused).",
                            field=what)
    return algorithm


def _token(security: etree._Element, signature: etree._Element, ids: Mapping[str, etree._Element]
           ) -> x509.Certificate:
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
        return x509.load_der_x509_certificate(base64.b64decode("".join((token.text or "").split())))
    except ValueError:
        raise ExchangeError("0118", "The BinarySecurityToken does not hold a readable certificate.",
                            field="BinarySecurityToken") from None


def verify(
    root: etree._Element,
    security: etree._Element,
    required: Mapping[str, etree._Element],
) -> VerifiedSignature:
    """Verify the message signature and that it covers exactly the ``required`` parts.

    ``required`` maps a part's name (for fault messages) to the element at its expected position
    (the envelope's Body, the Security header's Timestamp, each WS-Addressing header). A part
    signed elsewhere (a wrapping attack moves the signed Body into another header) does not count.
    """
    signatures = security.findall(ns.SIGNATURE)
    if len(signatures) != 1:
        raise ExchangeError("0110", "The Security header must hold exactly one ds:Signature (WB013).",
                            field="Signature")
    signature = signatures[0]
    signed_info = signature.find(ns.qn(ns.DS, "SignedInfo"))
    if signed_info is None:
        raise ExchangeError("0111", "ds:Signature has no SignedInfo.", field="SignedInfo")
    _algorithm(signed_info.find(ns.qn(ns.DS, "CanonicalizationMethod")), "CanonicalizationMethod",
               frozenset({ns.EXC_C14N}))
    _algorithm(signed_info.find(ns.qn(ns.DS, "SignatureMethod")), "SignatureMethod",
               frozenset(m.value for m in SIGNATURE_METHODS))
    referenced: dict[int, str] = {}
    references = signed_info.findall(ns.qn(ns.DS, "Reference"))
    if len(references) > MAX_REFERENCES:
        raise ExchangeError("0113", f"The signature has {len(references)} references; at most {MAX_REFERENCES} "
                            "are accepted.", field="Reference")
    ids = ids_of(root)
    for reference in references:
        if len(reference.findall(f"{{{ns.DS}}}Transforms/{{{ns.DS}}}Transform")) > MAX_TRANSFORMS:
            raise ExchangeError("0113", f"A reference has more than {MAX_TRANSFORMS} transforms.", field="Transform")
        uri = reference.get("URI", "")
        _algorithm(reference.find(ns.qn(ns.DS, "DigestMethod")), "DigestMethod",
                   frozenset(d.value for d in DIGEST_METHODS))
        for transform in reference.iterfind(f"{{{ns.DS}}}Transforms/{{{ns.DS}}}Transform"):
            _algorithm(transform, "Transform", _TRANSFORMS)
        target = ids.get(uri[1:]) if uri.startswith("#") else None
        if target is None:
            raise ExchangeError("0111", f"Reference {uri!r} does not point to an element of this message.",
                                field="Reference")
        referenced[id(target)] = uri
    for name, element in required.items():
        if id(element) not in referenced:
            raise ExchangeError("0112", f"{name} is not signed at its place in the message (WB004).", field=name)

    certificate = _token(security, signature, ids)
    config = SignatureConfiguration(
        location=f"./{{{ns.SOAP_ENV}}}Header/{{{ns.WSSE}}}Security/",
        expect_references=len(references),
        signature_methods=SIGNATURE_METHODS,
        digest_algorithms=DIGEST_METHODS,
    )
    try:
        results = XMLVerifier().verify(root, x509_cert=certificate, expect_config=config)
    except InvalidDigest as error:
        part = str(error).rsplit("(", 1)[-1].rstrip(")")
        raise ExchangeError("0111", f"The digest of {part} does not match: a signed part was changed after "
                            "signing.", field="DigestValue") from None
    except InvalidCertificate:
        raise ExchangeError("0114", "The signing certificate is not valid at this time.",
                            field="BinarySecurityToken") from None
    except (InvalidSignature, InvalidInput):
        raise ExchangeError("0111", "The SignatureValue does not verify with the certificate in the "
                            "BinarySecurityToken.", field="SignatureValue") from None
    if not isinstance(results, list):
        results = [results]
    by_uri = {reference.get("URI"): result for reference, result in zip(references, results, strict=True)}
    signed_parts = {}
    for name, element in required.items():
        signed_xml = by_uri[referenced[id(element)]].signed_xml
        if signed_xml is None:
            raise ExchangeError("0111", f"The signed form of {name} is not an element.", field=name)
        signed_parts[name] = signed_xml
    value = "".join((signature.findtext(ns.qn(ns.DS, "SignatureValue")) or "").split())
    return VerifiedSignature(certificate, value, signed_parts)


# --- signing ---------------------------------------------------------------------------


class MessageSigner:
    """Signs envelopes with one key and certificate (a school's, a vendor's or the server's)."""

    def __init__(self, key: PrivateKey, certificate: x509.Certificate) -> None:
        self._key = key
        self.certificate = certificate
        self._token = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
        method = SignatureMethod.RSA_SHA256 if isinstance(key, rsa.RSAPrivateKey) else SignatureMethod.ECDSA_SHA256
        self._signer = XMLSigner(
            method=SignatureConstructionMethod.detached,
            signature_algorithm=method,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )

    @classmethod
    def from_pem(cls, key_pem: bytes, cert_pem: bytes) -> MessageSigner:
        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError("only RSA and EC keys can sign WUS messages")
        return cls(key, x509.load_pem_x509_certificate(cert_pem))

    def sign(self, root: etree._Element, security: etree._Element, parts: Sequence[etree._Element]) -> str:
        """Add the token and a signature over ``parts`` to ``security``; return the SignatureValue."""
        token = etree.SubElement(
            security, ns.BINARY_SECURITY_TOKEN,
            {"EncodingType": ns.BASE64_BINARY, "ValueType": ns.X509_TOKEN, WSU_ID: f"X509-{uuid.uuid4().hex}"},
        )
        token.text = self._token
        uris = []
        for part in parts:
            part_id = element_id(part)
            if part_id is None:
                part_id = f"id-{uuid.uuid4().hex}"
                part.set(WSU_ID, part_id)
            uris.append("#" + part_id)
        key_info = etree.Element(ns.qn(ns.DS, "KeyInfo"), nsmap={"ds": ns.DS})
        reference_holder = etree.SubElement(key_info, ns.qn(ns.WSSE, "SecurityTokenReference"),
                                            nsmap={"wsse": ns.WSSE})
        etree.SubElement(reference_holder, ns.qn(ns.WSSE, "Reference"),
                         URI="#" + token.get(WSU_ID, ""), ValueType=ns.X509_TOKEN)
        signature = self._signer.sign(root, key=self._key, reference_uri=uris, key_info=key_info)
        security.append(signature)
        return "".join((signature.findtext(ns.qn(ns.DS, "SignatureValue")) or "").split())


def new_message_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"
