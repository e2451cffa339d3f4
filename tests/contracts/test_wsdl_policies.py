"""What every published WSDL declares the server demands, as each port's profile
(:mod:`ketencore.profiles`) says: WS-Addressing where the profile has it (wsa:From for operations
that change data), signing and SignatureConfirmation where it signs and confirms, and the fault
every operation may answer with."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from ketencore import names as ns
from ketencore.contracts import ContractError, ContractSet
from ketencore.envelope import FAULT_ACTION
from ketencore.profiles import PROFILES, Profile
from ketenserver import contracts
from ketenserver.features import FEATURES
from ketenserver.recognitions.delivery import RECEIVER_CONTRACT

WSP = ns.WS_POLICY
SP = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
WSAW = "http://www.w3.org/2006/05/addressing/wsdl"
X = {"wsdl": ns.WSDL, "soap": ns.WSDL_SOAP11, "wsp": WSP, "sp": SP, "wsaw": WSAW, "wsam": ns.WSAM,
     "xs": "http://www.w3.org/2001/XMLSchema"}
WSU_ID = ns.qn(ns.WSU, "Id")
STATE_CHANGING = {feature.key: feature.state_changing for feature in FEATURES} | {
    RECEIVER_CONTRACT: frozenset({"AanbiedenMutatie"})}  # the receiver demands wsa:From of every offer


@pytest.fixture(params=sorted(STATE_CHANGING))
def key(request: pytest.FixtureRequest) -> str:
    chosen: str = request.param
    return chosen


def _root(key: str) -> etree._Element:
    return etree.parse(str(contracts.wsdl_path(key))).getroot()


def _policy(root: etree._Element, reference: etree._Element) -> etree._Element:
    uri = reference.get("URI", "")
    assert uri.startswith("#"), uri
    [policy] = [p for p in root.iterfind("wsp:Policy", X) if p.get(WSU_ID) == uri[1:]]
    return policy


def _policies(root: etree._Element, subject: etree._Element) -> list[etree._Element]:
    return [_policy(root, ref) for ref in subject.iterfind("wsp:PolicyReference", X)]


def _headers(policies: list[etree._Element], assertion: str) -> set[str]:
    found = set()
    for policy in policies:
        for header in policy.iterfind(f".//sp:{assertion}/sp:Header", X):
            assert header.get("Namespace") == ns.WSA
            found.add(header.get("Name", ""))
    return found


def _profiles_by_binding(root: etree._Element, key: str) -> dict[str, Profile]:
    """Each binding's profile: the one of the port that uses it (its soap:address names it)."""
    ports = root.findall("wsdl:service/wsdl:port", X)
    return {port.get("binding", "").split(":")[1]: PROFILES[name]
            for port, name in zip(ports, contracts.profiles(key), strict=True)}


def test_one_binding_and_port_per_profile_each_declaring_what_its_profile_demands(key: str) -> None:
    root = _root(key)
    bindings = {b.get("name"): b for b in root.iterfind("wsdl:binding", X)}
    ports = root.findall("wsdl:service/wsdl:port", X)
    assert len(bindings) == len(ports) == len(contracts.profiles(key))
    for name, profile in _profiles_by_binding(root, key).items():
        binding = bindings[name]
        using = binding.find("wsaw:UsingAddressing", X)
        if profile.addressing:
            assert using is not None and using.get(ns.qn(ns.WSDL, "required")) == "true"
        else:
            assert using is None
        [policy] = _policies(root, binding)
        [alternative] = policy.iterfind("wsp:ExactlyOne/wsp:All", X)
        addressing = alternative.find("wsam:Addressing/wsp:Policy/wsam:AnonymousResponses", X)
        assert (addressing is not None) is profile.addressing
        security = alternative.find("sp:AsymmetricBinding/wsp:Policy", X)
        assert (security is not None) is profile.signed
        if security is not None:
            tokens = {etree.QName(t.getparent().getparent()).localname: t.get(ns.qn(SP, "IncludeToken"), "")
                      for t in security.iterfind("*/wsp:Policy/sp:X509Token", X)}
            assert {role: uri.rsplit("/", 1)[1] for role, uri in tokens.items()} == {
                "InitiatorToken": "AlwaysToRecipient", "RecipientToken": "AlwaysToInitiator"}
            assert security.find("sp:AlgorithmSuite/wsp:Policy/sp:Basic256Sha256", X) is not None
            assert security.find("sp:IncludeTimestamp", X) is not None
            assert security.find("sp:OnlySignEntireHeadersAndBody", X) is not None
            confirmation = alternative.find("sp:Wss11/wsp:Policy/sp:RequireSignatureConfirmation", X)
            assert (confirmation is not None) is profile.confirms_signature


def test_every_operation_states_its_headers_signing_and_fault(key: str) -> None:
    root = _root(key)
    operations = {op.name: op for op in contracts.operations(key)}
    profiles = _profiles_by_binding(root, key)
    addressed = any(profile.addressing for profile in profiles.values())
    for op in root.iterfind("wsdl:portType/wsdl:operation", X):
        fault = op.find("wsdl:fault", X)
        assert fault is not None and fault.get("message") == "tns:KetenFault"
        # what the server sends with a fault; a contract without WS-Addressing declares no actions
        assert fault.get(ns.qn(ns.WSAM, "Action")) == (FAULT_ACTION if addressed else None)
    for binding in root.iterfind("wsdl:binding", X):
        profile = profiles[binding.get("name", "")]
        signed = any(p.find(".//sp:AsymmetricBinding", X) is not None for p in _policies(root, binding))
        assert signed is profile.signed
        assert {op.get("name") for op in binding.iterfind("wsdl:operation", X)} == set(operations)
        for op in binding.iterfind("wsdl:operation", X):
            request = _policies(root, op.find("wsdl:input", X))
            response = _policies(root, op.find("wsdl:output", X))
            fault = op.find("wsdl:fault", X)
            assert fault.find("soap:fault", X).attrib == {"name": "KetenFault", "use": "literal"}
            needed = {"To", "Action", "MessageID"} | ({"From"} if op.get("name") in STATE_CHANGING[key] else set())
            assert _headers(request, "RequiredParts") == (needed if profile.addressing else set())  # WA001
            assert _headers(response, "RequiredParts") == (
                {"Action", "MessageID", "RelatesTo"} if profile.addressing else set())
            for message in (request, response, _policies(root, fault)):
                signed_parts = [p for p in message if p.find(".//sp:SignedParts", X) is not None]
                assert bool(signed_parts) is signed
                if signed:
                    assert _headers(signed_parts, "SignedParts") == (
                        set(ns.WSA_HEADERS) if profile.addressing else set())  # WB004
                    assert signed_parts[0].find(".//sp:SignedParts/sp:Body", X) is not None


def test_the_fault_message_is_the_detail_the_server_writes(key: str) -> None:
    root = _root(key)
    [message] = root.iterfind("wsdl:message[@name='KetenFault']", X)
    [part] = message.iterfind("wsdl:part", X)
    prefix, _, local = part.get("element", "").partition(":")
    assert (root.nsmap[prefix], local) == (ns.FAULT, "FaultDetail")
    assert "only when the Body caused the fault" in (message.findtext("wsdl:documentation", namespaces=X) or "")
    imports = {i.get("namespace"): i.get("schemaLocation") for i in root.iterfind("wsdl:types/xs:schema/xs:import", X)}
    assert imports[ns.FAULT] == "../xsd/fault.xsd"


def _edited(tmp_path: Path, key: str, old: str, new: str) -> ContractSet:
    """A ContractSet holding ``key``'s WSDL with its first ``old`` replaced by ``new``."""
    text = contracts.wsdl_path(key).read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "wsdl").mkdir()
    (tmp_path / "wsdl" / f"{key}.wsdl").write_text(text.replace(old, new, 1), encoding="utf-8")
    return ContractSet(tmp_path)


def test_a_ws_addressing_contract_must_declare_each_action(tmp_path: Path) -> None:
    edited = _edited(tmp_path, "sbb-erkenningen", 'wsam:Action="urn:ketenserver:sbb:whitelabel:erkenningen:2.1:',
                     'data-x="')
    with pytest.raises(ContractError, match="wsam:Action missing"):
        edited.operations("sbb-erkenningen")


def test_a_contract_without_ws_addressing_declares_no_action(tmp_path: Path) -> None:
    """zeep (and JAX-WS) write wsa: headers for a declared wsam:Action, which MAGDA refuses (0010)."""
    edited = _edited(tmp_path, "werkplekduaal", '<wsdl:input message="tns:GeefTakenRequest"/>',
                     f'<wsdl:input xmlns:wsam="{ns.WSAM}" message="tns:GeefTakenRequest" wsam:Action="urn:x"/>')
    with pytest.raises(ContractError, match="without WS-Addressing"):
        edited.operations("werkplekduaal")
    operations = {op.name: op for op in contracts.operations("werkplekduaal")}
    assert operations["GeefTaken"].action == operations["GeefTaken"].soap_action
