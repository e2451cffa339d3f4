"""The Java vendor's stack: JAX-WS RI (wsimport, default options) + WSS4J, against the real server.

Built at test time in a temporary directory: ``wsimport`` on the served WSDL of each endpoint
(over mutual TLS, the JVM given the school's key and the trust bundle), the Java sources of
tests/interop/java compiled with ``javac``. One JVM then runs every call of the scenario below:
the generated service and port (the only port of the served WSDL), WS-Addressing from the WSDL's
wsam:Addressing policy or ``AddressingFeature(true, true)``, ``wsa:From`` with the school's OIN
as an outbound header, mutual TLS through JAX-WS RI's SSLSocketFactory property, and in 2W-be-S a
SOAPHandler running WSS4J (X.509 BinarySecurityToken by direct reference, RSA-SHA256, SHA-256,
WSS4J's exclusive c14n with InclusiveNamespaces, references Body, Timestamp and every WS-A
header). A later handler tampers with one signed Body text where the scenario asks for it.

Each signed reply is verified twice independently: by WSS4J (``wss4j_verify``) and by ``xmlsec1``
(``xmlsec1_verify``); and it must confirm the request's SignatureValue and relate to its MessageID.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from ketenserver.recognitions.domain import dutch_date
from ketenserver.testing import valid_bsn

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSSE11 = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

PROFILES = ("2W-be", "2W-be-S")
SERVICES = ("sbb-erkenningen", "duo-verzuimloket")
PARTY = "school-25LX"
BSN_SEED = 4_700_000  # this stack's students: valid_bsn(4_700_000 + i), clear of the node stack's 4_200_000

TODAY = dutch_date(dt.datetime.now(dt.UTC))
SCHOOL_YEAR = f"{TODAY.year - 1}-{TODAY.year}" if TODAY.month < 8 else f"{TODAY.year}-{TODAY.year + 1}"
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


@dataclass
class Call:
    id: str
    service: str
    profile: str
    operation: str
    input: dict[str, Any]
    expect: dict[str, Any]  # outcome, fault_code, or result values (element name -> value)
    tamper: bool = False
    why: str = ""
    needs: list[str] = field(default_factory=list)


def _verzuimmelding(bsn: str) -> dict[str, Any]:
    """A valid report (as tests/golden/duo-verzuimloket/IndienenVerzuimmelding.request.xml)."""
    return {
        "Leerling": {"Bsn": bsn, "Voornamen": "Daan", "Achternaam": "Visser",
                     "Geboortedatum": dt.date(TODAY.year - 15, 1, 15).isoformat(),
                     "Woonadres": {"Straat": "Oudegracht", "Huisnummer": 12, "Postcode": "3511 AB",
                                   "Plaats": "Utrecht"}},
        "School": {"Brin": "25LX", "Vestigingsnummer": "01"},
        "Schooljaar": SCHOOL_YEAR, "Niveau": "MBO niveau 2", "Leerweg": "BOL", "Voltijd": True,
        "Verzuimsoort": "DRIE_DAGEN",
        "Periode": {"Begindatum": (TODAY - dt.timedelta(days=7)).isoformat(),
                    "Einddatum": (TODAY - dt.timedelta(days=3)).isoformat()},
        "VermoedelijkeReden": "Spijbelen",
        "Melder": {"Email": "verzuim@rocdemonoord.example", "Rol": "Verzuimco\u00f6rdinator",
                   "Contactpersoon": "J. de Groot"},
        "AlleLessenVerzuimd": False,
        "Bijlagen": {"Bijlage": [{"Bestandsnaam": "brief.pdf", "Inhoud": base64.b64encode(PDF).decode()}]},
    }


def _scenario() -> list[Call]:
    calls: list[Call] = []
    students = iter(range(BSN_SEED, BSN_SEED + 100))
    for profile in PROFILES:
        p = profile
        calls += [
            Call(f"sbb-{p}-VaststellenLeerbedrijf", "sbb-erkenningen", p, "VaststellenLeerbedrijf",
                 {"Naam": "Bakkerij De Vries", "Postcode": "1012 AB"}, {"outcome": "ok", "Signaalcode": 0}),
            Call(f"sbb-{p}-OpvragenErkenningen", "sbb-erkenningen", p, "OpvragenErkenningen",
                 {"Crebo": "25180", "Land": "NL", "PaginaGrootte": 1}, {"outcome": "ok", "Signaalcode": 0}),
            Call(f"sbb-{p}-RegistrerenBpvOvereenkomst", "sbb-erkenningen", p, "RegistrerenBpvOvereenkomst",
                 {"Studentnummer": f"JAVA-{p}", "LeerbedrijfId": f"${{sbb-{p}-OpvragenErkenningen:LeerbedrijfId}}",
                  "Crebo": "25180", "Begindatum": TODAY.isoformat(),
                  "GeplandeEinddatum": (TODAY + dt.timedelta(days=180)).isoformat(), "Leerweg": "BOL"},
                 {"outcome": "ok", "Signaalcode": 0}, needs=[f"sbb-{p}-OpvragenErkenningen"]),
            Call(f"duo-{p}-IndienenVerzuimmelding", "duo-verzuimloket", p, "IndienenVerzuimmelding",
                 _verzuimmelding(valid_bsn(next(students))), {"outcome": "ok", "Status": "Geregistreerd"}),
            Call(f"duo-{p}-OpvragenVerzuimmelding", "duo-verzuimloket", p, "OpvragenVerzuimmelding",
                 {"Meldingnummer": f"${{duo-{p}-IndienenVerzuimmelding:Meldingnummer}}"}, {"outcome": "ok"},
                 needs=[f"duo-{p}-IndienenVerzuimmelding"]),
            Call(f"duo-{p}-SynchroniserenVerzuimmeldingen", "duo-verzuimloket", p,
                 "SynchroniserenVerzuimmeldingen", {"Cursor": 0, "PaginaGrootte": 5}, {"outcome": "ok"}),
            # Business faults: their kf:FaultDetail maps to wsimport's exception for the wsdl:fault.
            Call(f"sbb-{p}-RegistrerenBpvOvereenkomst-fault", "sbb-erkenningen", p, "RegistrerenBpvOvereenkomst",
                 {"Studentnummer": f"JAVA-{p}", "LeerbedrijfId": "199999999", "Crebo": "25180",
                  "Begindatum": TODAY.isoformat(), "GeplandeEinddatum": (TODAY + dt.timedelta(days=180)).isoformat(),
                  "Leerweg": "BOL"},
                 {"outcome": "fault", "fault_code": "SBB-1001"}, why="unknown leerbedrijf-id"),
            Call(f"duo-{p}-IndienenVerzuimmelding-fault", "duo-verzuimloket", p, "IndienenVerzuimmelding",
                 _verzuimmelding("123456789"), {"outcome": "fault", "fault_code": "VZL-1001"},
                 why="BSN failing the 11-test"),
        ]
    calls += [
        Call("sbb-2W-be-S-VaststellenLeerbedrijf-tampered", "sbb-erkenningen", "2W-be-S", "VaststellenLeerbedrijf",
             {"Naam": "Bakkerij De Vries", "Postcode": "1012 AB"}, {"outcome": "fault", "fault_code": "0111"},
             tamper=True, why="a signed Body text changed after WSS4J signed"),
        Call("duo-2W-be-S-IndienenVerzuimmelding-tampered", "duo-verzuimloket", "2W-be-S", "IndienenVerzuimmelding",
             _verzuimmelding(valid_bsn(next(students))), {"outcome": "fault", "fault_code": "0111"},
             tamper=True, why="the signed Bsn changed after WSS4J signed"),
    ]
    return calls


CALLS = _scenario()
SIGNED = [c for c in CALLS if c.profile == "2W-be-S"]


@dataclass
class JavaRun:
    wsimport: dict[str, str | None]  # endpoint -> None or why wsimport failed
    endpoints: dict[str, dict[str, Any]]  # endpoint -> what the client opened (SEI, addressing) or error
    results: dict[str, dict[str, Any]]  # call id -> the JSON line of the Java client
    stderr: str


def _wsimport(java_tools: Any, url: str, target: Path, jvm: str) -> str | None:
    target.mkdir(parents=True)
    env = dict(os.environ, WSIMPORT_OPTS=jvm)
    # Default options: wrapper style, no binding customisation; -d only says where the classes go.
    done = subprocess.run(["wsimport", "-d", str(target), url], capture_output=True, text=True, timeout=600,
                          env=env, check=False)
    if done.returncode != 0 or not any(target.rglob("*.class")):
        return f"wsimport exited {done.returncode}: {(done.stdout + done.stderr).strip()[-2000:]}"
    return None


@pytest.fixture(scope="module")
def java_run(java_tools: Any, pki: Any, base_url: str, tmp_path_factory: pytest.TempPathFactory) -> JavaRun:
    work = tmp_path_factory.mktemp("java-wss4j")
    party = pki.party(PARTY)
    keystore, truststore = work / "client.p12", work / "trust.p12"
    done = subprocess.run(java_tools.command("Pem", str(party.key), str(party.chain), str(pki.trust_bundle),
                                             str(keystore), str(truststore)),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    # wsimport fetches the WSDL and its /xsd/ schemas over mutual TLS: its JVM gets the stores.
    jvm = (f"-Djavax.net.ssl.keyStore={keystore} -Djavax.net.ssl.keyStoreType=PKCS12 "
           f"-Djavax.net.ssl.keyStorePassword=changeit -Djavax.net.ssl.trustStore={truststore} "
           "-Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=changeit")
    endpoints = [f"{service}/{profile}" for service in SERVICES for profile in PROFILES]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {e: pool.submit(_wsimport, java_tools, f"{base_url}/{e}?wsdl", work / "gen" / e.replace("/", "_"),
                                  jvm) for e in endpoints}
        wsimport = {e: f.result() for e, f in futures.items()}
    scenario = {
        "key": str(party.key), "chain": str(party.chain), "trust": str(pki.trust_bundle), "oin": party.oin,
        "out": str(work / "messages"),
        "services": [{"service": e.split("/")[0], "profile": e.split("/")[1], "wsdl": f"{base_url}/{e}?wsdl",
                      "classes": str(work / "gen" / e.replace("/", "_")), "signed": e.endswith("-S")}
                     for e in endpoints if wsimport[e] is None],
        "calls": [{"id": c.id, "service": c.service, "profile": c.profile, "operation": c.operation,
                   "input": c.input, "tamper": c.tamper} for c in CALLS],
    }
    (work / "scenario.json").write_text(json.dumps(scenario, indent=1))
    done = subprocess.run(java_tools.command("Client", str(work / "scenario.json")),
                          capture_output=True, text=True, timeout=600, check=False)
    (work / "client.stdout.jsonl").write_text(done.stdout)  # kept for diagnosis, with the messages
    (work / "client.stderr.txt").write_text(done.stderr)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, f"the Java client crashed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return JavaRun(wsimport=wsimport,
                   endpoints={line["endpoint"]: line for line in lines if line["kind"] == "endpoint"},
                   results={line["id"]: line for line in lines if line["kind"] == "call"}, stderr=done.stderr)


@pytest.fixture(scope="module")
def wss4j_verdicts(java_run: JavaRun, wss4j_verify: Any) -> dict[str, str | None]:
    """WSS4J's verdict on every signed reply the Java client received, in one JVM."""
    ids = [c.id for c in SIGNED if java_run.results.get(c.id, {}).get("reply")]
    verdicts = wss4j_verify([Path(java_run.results[i]["reply"]).read_bytes() for i in ids])
    return dict(zip(ids, verdicts, strict=True))


def _result(java_run: JavaRun, call: Call) -> dict[str, Any]:
    endpoint = f"{call.service}/{call.profile}"
    if java_run.wsimport[endpoint] is not None:
        pytest.fail(f"wsimport of {endpoint} failed: {java_run.wsimport[endpoint]}", pytrace=False)
    opened = java_run.endpoints.get(endpoint, {})
    if "error" in opened:
        pytest.fail(f"the Java client could not open {endpoint}: {opened['error']}", pytrace=False)
    return java_run.results[call.id]


def _root(path: str) -> Any:
    return etree.fromstring(Path(path).read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True))


def _header(root: Any, ns: str, name: str) -> Any:
    return root.find(f"{{{SOAP}}}Header/{{{ns}}}{name}")


@pytest.mark.parametrize("endpoint", [f"{s}/{p}" for s in SERVICES for p in PROFILES])
def test_wsimport_with_default_options(java_run: JavaRun, endpoint: str) -> None:
    """wsimport (default options: wrapper style) accepts the served WSDL, and JAX-WS RI opens its
    only port with WS-Addressing on."""
    assert java_run.wsimport[endpoint] is None, java_run.wsimport[endpoint]
    opened = java_run.endpoints[endpoint]
    assert "error" not in opened, opened.get("error")
    assert opened["addressing"] in ("wsdl", "AddressingFeature(true, true)")


@pytest.mark.parametrize("call", CALLS, ids=[c.id for c in CALLS])
def test_call(java_run: JavaRun, call: Call) -> None:
    """The call's outcome as JAX-WS RI saw it, and the reply's WS-Addressing."""
    result = _result(java_run, call)
    for need in call.needs:
        assert java_run.results[need]["outcome"] == "ok", f"depends on {need}, which failed: {java_run.results[need]}"
    summary = {k: result.get(k) for k in ("outcome", "fault_code", "faultstring", "error", "tampered")}
    assert result["outcome"] == call.expect["outcome"], summary
    if "fault_code" in call.expect:
        assert result["fault_code"] == call.expect["fault_code"], summary
    for name, value in call.expect.items():
        if name not in ("outcome", "fault_code"):
            assert result["result"][name] == value, result["result"]
    if call.tamper:
        assert result.get("tampered"), "the tamper handler changed nothing"
    elif call.expect["outcome"] == "fault":
        # The Body caused it: kf:FaultDetail in the detail, which JAX-WS maps to wsimport's
        # exception class for the operation's wsdl:fault (not a bare SOAPFaultException).
        assert result.get("fault_class"), f"JAX-WS did not map the fault detail to a wsdl:fault: {summary}"
        assert result["fault_detail"].get("Code") == call.expect["fault_code"], result["fault_detail"]
    # WA001 on the reply: Action, MessageID, RelatesTo = the request's MessageID.
    request, reply = _root(result["request"]), _root(result["reply"])
    message_id = _header(request, WSA, "MessageID")
    assert message_id is not None and message_id.text
    relates_to = _header(reply, WSA, "RelatesTo")
    assert relates_to is not None and relates_to.text == message_id.text
    assert _header(reply, WSA, "Action") is not None and _header(reply, WSA, "MessageID") is not None
    if call.profile == "2W-be-S":
        # WSS4J's default exclusive c14n: InclusiveNamespaces inside SignedInfo's
        # CanonicalizationMethod too (the shape the server must accept).
        c14n = request.find(f"{{{SOAP}}}Header/{{{WSSE}}}Security/{{{DS}}}Signature/{{{DS}}}SignedInfo/"
                            f"{{{DS}}}CanonicalizationMethod")
        assert c14n is not None and c14n.find(f"{{{EXC_C14N}}}InclusiveNamespaces") is not None
        signed = set(result["signed_parts"])
        present = {e.tag.split("}")[1] for e in request.find(f"{{{SOAP}}}Header") if e.tag.startswith(f"{{{WSA}}}")}
        assert {"Body", "Timestamp", "To", "From", "Action", "MessageID"} <= signed and present <= signed


@pytest.mark.parametrize("call", SIGNED, ids=[c.id for c in SIGNED])
def test_signed_reply(java_run: JavaRun, wss4j_verdicts: dict[str, str | None], xmlsec1_verify: Any,
                      call: Call) -> None:
    """Every reply in 2W-be-S, faults included, is signed by the server: WSS4J and xmlsec1 verify
    it, and (for an accepted request) it confirms the request's SignatureValue (WB014)."""
    result = _result(java_run, call)
    assert result.get("reply"), f"no reply captured: {result}"
    assert wss4j_verdicts[call.id] is None, f"WSS4J: {wss4j_verdicts[call.id]}"
    reply = _root(result["reply"])
    confirmations = [c.get("Value") for c in reply.iter(f"{{{WSSE11}}}SignatureConfirmation")]
    if not call.tamper:
        assert confirmations == [result["signature_value"]]
    confirms = None if call.tamper else result["signature_value"]
    assert xmlsec1_verify(Path(result["reply"]).read_bytes(), confirms) is None


def test_wss4j_verify_refuses_a_changed_reply(java_run: JavaRun, wss4j_verify: Any) -> None:
    """The verifier other stacks rely on says no: a reply with one signed Body text changed, and an
    unsigned reply."""
    signed = java_run.results["sbb-2W-be-S-VaststellenLeerbedrijf"]
    plain = java_run.results["sbb-2W-be-VaststellenLeerbedrijf"]
    if "reply" not in signed or "reply" not in plain:
        pytest.fail("no replies to change (see test_call)", pytrace=False)
    original = Path(signed["reply"]).read_bytes()
    changed = original.replace(b">Erkend leerbedrijf gevonden.<", b">Erkend leerbedrijf gevonden!<")
    assert changed != original
    good, bad, unsigned = wss4j_verify([original, changed, Path(plain["reply"]).read_bytes()])
    assert good is None
    assert bad is not None and "invalid" in bad
    assert unsigned == "no wsse:Security header"
