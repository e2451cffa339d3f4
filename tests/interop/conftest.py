"""The real-stack interoperability suite: clients generated from the served WSDL by other
stacks (JAX-WS RI + WSS4J, node-soap + xml-crypto, suds, zeep + python-xmlsec), against a real
server over mutual TLS, in both profiles; every signed reply checked by ``xmlsec1`` and WSS4J.

Run it alone with ``pytest -m interop``. A missing toolchain skips its tests with the command
that installs it; with ``CI=true`` a missing toolchain fails instead, so CI cannot pass by
skipping.
"""

from __future__ import annotations

import os
import shutil

import pytest

INSTALL_APT = ("apt-get install -y openjdk-17-jdk-headless jaxws libjaxws-java libwss4j-java xmlsec1")
INSTALL_NPM = "npm ci --prefix tests/interop/node"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/interop/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.interop)


def require(tool: str, present: bool, install: str) -> None:
    """Skip (or, with CI=true, fail) when a toolchain is missing, naming how to install it."""
    if present:
        return
    message = f"{tool} is not installed; install it with: {install}"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def require_command(command: str, install: str) -> str:
    path = shutil.which(command)
    require(command, path is not None, install)
    assert path is not None
    return path


# The session's server (``server``, ``base_url``, ``pki`` from tests/conftest.py) is the one every
# stack talks to. Each stack's shared fixtures live in its own section below.

# --- xmlsec1 and the Python stacks (suds, zeep + python-xmlsec) ---------------------------------

_XS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
_XS_WSA = "http://www.w3.org/2005/08/addressing"
_XS_WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
_XS_WSSE11 = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
_XS_WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_XS_DS = "http://www.w3.org/2000/09/xmldsig#"
_XS_ALGORITHMS = {
    "CanonicalizationMethod": {"http://www.w3.org/2001/10/xml-exc-c14n#"},
    "SignatureMethod": {f"http://www.w3.org/2001/04/xmldsig-more#{m}" for m in ("rsa-sha256", "rsa-sha384",
                                                                                "rsa-sha512", "ecdsa-sha256")},
    "DigestMethod": {"http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2001/04/xmldsig-more#sha384",
                     "http://www.w3.org/2001/04/xmlenc#sha512"},
}
# The elements whose Id xmlsec1 must know: xmlsec1 only knows xml:id and ID-typed attributes of a
# DTD, so each signed element type gets ``--id-attr:Id <namespace>:<name>``. libxml2 looks the
# attribute up by local name, so this registers wsu:Id as well as a plain Id (node-soap's shape).
_XS_ID_NODES = [(_XS_SOAP, "Body"), (_XS_WSU, "Timestamp"), (_XS_WSSE11, "SignatureConfirmation"),
                *((_XS_WSA, name) for name in ("To", "From", "ReplyTo", "FaultTo", "Action", "MessageID",
                                               "RelatesTo"))]


def _xs_id(element) -> str | None:  # type: ignore[no-untyped-def]
    for key, value in element.attrib.items():
        if key.rsplit("}", 1)[-1] == "Id":
            return str(value)
    return None


def _xs_coverage(root, confirms: str | None, addressing: bool = True  # type: ignore[no-untyped-def]
                 ) -> tuple[str | None, str | None]:
    """(reason, token): whether SignedInfo references Body, Timestamp, every WS-A header and every
    SignatureConfirmation at their places, with WUS algorithms; and the BinarySecurityToken's base64.
    Without ``addressing`` (profile MAGDA) the reply must carry no WS-A header at all."""
    from lxml import etree

    header = root.find(f"{{{_XS_SOAP}}}Header")
    body = root.find(f"{{{_XS_SOAP}}}Body")
    security = header.find(f"{{{_XS_WSSE}}}Security") if header is not None else None
    if security is None or body is None:
        return "the reply has no wsse:Security header (or no Body)", None
    signatures = security.findall(f"{{{_XS_DS}}}Signature")
    if len(signatures) != 1:
        return f"the Security header holds {len(signatures)} ds:Signature elements, not one", None
    signed_info = signatures[0].find(f"{{{_XS_DS}}}SignedInfo")
    if signed_info is None:
        return "ds:Signature has no SignedInfo", None
    for element in signed_info.iter():
        name = etree.QName(element).localname if isinstance(element.tag, str) else ""
        if name in _XS_ALGORITHMS and element.get("Algorithm") not in _XS_ALGORITHMS[name]:
            return f"{name} {element.get('Algorithm')!r} is not a WUS algorithm", None
    uris = {reference.get("URI", "") for reference in signed_info.iter(f"{{{_XS_DS}}}Reference")}
    required = [("Body", body)]
    required += [(f"wsa:{etree.QName(h).localname}", h) for h in header if isinstance(h.tag, str)
                 and etree.QName(h).namespace == _XS_WSA]
    required += [("wsu:Timestamp", t) for t in security.findall(f"{{{_XS_WSU}}}Timestamp")]
    confirmations = security.findall(f"{{{_XS_WSSE11}}}SignatureConfirmation")
    required += [("wsse11:SignatureConfirmation", c) for c in confirmations]
    addressed = any(name.startswith("wsa:") for name, _ in required)
    if not any(name == "wsu:Timestamp" for name, _ in required) or addressed != addressing:
        return ("the reply has no wsu:Timestamp, or WS-Addressing headers where its profile "
                f"{'needs' if addressing else 'forbids'} them"), None
    for name, element in required:
        element_id = _xs_id(element)
        if element_id is None or f"#{element_id}" not in uris:
            return f"{name} is not covered by the signature", None
    if confirms is not None and [c.get("Value") for c in confirmations] != [confirms]:
        return "the SignatureConfirmation does not hold the request's SignatureValue", None
    tokens = security.findall(f"{{{_XS_WSSE}}}BinarySecurityToken")
    if len(tokens) != 1:
        return f"the Security header holds {len(tokens)} BinarySecurityTokens, not one", None
    return None, "".join((tokens[0].text or "").split())


@pytest.fixture(scope="session")
def xmlsec1_verify(pki, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """``verify(reply: bytes, confirms=None, addressing=True) -> str | None``: None when ``xmlsec1
    --verify`` accepts the reply's signature with a certificate of the dev PKI and the signature
    covers Body, Timestamp, every WS-A header and every SignatureConfirmation (holding ``confirms``
    when given; ``addressing=False``: profile MAGDA, no WS-A header); otherwise why not (xmlsec1's
    own error lines when xmlsec1 refused)."""
    import base64
    import subprocess

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from lxml import etree

    xmlsec1 = require_command("xmlsec1", INSTALL_APT)
    directory = tmp_path_factory.mktemp("xmlsec1")
    anchors = []
    # xmlsec1 reads one certificate per --trusted-pem file: split the bundle (root + intermediate).
    for number, certificate in enumerate(x509.load_pem_x509_certificates(pki.trust_bundle.read_bytes())):
        path = directory / f"trusted-{number}.pem"
        path.write_bytes(certificate.public_bytes(Encoding.PEM))
        anchors += ["--trusted-pem", str(path)]
    crl = base64.b64encode(x509.load_pem_x509_crl(pki.crl.read_bytes()).public_bytes(Encoding.DER)).decode()
    id_attrs = [arg for namespace, name in _XS_ID_NODES for arg in ("--id-attr:Id", f"{namespace}:{name}")]
    counter = iter(range(1_000_000))

    def verify(reply: bytes, confirms: str | None = None, *, addressing: bool = True) -> str | None:
        try:
            root = etree.fromstring(reply, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as error:
            return f"the reply is not XML: {error}"
        reason, token = _xs_coverage(root, confirms, addressing)
        if reason is not None:
            return reason
        # xmlsec1 cannot read a wsse:SecurityTokenReference to a wsse:BinarySecurityToken. KeyInfo
        # is outside SignedInfo, so we replace it by a ds:X509Data holding the token's certificate
        # (and the dev CRL): xmlsec1 then takes the key from that certificate *and* verifies it
        # against the --trusted-pem anchors and the CRL, which --pubkey-cert-pem would not do.
        key_info = root.find(f"{{{_XS_SOAP}}}Header/{{{_XS_WSSE}}}Security/{{{_XS_DS}}}Signature/{{{_XS_DS}}}KeyInfo")
        if key_info is None:
            return "ds:Signature has no KeyInfo"
        for child in list(key_info):
            key_info.remove(child)
        data = etree.SubElement(key_info, f"{{{_XS_DS}}}X509Data")
        etree.SubElement(data, f"{{{_XS_DS}}}X509Certificate").text = token
        etree.SubElement(data, f"{{{_XS_DS}}}X509CRL").text = crl
        path = directory / f"reply-{next(counter)}.xml"
        path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
        done = subprocess.run([xmlsec1, "--verify", "--enabled-key-data", "x509", *anchors, *id_attrs, str(path)],
                              capture_output=True, text=True, timeout=60, check=False)
        output = done.stdout + done.stderr
        if done.returncode == 0 and "OK" in output.split():
            return None
        errors = [line for line in output.splitlines() if "error=" in line or line.startswith("Error")]
        return "xmlsec1: " + (" | ".join(errors[:3]) or output.strip()[-500:])

    return verify


# --- Java: JAX-WS RI wsimport + WSS4J -----------------------------------------------------------

JAVA_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "java", "src")
JAVA_SHARE = "/usr/share/java"
# Debian's jars: jaxws-rt.jar's manifest Class-Path brings JAXB, SAAJ, stax-ex, streambuffer,
# policy, ...; WSS4J 1.6 needs santuario (xmlsec), commons-logging and slf4j.
JAVA_JARS = ("jaxws-rt.jar", "wss4j.jar", "xmlsec.jar", "commons-logging.jar", "slf4j-api.jar", "slf4j-jdk14.jar")
# JUL: keep warnings, drop the known noise (SAAJ's deprecated-property notice on every message and
# santuario 2's "input bytes to the digest operation are null", logged for every streamed digest).
_JAVA_LOGGING = """handlers=java.util.logging.ConsoleHandler
.level=WARNING
javax.xml.soap.level=SEVERE
org.apache.jcp.xml.dsig.internal.dom.DOMReference.level=SEVERE
"""


class JavaTools:
    """The compiled tests/interop/java sources and how to run them in a JVM."""

    def __init__(self, classes: str, classpath: str, logging: str) -> None:
        self.classes = classes
        self.classpath = classpath
        self.logging = logging

    def command(self, main: str, *args: str, extra_classpath: str = "", jvm: tuple[str, ...] = ()) -> list[str]:
        classpath = os.pathsep.join(p for p in (self.classes, extra_classpath, self.classpath) if p)
        return ["java", f"-Djava.util.logging.config.file={self.logging}", *jvm, "-cp", classpath,
                f"interop.{main}", *args]


@pytest.fixture(scope="session")
def java_tools(tmp_path_factory: pytest.TempPathFactory) -> JavaTools:
    """javac, java and wsimport (JAX-WS RI) with WSS4J and its jars, and tests/interop/java/src
    compiled once into a temporary directory; skips (fails with CI=true) when any is missing."""
    import glob
    import subprocess

    for command in ("java", "javac", "wsimport"):
        require_command(command, INSTALL_APT)
    jars = [os.path.join(JAVA_SHARE, jar) for jar in JAVA_JARS]
    missing = [jar for jar in jars if not os.path.isfile(jar)]
    require(f"Java jars {', '.join(missing)}", not missing, INSTALL_APT)
    base = tmp_path_factory.mktemp("java-tools")
    classes = base / "classes"
    sources = sorted(glob.glob(os.path.join(JAVA_SRC, "**", "*.java"), recursive=True))
    done = subprocess.run(["javac", "-nowarn", "-encoding", "UTF-8", "-d", str(classes), "-cp", os.pathsep.join(jars),
                           *sources], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"javac failed:\n{done.stdout}\n{done.stderr}"
    logging = base / "logging.properties"
    logging.write_text(_JAVA_LOGGING)
    return JavaTools(str(classes), os.pathsep.join(jars), str(logging))


@pytest.fixture(scope="session")
def wss4j_verify(java_tools: JavaTools, pki, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """``verify(replies: list[bytes]) -> list[str | None]``: each signed reply checked by WSS4J's
    own inbound processing (``WSSecurityEngine.processSecurityHeader``) in one JVM per batch: None
    when the signature verifies with the BinarySecurityToken's certificate, that certificate
    chains to the dev PKI's trust bundle, and Body, Timestamp and every WS-Addressing header are
    signed; otherwise the reason. Timestamp freshness is not judged (replies may be checked late)."""
    import itertools
    import json
    import subprocess

    directory = tmp_path_factory.mktemp("wss4j-verify")
    counter = itertools.count()

    def verify(replies: list[bytes]) -> list[str | None]:
        if not replies:
            return []
        files = []
        for reply in replies:
            path = directory / f"reply-{next(counter)}.xml"
            path.write_bytes(reply)
            files.append(str(path))
        done = subprocess.run(java_tools.command("Verify", str(pki.trust_bundle), *files),
                              capture_output=True, text=True, timeout=300, check=False)
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        assert done.returncode == 0 and len(lines) == len(files), f"WSS4J Verify failed:\n{done.stdout}\n{done.stderr}"
        return [None if line["ok"] else str(line["reason"]) for line in lines]

    return verify

# --- node-soap + xml-crypto ---------------------------------------------------------------------

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
NODE_MIN_VERSION = (20, 19)  # soap 1.13's "engines"


@pytest.fixture(scope="session")
def node_soap() -> tuple[str, str]:
    """(node, client.js): node 20.19+ with soap and xml-crypto installed by ``npm ci`` from
    tests/interop/node/package-lock.json; skips (fails with CI=true) when either is missing."""
    import subprocess

    node = require_command("node", INSTALL_NPM)
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False)
    numbers = tuple(int(n) for n in version.stdout.strip().lstrip("v").split(".")[:2] if n.isdigit())
    require(f"node >= {'.'.join(map(str, NODE_MIN_VERSION))} (found {version.stdout.strip() or 'none'})",
            numbers >= NODE_MIN_VERSION, "node 20.19 or newer, then " + INSTALL_NPM)
    modules = os.path.join(NODE_DIR, "node_modules")
    installed = all(os.path.isfile(os.path.join(modules, name, "package.json"))
                    for name in ("soap", "xml-crypto", "@xmldom/xmldom"))
    require("node-soap (tests/interop/node/node_modules)", installed, INSTALL_NPM)
    return node, os.path.join(NODE_DIR, "client.js")
