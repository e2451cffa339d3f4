"""node-soap + xml-crypto against the real server, in both profiles.

One node run (tests/interop/node/client.js) builds its clients from the WSDL the server serves
(mutual TLS for the WSDL, the schemas and every call), adds WS-Addressing with
``client.addSoapHeader`` (wsa:Action from the operation's wsam:Action), signs in 2W-be-S with
node-soap's ``WSSecurityCert`` (RSA-SHA256, SHA-256, exclusive c14n; Body, Timestamp and every
WS-A header), and runs per service two reads and a state-changing operation: in 2W-be once, in
2W-be-S with node-soap's default ``Id`` attributes and again with ``wsu:Id`` (idMode
'wssecurity'). In 2W-be-S it also tries the other ways a vendor may set WSSecurityCert up (which
must be accepted) and three misconfigurations and two requests changed after signing (which must
be refused, each with its fault). It prints one JSON line per call and keeps every raw request and
reply; the tests below check them, and every signed reply is verified by node itself
(xml-crypto, as a node vendor has to: node-soap does not check replies), ``xmlsec1`` and WSS4J.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from ketenserver.testing import valid_bsn

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
WSAM = "http://www.w3.org/2007/05/addressing/metadata"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSSE11 = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
X509_TOKEN = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"

SCHOOL = "school-25LX"
# This stack's students: valid_bsn(seed) from 9,700,000 up, above the seeds the other test modules
# draw (below 9,010,000), and a random start so a second run on the same database gets new ones.
BSN_SEED = 9_700_000 + random.SystemRandom().randrange(0, 290_000, 10)
BSN_COUNT = 5
STATE_CHANGING = {"AanmeldenMutatieabonnement", "IndienenVerzuimmelding"}

SBB = ("sbb-erkenningen", ["OpvragenErkenningen", "VaststellenLeerbedrijf", "AanmeldenMutatieabonnement"])
DUO = ("duo-verzuimloket", ["IndienenVerzuimmelding", "OpvragenVerzuimmelding", "SynchroniserenVerzuimmeldingen"])


# Further ways a node vendor may set WSSecurityCert up (2W-be-S, SBB OpvragenErkenningen): accepted ...
ACCEPTED_SHAPES = ["minimal-options",  # only additionalReferences; node-soap's defaults for the rest
                   "reused-security-1", "reused-security-2",  # one WSSecurityCert for two calls
                   "from-on-query"]  # a signed wsa:From on a pure query as well
# ... and refused, with the fault each must get
REFUSED = {"no-timestamp": "0115", "to-unsigned": "0112", "sha1-digest": "0113",
           "tampered-body": "0111", "tampered-header": "0111"}  # tampered: a signed value changed after signing


def _cases() -> list[tuple[str, str, str, str]]:
    cases = []
    for profile, variants in (("2W-be", ["plain"]), ("2W-be-S", ["plain", "wsu-id"])):
        for service, operations in (SBB, DUO):
            cases += [(service, operation, profile, variant) for variant in variants for operation in operations]
    for variant in [*ACCEPTED_SHAPES, "no-timestamp", "to-unsigned", "sha1-digest", "tampered-body"]:
        cases.append(("sbb-erkenningen", "OpvragenErkenningen", "2W-be-S", variant))
    cases.append(("duo-verzuimloket", "IndienenVerzuimmelding", "2W-be-S", "tampered-header"))
    return cases


CASES = _cases()
SIGNED_CASES = [case for case in CASES if case[2] == "2W-be-S"]


def _case_id(case: tuple[str, str, str, str]) -> str:
    return "-".join(case)


@dataclass
class NodeRun:
    records: dict[tuple[str, str, str, str], dict[str, Any]]
    out: Path
    stderr: str
    returncode: int

    def record(self, case: tuple[str, str, str, str]) -> dict[str, Any]:
        if case not in self.records:
            ran = ", ".join(_case_id(key) for key in self.records) or "nothing"
            pytest.fail(f"node-soap did not run {_case_id(case)} (exit {self.returncode}; ran: {ran})\n"
                        f"{self.stderr[-3000:]}", pytrace=False)
        return self.records[case]

    def request(self, case: tuple[str, str, str, str]) -> bytes:
        record = self.record(case)
        assert record.get("request_file"), f"no request saved: {record}"
        return (self.out / record["request_file"]).read_bytes()

    def reply(self, case: tuple[str, str, str, str]) -> bytes:
        record = self.record(case)
        assert record.get("response_file"), f"no reply saved: {record}"
        return (self.out / record["response_file"]).read_bytes()


@pytest.fixture(scope="module")
def node_run(node_soap, base_url, pki, tmp_path_factory) -> NodeRun:  # type: ignore[no-untyped-def]
    node, script = node_soap
    files = pki.party(SCHOOL)
    out = tmp_path_factory.mktemp("node-soap")
    command = [node, script, "--base-url", base_url, "--cert", str(files.cert), "--key", str(files.key),
               "--chain", str(files.chain), "--ca", str(pki.trust_bundle), "--oin", files.oin, "--out", str(out)]
    for number in range(BSN_COUNT):
        command += ["--bsn", valid_bsn(BSN_SEED + number)]
    env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, env=env)
    records = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            records[(record["service"], record["operation"], record["profile"], record["variant"])] = record
    (out / "results.jsonl").write_text(done.stdout)
    return NodeRun(records, out, done.stderr, done.returncode)


def test_the_node_run_completes(node_run: NodeRun) -> None:
    assert node_run.returncode == 0, node_run.stderr[-3000:]
    wsdl_errors = [r for r in node_run.records.values() if r["operation"] == "wsdl"]
    assert not wsdl_errors, wsdl_errors
    assert set(node_run.records) == set(CASES)


@pytest.fixture(scope="module")
def served_actions(base_url, school_session) -> dict[tuple[str, str], tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(service, profile) -> {operation: (input wsam:Action, output wsam:Action)} from the served WSDL."""
    actions: dict[Any, Any] = {}
    for service in (SBB[0], DUO[0]):
        for profile in ("2W-be", "2W-be-S"):
            reply = school_session.get(f"{base_url}/{service}/{profile}?wsdl", timeout=30)
            reply.raise_for_status()
            root = etree.fromstring(reply.content)
            table = {}
            for operation in root.iterfind(f"{{{WSDL}}}portType/{{{WSDL}}}operation"):
                table[operation.get("name")] = tuple(
                    operation.find(f"{{{WSDL}}}{part}").get(f"{{{WSAM}}}Action") for part in ("input", "output"))
            actions[(service, profile)] = table
    return actions


def _parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _header(root: etree._Element, namespace: str, name: str) -> etree._Element | None:
    return root.find(f"{{{SOAP}}}Header/{{{namespace}}}{name}")


def _text(element: etree._Element | None) -> str | None:
    return None if element is None else (element.text or "").strip()


def _element_id(element: etree._Element) -> str | None:
    for key, value in element.attrib.items():
        if key.rsplit("}", 1)[-1] == "Id":
            return str(value)
    return None


def _signature_value(message: bytes) -> str:
    value = _parse(message).find(f".//{{{DS}}}SignatureValue")
    assert value is not None, "no ds:SignatureValue"
    return "".join((value.text or "").split())


def _fault(root: etree._Element) -> etree._Element | None:
    return root.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_request_as_node_soap_sent_it(case, node_run: NodeRun, served_actions, base_url, pki) -> None:  # type: ignore[no-untyped-def]
    """What node-soap put on the wire: WS-A headers with the WSDL's wsam:Action, and in 2W-be-S a
    signature of the WUS shape over Body, Timestamp and every WS-A header."""
    service, operation, profile, variant = case
    root = _parse(node_run.request(case))
    assert _text(_header(root, WSA, "To")) == f"{base_url}/{service}/{profile}"
    assert _text(_header(root, WSA, "Action")) == served_actions[(service, profile)][operation][0]
    assert (_text(_header(root, WSA, "MessageID")) or "").startswith("urn:uuid:")
    address = root.find(f"{{{SOAP}}}Header/{{{WSA}}}From/{{{WSA}}}Address")
    if operation in STATE_CHANGING or variant == "from-on-query":
        assert _text(address) == f"{WSA}/anonymous?oin={pki.party(SCHOOL).oin}"
    else:
        assert address is None  # pure queries go without wsa:From
    security = _header(root, WSSE, "Security")
    if profile == "2W-be":
        assert security is None
        return
    assert security is not None
    signed_info = security.find(f"{{{DS}}}Signature/{{{DS}}}SignedInfo")
    assert signed_info is not None
    assert signed_info.find(f"{{{DS}}}CanonicalizationMethod").get("Algorithm") == EXC_C14N
    assert signed_info.find(f"{{{DS}}}SignatureMethod").get("Algorithm") == RSA_SHA256
    references = signed_info.findall(f"{{{DS}}}Reference")
    digests = {r.find(f"{{{DS}}}DigestMethod").get("Algorithm") for r in references}
    assert SHA1 in digests if variant == "sha1-digest" else digests == {SHA256}
    uris = {r.get("URI") for r in references}
    timestamp = security.find(f"{{{WSU}}}Timestamp")
    assert (timestamp is None) is (variant == "no-timestamp")
    parts = [root.find(f"{{{SOAP}}}Body"), *([] if timestamp is None else [timestamp])]
    parts += [h for h in root.find(f"{{{SOAP}}}Header") if etree.QName(h).namespace == WSA]
    unsigned = [etree.QName(p).localname for p in parts if f"#{_element_id(p)}" not in uris]
    assert unsigned == (["To"] if variant == "to-unsigned" else [])
    if variant == "wsu-id":
        assert all(f"{{{WSU}}}Id" in part.attrib for part in parts)
    elif variant in ("plain", "minimal-options"):  # node-soap's default: a plain Id attribute
        assert all("Id" in part.attrib for part in parts if part is not timestamp)
    token = security.find(f"{{{WSSE}}}BinarySecurityToken")
    assert token is not None and token.get("ValueType") == X509_TOKEN
    reference = security.find(f"{{{DS}}}Signature/{{{DS}}}KeyInfo/{{{WSSE}}}SecurityTokenReference/{{{WSSE}}}Reference")
    assert reference is not None and reference.get("URI") == f"#{_element_id(token)}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_server_answers_node_soap(case, node_run: NodeRun, served_actions) -> None:  # type: ignore[no-untyped-def]
    """Valid requests are answered (RelatesTo, the WSDL's output Action; in 2W-be-S signed with
    SignatureConfirmation, as node checks it with xml-crypto); misconfigured or changed requests
    get the fault that names what is wrong (REFUSED)."""
    service, operation, profile, variant = case
    record = node_run.record(case)
    root = _parse(node_run.reply(case))
    relates_to = _text(_header(root, WSA, "RelatesTo"))
    if variant in REFUSED:
        code = REFUSED[variant]
        assert (record["outcome"], record.get("fault_code")) == ("fault", code), record
        fault = _fault(root)
        assert fault is not None and (fault.findtext("faultcode") or "").endswith("Client")
        assert (fault.findtext("faultstring") or "").startswith(f"{code}: ")
        assert relates_to == _text(_header(_parse(node_run.request(case)), WSA, "MessageID"))
        return
    assert record["outcome"] == "ok", (f"{record.get('fault_code')}: {record.get('faultstring')}"
                                       f" / {record.get('error')}")
    assert _fault(root) is None
    assert relates_to == record["message_id"]
    assert _text(_header(root, WSA, "Action")) == served_actions[(service, profile)][operation][1]
    assert record["result"], record
    if profile == "2W-be":
        assert _header(root, WSSE, "Security") is None
        return
    assert record.get("node_verify", "not verified by node") is None, record.get("node_verify")
    confirmations = root.findall(f"{{{SOAP}}}Header/{{{WSSE}}}Security/{{{WSSE11}}}SignatureConfirmation")
    assert [c.get("Value") for c in confirmations] == [_signature_value(node_run.request(case))]


@pytest.mark.parametrize("case", SIGNED_CASES, ids=_case_id)
def test_signed_reply_verified_by_xmlsec1(case, node_run: NodeRun, xmlsec1_verify) -> None:  # type: ignore[no-untyped-def]
    verify = xmlsec1_verify
    reply = node_run.reply(case)
    confirms = None if _fault(_parse(reply)) is not None else _signature_value(node_run.request(case))
    assert verify(reply, confirms) is None


_WSS4J: dict[str, dict[tuple[str, str, str, str], str | None]] = {}


@pytest.mark.parametrize("case", SIGNED_CASES, ids=_case_id)
def test_signed_reply_verified_by_wss4j(case, node_run: NodeRun, wss4j_verify) -> None:  # type: ignore[no-untyped-def]
    verify = wss4j_verify
    key = str(node_run.out)
    if key not in _WSS4J:  # one JVM for all replies of the run
        cases = [c for c in SIGNED_CASES if node_run.records.get(c, {}).get("response_file")]
        _WSS4J[key] = dict(zip(cases, verify([node_run.reply(c) for c in cases]), strict=True))
    assert case in _WSS4J[key], "no reply to verify"
    assert _WSS4J[key][case] is None


def test_node_check_of_a_reply_is_not_vacuous(node_soap, node_run: NodeRun, pki, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The node side's own reply check (what test_server_answers_node_soap relies on) refuses a
    reply changed after the server signed it, and a SignatureConfirmation of another request."""
    node, script = node_soap
    case = ("sbb-erkenningen", "OpvragenErkenningen", "2W-be-S", "plain")
    other = ("sbb-erkenningen", "VaststellenLeerbedrijf", "2W-be-S", "plain")
    reply, request = node_run.reply(case), node_run.request(case)
    changed = reply.replace(b"Signaalcode>0<", b"Signaalcode>1<", 1)
    assert changed != reply
    verdicts = []
    for name, (data, sent) in {"same": (reply, request), "changed": (changed, request),
                               "other": (reply, node_run.request(other))}.items():
        (tmp_path / f"{name}.reply.xml").write_bytes(data)
        (tmp_path / f"{name}.request.xml").write_bytes(sent)
        done = subprocess.run([node, script, "--verify", str(tmp_path / f"{name}.reply.xml"), "--request",
                               str(tmp_path / f"{name}.request.xml"), "--ca", str(pki.trust_bundle)],
                              capture_output=True, text=True, timeout=60, check=True)
        verdicts.append(json.loads(done.stdout)["node_verify"])
    assert verdicts[0] is None
    assert verdicts[1] == "signature does not verify (xml-crypto)"
    assert verdicts[2] == "SignatureConfirmation does not hold our SignatureValue"
