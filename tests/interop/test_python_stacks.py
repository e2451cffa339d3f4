"""The Python stacks a school-software vendor would pick, against a real ketenserver over mutual TLS.

* **zeep + python-xmlsec**, profiles 2W-be and 2W-be-S: a plain ``zeep.Client`` built from the
  served WSDL. zeep writes WS-Addressing To/Action/MessageID by itself when the WSDL declares
  ``wsam:Action`` (``zeep.wsa.WsAddressingPlugin`` is applied for every such operation); a vendor
  adds ``wsa:From`` with a small egress plugin. In 2W-be-S the vendor signs with zeep's own
  ``BinarySignature`` (RSA-SHA256, SHA-256) in a subclass that adds a ``wsu:Timestamp`` and one
  ``ds:Reference`` per WS-Addressing header (stock zeep signs only Body and Timestamp, and adds no
  Timestamp), and that verifies the reply with the certificate in the reply's
  BinarySecurityToken (stock ``BinarySignature.verify`` uses the *client's own* certificate).
* **suds-community**, profile 2W-be (suds cannot sign with X.509): a ``requests``-based transport
  presenting the school's certificate, WS-Addressing headers built with suds' ``Element`` and set
  with ``client.set_options(soapheaders=...)``, a new MessageID per call.

This is not the project's own client (ketenclient): it is what a vendor with plain zeep or suds
does. Every signed reply is checked by ``xmlsec1`` (``xmlsec1_verify``) and, when the Java
section of the conftest provides it, by WSS4J (``wss4j_verify``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import itertools
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from lxml import etree

from ketenserver.recognitions.domain import dutch_date
from ketenserver.testing import valid_bsn

try:
    import suds.client as suds_client
    import xmlsec
    import zeep
    from suds import WebFault
    from suds.plugin import MessagePlugin
    from suds.sax.element import Element
    from suds.transport import Reply, Transport, TransportError
    from zeep.exceptions import Fault, SignatureVerificationFailed
    from zeep.plugins import Plugin
    from zeep.transports import Transport as ZeepTransport
    from zeep.wsse import signature as zeep_signature
    from zeep.wsse.compose import Compose
    from zeep.wsse.utils import WSU, ensure_id, get_security_header, get_timestamp
except ImportError as missing:  # skipped outside CI, a failure with CI=true (as require() in conftest)
    if os.environ.get("CI") == "true":
        raise
    pytest.skip(f"{missing.name} is not installed; install it with: pip install -e '.[test]'",
                allow_module_level=True)

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSSE11 = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
ANONYMOUS = f"{WSA}/anonymous"
X509_TOKEN = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"

SBB = "sbb-erkenningen"
DUO = "duo-verzuimloket"
NAMESPACES = {SBB: "urn:ketenserver:sbb:whitelabel:erkenningen:2.1", DUO: "urn:ketenserver:duo:verzuimloket:1"}
STATE_CHANGING = frozenset({"RegistrerenBpvOvereenkomst", "AanmeldenMutatieabonnement", "IndienenVerzuimmelding"})
SCHOOL = "school-25LX"
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
TODAY = dutch_date(dt.datetime.now(dt.UTC))  # the counter's "today" (Europe/Amsterdam)
SCHOOL_YEAR = f"{TODAY.year - 1}-{TODAY.year}" if TODAY.month < 8 else f"{TODAY.year}-{TODAY.year + 1}"
MELDINGNUMMER = re.compile(r"^\d{10}$")
_seeds = itertools.count(int(uuid.uuid4().int % 9_000_000))
_students = itertools.count(1)


def new_bsn() -> str:
    return valid_bsn(next(_seeds) % 10_000_000)


def tls_session(pki: Any) -> requests.Session:
    files = pki.party(SCHOOL)
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE and proxies would otherwise win
    session.verify = str(pki.trust_bundle)
    session.cert = (str(files.chain), str(files.key))
    return session


def from_address(pki: Any) -> str:
    return f"{ANONYMOUS}?oin={pki.party(SCHOOL).oin}"


# --- what a vendor writes around plain zeep ---------------------------------------------------------


class RecordingTransport(ZeepTransport):
    """zeep's transport, keeping every (request, reply) pair as bytes for the checks below."""

    def __init__(self, session: requests.Session) -> None:
        super().__init__(session=session)
        self.exchanges: list[tuple[bytes, bytes]] = []

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
        response = super().post(address, message, headers)
        self.exchanges.append((message, response.content))
        return response


class WsaFromPlugin(Plugin):
    """zeep writes To, Action and MessageID but never From: add it for state-changing operations.

    Plugins run after zeep's own WS-Addressing and before ``wsse``, so the signature covers From.
    """

    def __init__(self, address: str) -> None:
        self.address = address

    def egress(self, envelope: Any, http_headers: Any, operation: Any, binding_options: Any) -> Any:
        if operation.name in STATE_CHANGING:
            header = envelope.find(f"{{{SOAP}}}Header")
            sender = etree.SubElement(header, f"{{{WSA}}}From", nsmap={"wsa": WSA})
            etree.SubElement(sender, f"{{{WSA}}}Address").text = self.address
        return envelope, http_headers


class WsaBinarySignature(zeep_signature.BinarySignature):
    """zeep's BinarySignature as Digikoppeling 2W-be-S needs it.

    * ``apply`` adds a ``wsu:Timestamp`` and signs Body, *every WS-Addressing header* and the
      Timestamp, each with its own Reference (WB004). Stock zeep's ``_signature_prepare`` calls
      ``_sign_node`` for Body and Timestamp only, so this repeats its few lines with one more
      ``_sign_node`` per header; the output keeps zeep's shape (Signature first, then the token).
    * ``verify`` takes the key from the reply's BinarySecurityToken (after checking that a CA of
      the trust bundle issued it). Stock ``BinarySignature.verify`` verifies with the certificate
      the client signs with, which fails for every reply a server signs with its own key.
    """

    def __init__(self, key_file: str, cert_file: str, trust_file: str, lifetime: int = 300) -> None:
        super().__init__(key_file, cert_file, signature_method=xmlsec.Transform.RSA_SHA256,
                         digest_method=xmlsec.Transform.SHA256)
        from cryptography import x509

        self.lifetime = lifetime
        self.trusted = x509.load_pem_x509_certificates(open(trust_file, "rb").read())  # noqa: SIM115

    def apply(self, envelope: Any, headers: Any) -> Any:
        security = get_security_header(envelope)
        now = dt.datetime.now(dt.UTC)
        security.append(WSU.Timestamp(WSU.Created(get_timestamp(now, zulu_timestamp=True)),
                                      WSU.Expires(get_timestamp(now + dt.timedelta(seconds=self.lifetime),
                                                                zulu_timestamp=True))))
        key = zeep_signature._make_sign_key(self.key_data, self.cert_data, self.password)
        signature = xmlsec.template.create(envelope, xmlsec.Transform.EXCL_C14N, self.signature_method)
        key_info = xmlsec.template.ensure_key_info(signature)
        x509_data = xmlsec.template.add_x509_data(key_info)
        xmlsec.template.x509_data_add_certificate(x509_data)
        security.insert(0, signature)
        ctx = xmlsec.SignatureContext()
        ctx.key = key
        header = envelope.find(f"{{{SOAP}}}Header")
        parts = [envelope.find(f"{{{SOAP}}}Body")]
        parts += [h for h in header if isinstance(h.tag, str) and etree.QName(h).namespace == WSA]
        parts.append(security.find(f"{{{zeep.ns.WSU}}}Timestamp"))
        for part in parts:
            zeep_signature._sign_node(ctx, signature, part, self.digest_method)
        ctx.sign(signature)
        # As zeep's _sign_envelope_with_key_binary: the certificate moves into a BinarySecurityToken
        # that KeyInfo references directly (WB009, WB010).
        token = etree.Element(f"{{{WSSE}}}BinarySecurityToken", {"ValueType": X509_TOKEN, "EncodingType": BASE64})
        token.text = x509_data.find(f"{{{DS}}}X509Certificate").text
        security.insert(1, token)
        key_info.remove(x509_data)
        reference = etree.SubElement(etree.SubElement(key_info, f"{{{WSSE}}}SecurityTokenReference"),
                                     f"{{{WSSE}}}Reference", {"ValueType": X509_TOKEN})
        reference.set("URI", "#" + ensure_id(token))
        return envelope, headers

    def verify(self, envelope: Any) -> Any:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        token = envelope.find(f"{{{SOAP}}}Header/{{{WSSE}}}Security/{{{WSSE}}}BinarySecurityToken")
        if token is None:
            raise SignatureVerificationFailed("the reply has no BinarySecurityToken")
        certificate = x509.load_der_x509_certificate(base64.b64decode("".join((token.text or "").split())))
        if not any(_issued_by(certificate, ca) for ca in self.trusted):
            raise SignatureVerificationFailed("the reply's signer is not issued by a trusted CA")
        key = xmlsec.Key.from_memory(certificate.public_bytes(Encoding.PEM), xmlsec.KeyFormat.CERT_PEM, None)
        zeep_signature._verify_envelope_with_key(envelope, key)
        return envelope


def _issued_by(certificate: Any, issuer: Any) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except Exception:  # InvalidSignature, or a key type that cannot have signed it
        return False
    return True


class TamperAfterSigning:
    """A wsse step after the signature that changes the signed Body (zeep plugins run before wsse)."""

    def apply(self, envelope: Any, headers: Any) -> Any:
        body = envelope.find(f"{{{SOAP}}}Body")
        leaf = next(e for e in body.iter() if isinstance(e.tag, str) and len(e) == 0 and e.text)
        leaf.text = leaf.text + "0" if leaf.text.isdigit() else leaf.text + " (changed)"
        return envelope, headers

    def verify(self, envelope: Any) -> Any:
        return envelope


@dataclass
class ZeepStack:
    client: Any
    transport: RecordingTransport

    @property
    def service(self) -> Any:
        """The port at the address the WSDL was fetched from, whatever its name (zeep's
        ``client.service`` is simply the first port of the first service)."""
        address = self.client.wsdl.location.split("?", 1)[0]
        for service in self.client.wsdl.services.values():
            for port in service.ports.values():
                if port.binding_options.get("address") == address:
                    return self.client.bind(service.name, port.name)
        raise AssertionError(f"the served WSDL has no port at {address}")


def zeep_stack(base_url: str, pki: Any, service: str, profile: str, *, wsse: Any = "default",
               plugins: tuple[Any, ...] = ()) -> ZeepStack:
    transport = RecordingTransport(tls_session(pki))
    if wsse == "default":
        files = pki.party(SCHOOL)
        wsse = (WsaBinarySignature(str(files.key), str(files.cert), str(pki.trust_bundle))
                if profile == "2W-be-S" else None)
    client = zeep.Client(f"{base_url}/{service}/{profile}?wsdl", transport=transport, wsse=wsse,
                         plugins=[WsaFromPlugin(from_address(pki)), *plugins])
    return ZeepStack(client, transport)


# --- what a vendor writes around suds ---------------------------------------------------------------


class RequestsTransport(Transport):
    """A suds transport over a requests session (suds' own urllib transport cannot present a
    client certificate without an SSL context of one's own)."""

    def __init__(self, session: requests.Session) -> None:
        super().__init__()
        self.session = session

    def open(self, request: Any) -> io.BytesIO:
        response = self.session.get(request.url, timeout=30)
        response.raise_for_status()
        return io.BytesIO(response.content)

    def send(self, request: Any) -> Reply:
        response = self.session.post(request.url, data=request.message, headers=request.headers, timeout=30)
        if response.status_code >= 300:
            # As suds' own HttpTransport: a fault (HTTP 500) must come as a TransportError, or suds
            # takes it for a 200 reply and logs "unexpected HTTP status code 200".
            raise TransportError(response.reason, response.status_code, io.BytesIO(response.content))
        return Reply(response.status_code, response.headers, response.content)


class RecordingPlugin(MessagePlugin):
    def __init__(self) -> None:
        self.exchanges: list[tuple[bytes, bytes]] = []
        self._sent = b""

    def sending(self, context: Any) -> None:
        self._sent = context.envelope if isinstance(context.envelope, bytes) else str(context.envelope).encode()

    def received(self, context: Any) -> None:
        self.exchanges.append((self._sent, context.reply))


class SudsStack:
    def __init__(self, base_url: str, pki: Any, service: str, profile: str) -> None:
        self.address = f"{base_url}/{service}/{profile}"
        self.namespace = NAMESPACES[service]
        self.sender = from_address(pki)
        self.recorder = RecordingPlugin()
        self.client = suds_client.Client(self.address + "?wsdl", transport=RequestsTransport(tls_session(pki)),
                                         plugins=[self.recorder])

    @property
    def exchanges(self) -> list[tuple[bytes, bytes]]:
        return self.recorder.exchanges

    def call(self, operation: str, **arguments: Any) -> Any:
        """One call with fresh WS-A headers. suds does not read ``wsam:Action`` from the WSDL: the
        Action is the contract's ``<namespace>:<operation>``."""

        def header(name: str, text: str) -> Element:
            element = Element(name, ns=("wsa", WSA))
            element.setText(text)
            return element

        headers = [header("To", self.address), header("Action", f"{self.namespace}:{operation}"),
                   header("MessageID", f"urn:uuid:{uuid.uuid4()}")]
        if operation in STATE_CHANGING:
            sender = Element("From", ns=("wsa", WSA))
            sender.append(header("Address", self.sender))
            headers.append(sender)
        self.client.set_options(soapheaders=headers)
        ports = [port for service in self.client.wsdl.services for port in service.ports
                 if port.location == self.address]
        assert ports, f"the served WSDL has no port at {self.address}"
        return getattr(self.client.service[ports[0].name], operation)(**arguments)


# --- checks shared by every test ------------------------------------------------------------------


def _root(data: bytes) -> Any:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def wsa_value(data: bytes, name: str) -> str | None:
    return _root(data).findtext(f"{{{SOAP}}}Header/{{{WSA}}}{name}")


def signature_value(data: bytes) -> str | None:
    text = _root(data).findtext(f"{{{SOAP}}}Header/{{{WSSE}}}Security/{{{DS}}}Signature/{{{DS}}}SignatureValue")
    return "".join(text.split()) if text is not None else None


@pytest.fixture
def wss4j(request: pytest.FixtureRequest) -> Callable[[list[bytes]], list[str | None]] | None:
    """The WSS4J verifier, or None outside CI when Java is not installed (xmlsec1 still verifies;
    with CI=true a missing Java fails, in ``java_tools``)."""
    try:
        return request.getfixturevalue("wss4j_verify")  # type: ignore[no-any-return]
    except pytest.skip.Exception:
        return None


@pytest.fixture
def check_exchanges(xmlsec1_verify: Callable[..., str | None], wss4j: Any) -> Callable[..., None]:
    """``check(exchanges, signed)``: RelatesTo answers each MessageID; when signed, each reply
    verifies in xmlsec1 (covering Body, Timestamp, every WS-A header and a SignatureConfirmation
    of the request's SignatureValue) and in WSS4J; when not signed, the reply carries no Security."""

    def check(exchanges: list[tuple[bytes, bytes]], *, signed: bool) -> None:
        assert exchanges
        for sent, reply in exchanges:
            assert wsa_value(reply, "RelatesTo") == wsa_value(sent, "MessageID")
            if signed:
                confirms = signature_value(sent)
                assert confirms
                assert xmlsec1_verify(reply, confirms=confirms) is None
                # The vendor's request is standard XML-DSig too, covering every WS-A header.
                assert xmlsec1_verify(sent) is None
            else:
                assert _root(reply).find(f"{{{SOAP}}}Header/{{{WSSE}}}Security") is None
        if signed and wss4j is not None:
            assert wss4j([reply for _, reply in exchanges]) == [None] * len(exchanges)

    return check


def report_arguments(bsn: str) -> dict[str, Any]:
    """An IndienenVerzuimmelding as zeep takes it (suds: the same dicts, see ``as_suds``)."""
    return {
        "Leerling": {"Bsn": bsn, "Voornamen": "Sanne", "Voorvoegsel": "de", "Achternaam": f"Vries {next(_students)}",
                     "Geboortedatum": TODAY.replace(year=TODAY.year - 15, day=1),
                     "Woonadres": {"Straat": "Oudegracht", "Huisnummer": 158, "Postcode": "3511 AB",
                                   "Plaats": "Utrecht"}},
        "School": {"Brin": "25LX", "Vestigingsnummer": "01"},
        "Schooljaar": SCHOOL_YEAR, "Niveau": "MBO niveau 2", "Leerweg": "BOL", "Voltijd": True,
        "Verzuimsoort": "DRIE_DAGEN",
        "Periode": {"Begindatum": TODAY - dt.timedelta(days=12), "Einddatum": TODAY - dt.timedelta(days=8)},
        "VermoedelijkeReden": "Spijbelen",
        "Melder": {"Email": "verzuim@rocdemonoord.example", "Rol": "Verzuimcoördinator",
                   "Contactpersoon": "J. de Groot"},
        "AlleLessenVerzuimd": False,
        "Bijlagen": {"Bijlage": [{"Bestandsnaam": "brief.pdf", "Inhoud": PDF}]},
    }


def as_suds(value: Any) -> Any:
    """suds writes dates, booleans and numbers right, but sends ``str()`` of bytes for a
    base64Binary: the caller encodes attachments itself."""
    if isinstance(value, dict):
        return {key: as_suds(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_suds(item) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def agreement_arguments(leerbedrijf_id: str) -> dict[str, Any]:
    return {"Studentnummer": f"PY{uuid.uuid4().hex[:12]}", "LeerbedrijfId": leerbedrijf_id, "Crebo": "25180",
            "Begindatum": TODAY, "GeplandeEinddatum": TODAY + dt.timedelta(days=180), "Leerweg": "BOL"}


def recognised_for_kok(companies: list[Any]) -> Any:
    """A company recognised for crebo 25180 today (seeded data; others' tests may withdraw some)."""
    for company in companies:
        for recognition in company.Erkenningen.Erkenning:
            if (str(recognition.Crebo) == "25180" and str(recognition.Begindatum) <= TODAY.isoformat()
                    and recognition.Einddatum is None):
                return company
    raise AssertionError("no company recognised for crebo 25180 today")


# --- zeep + python-xmlsec, both profiles ----------------------------------------------------------

PROFILES = ["2W-be", "2W-be-S"]


@pytest.mark.parametrize("profile", PROFILES)
def test_zeep_sbb_read_and_register(base_url: str, pki: Any, profile: str, check_exchanges: Any) -> None:
    stack = zeep_stack(base_url, pki, SBB, profile)
    found = stack.service.OpvragenErkenningen(Crebo="25180", Land="NL")
    assert found.Signaalcode == 0
    assert found.Totaal >= 1 and found.Leerbedrijf
    assert all(any(str(e.Crebo) == "25180" for e in c.Erkenningen.Erkenning) for c in found.Leerbedrijf)
    assert all(c.Vestigingsadres.Landcode == "NL" for c in found.Leerbedrijf)
    company = recognised_for_kok(found.Leerbedrijf)

    arguments = agreement_arguments(company.LeerbedrijfId)
    registered = stack.service.RegistrerenBpvOvereenkomst(**arguments)
    assert registered.Signaalcode == 0, registered.Melding
    agreement = registered.BpvOvereenkomst
    assert int(agreement.OvereenkomstId) >= 1
    assert (agreement.Studentnummer, agreement.LeerbedrijfId, agreement.Crebo, agreement.Begindatum) == (
        arguments["Studentnummer"], company.LeerbedrijfId, "25180", TODAY)
    sent = stack.transport.exchanges[-1][0]
    assert _root(sent).findtext(f"{{{SOAP}}}Header/{{{WSA}}}From/{{{WSA}}}Address") == from_address(pki)
    check_exchanges(stack.transport.exchanges, signed=profile == "2W-be-S")


@pytest.mark.parametrize("profile", PROFILES)
def test_zeep_duo_submit_and_read(base_url: str, pki: Any, profile: str, check_exchanges: Any) -> None:
    stack = zeep_stack(base_url, pki, DUO, profile)
    bsn = new_bsn()
    registered = stack.service.IndienenVerzuimmelding(**report_arguments(bsn))
    assert MELDINGNUMMER.match(registered.Meldingnummer)
    assert registered.Status == "Geregistreerd"
    assert (registered.Gemeente.Code, registered.Gemeente.Naam) == ("0344", "Utrecht")
    kept = registered.OntvangenBijlagen.BijlageGegevens
    assert [(b.Bestandsnaam, b.Inhoudstype, b.Grootte, b.Sha256) for b in kept] == [
        ("brief.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest())]

    read = stack.service.OpvragenVerzuimmelding(Meldingnummer=registered.Meldingnummer)
    assert read.Meldingnummer == registered.Meldingnummer
    assert (read.Leerling.Bsn, read.Status, read.Verzuimsoort) == (bsn, "Geregistreerd", "DRIE_DAGEN")
    assert read.Periode.Einddatum == TODAY - dt.timedelta(days=8)

    page = stack.service.SynchroniserenVerzuimmeldingen(Cursor=read.Wijzigingsvolgnummer - 1, PaginaGrootte=1)
    assert [m.Meldingnummer for m in page.Verzuimmelding] == [registered.Meldingnummer]
    assert page.VolgendeCursor == read.Wijzigingsvolgnummer
    check_exchanges(stack.transport.exchanges, signed=profile == "2W-be-S")


def test_zeep_signed_request_changed_after_signing_is_refused(base_url: str, pki: Any, xmlsec1_verify: Any,
                                                              wss4j: Any) -> None:
    files = pki.party(SCHOOL)
    signer = WsaBinarySignature(str(files.key), str(files.cert), str(pki.trust_bundle))
    stack = zeep_stack(base_url, pki, SBB, "2W-be-S", wsse=Compose([signer, TamperAfterSigning()]))
    with pytest.raises(Fault) as refused:
        stack.service.OpvragenErkenningen(Crebo="25180")
    assert refused.value.message.startswith("0111: The digest of "), refused.value.message
    sent, reply = stack.transport.exchanges[-1]
    assert b"251800" in sent
    # The fault is signed too (no SignatureConfirmation: the request's signature did not verify).
    assert _root(reply).find(f".//{{{WSSE11}}}SignatureConfirmation") is None
    assert xmlsec1_verify(reply) is None
    assert wss4j is None or wss4j([reply]) == [None]


def _timestamped_signature(pki: Any, party: str) -> Any:
    """zeep's stock BinarySignature (RSA-SHA256, SHA-256) after a wsu:Timestamp is added: it signs
    the Body and that Timestamp, nothing else."""

    class WithTimestamp(zeep_signature.BinarySignature):
        def apply(self, envelope: Any, headers: Any) -> Any:
            now = dt.datetime.now(dt.UTC)
            get_security_header(envelope).append(WSU.Timestamp(WSU.Created(get_timestamp(now, zulu_timestamp=True))))
            return super().apply(envelope, headers)

    files = pki.party(party)
    return WithTimestamp(str(files.key), str(files.cert), signature_method=xmlsec.Transform.RSA_SHA256,
                         digest_method=xmlsec.Transform.SHA256)


def test_zeep_stock_binary_signature_is_refused_for_unsigned_addressing(base_url: str, pki: Any) -> None:
    """Stock BinarySignature signs Body (and a Timestamp only if one is there): WB004 refuses it.
    Its verify then fails on the signed fault, hiding the fault behind SignatureVerificationFailed."""
    stock = _timestamped_signature(pki, SCHOOL)
    stack = zeep_stack(base_url, pki, SBB, "2W-be-S", wsse=stock)
    with pytest.raises(SignatureVerificationFailed):
        stack.service.OpvragenErkenningen(Crebo="25180")
    reply = stack.transport.exchanges[-1][1]
    assert _root(reply).findtext(f"{{{SOAP}}}Body/{{{SOAP}}}Fault/faultstring") == (
        "0112: wsa:Action is not signed at its place in the message (WB004).")


def test_zeep_stock_verify_works_with_the_servers_certificate(base_url: str, pki: Any) -> None:
    """zeep's own verify (``_verify_envelope_with_key``) accepts the server's replies, with their
    SignatureConfirmation, once it is given the server's certificate instead of the client's."""
    stack = zeep_stack(base_url, pki, SBB, "2W-be-S")
    stack.service.OpvragenErkenningen(Crebo="25180")
    reply = stack.transport.exchanges[-1][1]
    assert _root(reply).find(f".//{{{WSSE11}}}SignatureConfirmation") is not None
    files = pki.party(SCHOOL)
    own = zeep_signature.BinarySignature(str(files.key), str(files.cert))
    with pytest.raises(SignatureVerificationFailed):
        own.verify(_root(reply))
    server = zeep_signature.BinarySignature(str(files.key), str(pki.server_cert))
    server.verify(_root(reply))
    tampered = reply.replace(b"<tns:Signaalcode>0<", b"<tns:Signaalcode>1<")
    assert tampered != reply
    with pytest.raises(SignatureVerificationFailed):
        server.verify(_root(tampered))
    # zeep checks the references that are there, not that RelatesTo (or the Timestamp, or the
    # SignatureConfirmation) is among them: a vendor checks coverage itself, as xmlsec1_verify does.
    server.verify(_root(_reply_signed_by(pki, None, leave_out=("RelatesTo",))))


def test_zeep_with_an_explicit_wsa_plugin_duplicates_the_headers(base_url: str, pki: Any) -> None:
    """zeep already applies WsAddressingPlugin for every operation with wsam:Action: listing it in
    ``plugins`` too writes every header twice, which WA001 refuses (fault 0011)."""
    stack = zeep_stack(base_url, pki, SBB, "2W-be", plugins=(zeep.wsa.WsAddressingPlugin(),))
    with pytest.raises(Fault) as refused:
        stack.service.OpvragenErkenningen(Crebo="25180")
    assert refused.value.message.startswith("0011: wsa:"), refused.value.message
    assert "more than once" in refused.value.message


# --- plain zeep, profile MAGDA (the werkplekduaal counter) ----------------------------------------
PROVIDER = "provider-0412345614"


def _magda_verzoek(operation: str, sender: str, inhoud: dict[str, Any]) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return {"Context": {"Naam": operation, "Versie": "02.00.0000", "Bericht": {
        "Type": "VRAAG", "Tijdstip": {"Datum": now.date(), "Tijd": now.time()},
        "Afzender": {"Identificatie": sender, "Referte": uuid.uuid4().hex, "Hoedanigheid": "OPLEIDINGSVERSTREKKER"}}},
        "Vragen": {"Vraag": {"Referte": "vraag-1", "Inhoud": inhoud}}}


def test_zeep_stock_signature_speaks_magda_and_the_counter_signs_as_itself(base_url: str, pki: Any,
                                                                          xmlsec1_verify: Any, wss4j: Any) -> None:
    """A Flemish vendor's plain zeep: the served WSDL has no WS-Addressing, so zeep writes none, and
    stock BinarySignature with a Timestamp signs exactly what MAGDA asks (Body and Timestamp).
    The reply is signed by the counter's own certificate (KBO 0316200006): zeep's own verify
    accepts it with that certificate, and xmlsec1 (and WSS4J) with the dev PKI."""
    files = pki.party(PROVIDER)
    session = tls_session(pki)
    session.cert = (str(files.chain), str(files.key))
    transport = RecordingTransport(session)
    client = zeep.Client(f"{base_url}/werkplekduaal/MAGDA?wsdl", transport=transport,
                         wsse=_timestamped_signature(pki, PROVIDER))
    with pytest.raises(SignatureVerificationFailed):  # stock verify uses the client's own certificate
        client.service.GeefTaken(Verzoek=_magda_verzoek("GeefTaken", files.oin, {}))
    sent, reply = transport.exchanges[-1]
    assert WSA.encode() not in sent and WSA.encode() not in reply
    root = _root(reply)
    assert root.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault") is None, reply[-600:]
    assert root.find(".//{urn:ketenserver:werkplekduaal:02.00}VolgendeCursor") is not None
    counter = zeep_signature.BinarySignature(str(files.key), str(pki.party("loket-0316200006").cert))
    counter.verify(root)
    with pytest.raises(SignatureVerificationFailed):
        zeep_signature.BinarySignature(str(files.key), str(pki.server_cert)).verify(_root(reply))
    assert xmlsec1_verify(reply, addressing=False) is None
    assert xmlsec1_verify(reply) is not None  # the WUS check wants WS-Addressing: MAGDA has none
    assert wss4j is None or wss4j([reply]) == [None]


# --- suds-community, 2W-be ------------------------------------------------------------------------


def test_suds_sbb_read_and_register(base_url: str, pki: Any, check_exchanges: Any) -> None:
    stack = SudsStack(base_url, pki, SBB, "2W-be")
    found = stack.call("OpvragenErkenningen", Crebo="25180", Land="NL")
    assert int(found.Signaalcode) == 0 and int(found.Totaal) >= 1
    company = None
    for candidate in found.Leerbedrijf:
        for recognition in candidate.Erkenningen.Erkenning:
            if (recognition.Crebo == "25180" and str(recognition.Begindatum) <= TODAY.isoformat()
                    and getattr(recognition, "Einddatum", None) is None):
                company = company or candidate
    assert company is not None

    arguments = as_suds(agreement_arguments(str(company.LeerbedrijfId)))
    registered = stack.call("RegistrerenBpvOvereenkomst", **arguments)
    assert int(registered.Signaalcode) == 0, registered.Melding
    assert registered.BpvOvereenkomst.Studentnummer == arguments["Studentnummer"]
    assert str(registered.BpvOvereenkomst.LeerbedrijfId) == str(company.LeerbedrijfId)
    assert int(registered.BpvOvereenkomst.OvereenkomstId) >= 1
    check_exchanges(stack.exchanges, signed=False)


def test_suds_duo_submit_and_read(base_url: str, pki: Any, check_exchanges: Any) -> None:
    stack = SudsStack(base_url, pki, DUO, "2W-be")
    bsn = new_bsn()
    registered = stack.call("IndienenVerzuimmelding", **as_suds(report_arguments(bsn)))
    assert MELDINGNUMMER.match(str(registered.Meldingnummer))
    assert registered.Status == "Geregistreerd"
    assert registered.Gemeente.Naam == "Utrecht"
    assert registered.OntvangenBijlagen.BijlageGegevens[0].Sha256 == hashlib.sha256(PDF).hexdigest()

    read = stack.call("OpvragenVerzuimmelding", Meldingnummer=registered.Meldingnummer)
    assert (str(read.Meldingnummer), str(read.Leerling.Bsn), read.Status) == (
        str(registered.Meldingnummer), bsn, "Geregistreerd")
    page = stack.call("SynchroniserenVerzuimmeldingen", Cursor=int(read.Wijzigingsvolgnummer) - 1, PaginaGrootte=1)
    assert [str(m.Meldingnummer) for m in page.Verzuimmelding] == [str(registered.Meldingnummer)]
    check_exchanges(stack.exchanges, signed=False)


def test_suds_without_signature_is_refused_in_2w_be_s(base_url: str, pki: Any, xmlsec1_verify: Any) -> None:
    stack = SudsStack(base_url, pki, SBB, "2W-be-S")
    with pytest.raises(WebFault) as refused:
        stack.call("OpvragenErkenningen", Crebo="25180")
    assert refused.value.fault.faultstring == (
        "0110: Profile 2W-be-S requires a wsse:Security header with a signature (WB013).")
    reply = stack.exchanges[-1][1]
    assert xmlsec1_verify(reply) is None  # the fault is signed all the same


# --- the xmlsec1 verifier refuses what it must ------------------------------------------------------


@pytest.fixture(scope="module")
def signed_exchange(base_url: str, pki: Any) -> tuple[bytes, bytes]:
    stack = zeep_stack(base_url, pki, SBB, "2W-be-S")
    stack.service.OpvragenErkenningen(Crebo="25180")
    return stack.transport.exchanges[-1]


def _reply_signed_by(pki: Any, party: str | None, *, leave_out: tuple[str, ...] = ()) -> bytes:
    """A reply as the server writes it, signed by ``party`` (None: the server), covering every part
    but the WS-A headers named in ``leave_out``."""
    from ketencore import wsse
    from ketencore.envelope import write_reply

    cert, key = (pki.server_cert, pki.server_key) if party is None else (pki.party(party).cert, pki.party(party).key)
    signer = wsse.MessageSigner.from_pem(key.read_bytes(), cert.read_bytes())
    payload = etree.fromstring(f'<tns:Antwoord xmlns:tns="{NAMESPACES[SBB]}">ok</tns:Antwoord>')
    now = dt.datetime.now(dt.UTC)
    if not leave_out:
        return write_reply(payload, action=f"{NAMESPACES[SBB]}:X", relates_to="urn:uuid:1", signer=signer, now=now)
    root = etree.fromstring(write_reply(payload, action=f"{NAMESPACES[SBB]}:X", relates_to="urn:uuid:1",
                                        signer=None, now=now))
    header = root.find(f"{{{SOAP}}}Header")
    security = etree.SubElement(header, f"{{{WSSE}}}Security", nsmap={"wsse": WSSE})
    stamp = wsse.new_timestamp(now)
    security.append(stamp)
    parts = [root.find(f"{{{SOAP}}}Body"), stamp]
    parts += [h for h in header if etree.QName(h).namespace == WSA and etree.QName(h).localname not in leave_out]
    signer.sign(root, security, parts)
    return etree.tostring(root)


def test_xmlsec1_verify_accepts_a_real_reply_and_refuses_a_changed_one(
        signed_exchange: tuple[bytes, bytes], xmlsec1_verify: Any) -> None:
    sent, reply = signed_exchange
    assert xmlsec1_verify(reply, confirms=signature_value(sent)) is None
    changed_body = reply.replace(b"erkende leerbedrijven", b"erkende leerbedrijfjes")
    assert changed_body != reply
    assert (xmlsec1_verify(changed_body) or "").startswith("xmlsec1: ")
    relates = wsa_value(reply, "RelatesTo") or ""
    changed_header = reply.replace(relates.encode(), f"urn:uuid:{uuid.uuid4()}".encode())
    assert (xmlsec1_verify(changed_header) or "").startswith("xmlsec1: ")
    assert xmlsec1_verify(reply, confirms="c29tZXRoaW5nIGVsc2U=") == (
        "the SignatureConfirmation does not hold the request's SignatureValue")


def test_xmlsec1_verify_refuses_untrusted_revoked_and_partial_signatures(pki: Any, xmlsec1_verify: Any) -> None:
    assert xmlsec1_verify(_reply_signed_by(pki, None)) is None
    foreign = xmlsec1_verify(_reply_signed_by(pki, "test-foreign"))
    assert foreign and "certificate verification failed" in foreign
    revoked = xmlsec1_verify(_reply_signed_by(pki, "test-revoked"))
    assert revoked and "revoked" in revoked
    assert xmlsec1_verify(_reply_signed_by(pki, None, leave_out=("RelatesTo",))) == (
        "wsa:RelatesTo is not covered by the signature")
    assert xmlsec1_verify(b"<not-xml") is not None
    assert xmlsec1_verify(_reply_signed_by(pki, None).replace(b"wsse:Security", b"wsse:Sekurity")) == (
        "the reply has no wsse:Security header (or no Body)")
