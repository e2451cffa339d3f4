"""The published contracts (``wsdl/`` and ``xsd/``), found in one way and loaded once.

The WSDL and XSD files are the truth the server is measured against: the pipeline validates
messages with :func:`schema_for`, the app factory reads operations and actions with
:func:`operations`, and contract tests compare both with the spyne services. Nothing in the
server locates a contract file relative to the working directory.

A published WSDL describes every profile of its service: one portType, and per profile a binding
(with the WS-Policy that profile demands) and a port whose soap:address ends in ``/<profile>``.
An endpoint serves it reduced to its own profile (:func:`published_wsdl`), so that a client
generator meets exactly one port.

Where the files are: the directory named by ``KETENSERVER_CONTRACTS_DIR``, else the repository
root (``wsdl/`` and ``xsd/`` beside ``src/``). Schemas are parsed with a hardened parser: no
network, no DTD, no entity expansion, and ``xs:import``/``xs:include`` may only load files
inside the contracts directory. Loaded schemas and operations are cached for the life of the
process; changing the environment variable afterwards does not reload them.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlparse

from lxml import etree

from ketenserver import namespaces as ns

ENV_VAR = "KETENSERVER_CONTRACTS_DIR"

WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"
WS_POLICY = "http://www.w3.org/ns/ws-policy"
_W = {"wsdl": WSDL, "soap": WSDL_SOAP11, "wsp": WS_POLICY}

_KEY = re.compile(r"[a-z0-9][a-z0-9-]*")


class ContractError(Exception):
    """A contract file is missing, outside the contracts directory, or not what it should be."""


def contracts_dir() -> Path:
    """The directory holding ``wsdl/`` and ``xsd/``."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        root = Path(configured).expanduser().resolve()
        origin = f"{ENV_VAR}={configured}"
    else:
        root = Path(__file__).resolve().parents[2]
        origin = "the repository root (no " + ENV_VAR + " set)"
    if not (root / "wsdl").is_dir() or not (root / "xsd").is_dir():
        raise ContractError(
            f"no contracts at {root} ({origin}): expected the directories wsdl/ and xsd/; "
            f"set {ENV_VAR} to the directory that holds them"
        )
    return root


def _checked_name(name: str) -> str:
    if not _KEY.fullmatch(name):
        raise ContractError(f"not a contract name: {name!r} (lower-case letters, digits and '-')")
    return name


def wsdl_path(key: str) -> Path:
    """``wsdl/<key>.wsdl`` of a feature, e.g. ``wsdl_path("sbb-erkenningen")``."""
    path = contracts_dir() / "wsdl" / f"{_checked_name(key)}.wsdl"
    if not path.is_file():
        raise ContractError(f"no WSDL for {key!r}: {path} does not exist")
    return path


def xsd_path(name: str) -> Path:
    """``xsd/<name>.xsd``; *name* is the file stem (``"common"``), a trailing ``.xsd`` is allowed."""
    stem = name[:-4] if name.endswith(".xsd") else name
    path = contracts_dir() / "xsd" / f"{_checked_name(stem)}.xsd"
    if not path.is_file():
        raise ContractError(f"no schema {name!r}: {path} does not exist")
    return path


_Resolver: Any = etree.Resolver  # lxml-stubs lack resolve()'s context argument and resolve_filename


class _ContractsOnly(_Resolver):
    """Let schema imports load local files inside the contracts directory, and nothing else."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self._root = root

    def resolve(self, system_url: str, public_id: str | None, context: Any) -> Any:
        parsed = urlparse(system_url)
        if parsed.scheme not in ("", "file"):
            raise ContractError(f"contract import refused, not a local file: {system_url}")
        path = Path(unquote(parsed.path)).resolve()
        if not path.is_relative_to(self._root):
            raise ContractError(f"contract import refused, outside {self._root}: {system_url}")
        return self.resolve_filename(str(path), context)


def _parser(root: Path) -> etree.XMLParser:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    parser.resolvers.add(_ContractsOnly(root))
    return parser


def _parse(path: Path) -> etree._ElementTree:
    tree = etree.parse(str(path), _parser(contracts_dir()))
    if cast(Any, tree.docinfo).doctype:  # lxml-stubs lack DocInfo.doctype
        raise ContractError(f"{path}: a DOCTYPE is not allowed in a contract")
    return tree


@functools.cache
def schema_for(key: str) -> etree.XMLSchema:
    """The compiled ``xsd/<key>.xsd`` with everything it imports."""
    path = xsd_path(key)
    try:
        return etree.XMLSchema(_parse(path))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as error:
        raise ContractError(f"{path}: not a usable schema: {error}") from error


def fault_schema() -> etree.XMLSchema:
    """The schema of ``fault:FaultDetail``, the detail of every fault the server writes."""
    return schema_for("fault")


@dataclass(frozen=True)
class WsdlOperation:
    """One operation of a published WSDL, as the server dispatches and answers it."""

    name: str
    """The operation name (``VaststellenLeerbedrijf``)."""
    input_element: str
    """Clark QName of the request's Body element (``{urn:...}VaststellenLeerbedrijf``)."""
    output_element: str
    """Clark QName of the response's Body element."""
    action: str
    """The input's ``wsam:Action``: the wsa:Action a request must carry (WS008)."""
    output_action: str
    """The output's ``wsam:Action``: the wsa:Action of the response."""
    soap_action: str
    """The binding's ``soapAction``; WS002 wants it equal to :attr:`action`."""


def _qname(element: etree._Element, attribute: str) -> str:
    value: str | None = element.get(attribute)
    if not value:
        raise ContractError(f"line {element.sourceline}: {attribute} missing on {element.tag}")
    prefix, _, local = value.rpartition(":")
    namespace = element.nsmap.get(prefix or None)
    if namespace is None:
        raise ContractError(f"line {element.sourceline}: unknown prefix in {attribute}={value!r}")
    return ns.qn(namespace, local)


def _child(element: etree._Element, path: str) -> etree._Element:
    child = element.find(path, _W)
    if child is None:
        raise ContractError(f"line {element.sourceline}: {path} missing in {element.tag}")
    return child


def _required(element: etree._Element, attribute: str) -> str:
    value: str | None = element.get(attribute)
    if value is None:
        raise ContractError(f"line {element.sourceline}: {attribute} missing on {element.tag}")
    return value


def _soap_actions(path: Path, root: etree._Element) -> dict[str, str]:
    """``soapAction`` by operation name; every binding (one per profile) must say the same."""
    found: dict[str, str] = {}
    bindings = root.findall("wsdl:binding", _W)
    for binding in bindings:
        for op in binding.iterfind("wsdl:operation", _W):
            name = _required(op, "name")
            action = _required(_child(op, "soap:operation"), "soapAction")
            if found.setdefault(name, action) != action:
                raise ContractError(f"{path}: the bindings disagree on the soapAction of {name}")
    for binding in bindings:
        if {_required(op, "name") for op in binding.iterfind("wsdl:operation", _W)} != set(found):
            raise ContractError(f"{path}: binding {binding.get('name')} does not bind every operation")
    return found


@functools.cache
def operations(key: str) -> tuple[WsdlOperation, ...]:
    """Every operation of ``wsdl/<key>.wsdl``, in document order (one portType; its bindings, one
    per profile, agree on every operation)."""
    path = wsdl_path(key)
    root = _parse(path).getroot()
    tns = root.get("targetNamespace", "")
    w = _W

    elements = {
        ns.qn(tns, _required(message, "name")): _qname(_child(message, "wsdl:part"), "element")
        for message in root.iterfind("wsdl:message", w)
    }
    soap_actions = _soap_actions(path, root)
    port_types = root.findall("wsdl:portType", w)
    if len(port_types) != 1:
        raise ContractError(f"{path}: expected exactly one portType, found {len(port_types)}")

    found = []
    for op in port_types[0].iterfind("wsdl:operation", w):
        name = _required(op, "name")
        if op.find("wsdl:input", w) is None or op.find("wsdl:output", w) is None:
            raise ContractError(f"{path}: operation {name} is not request/response (WS003)")
        io = {tag: _child(op, f"wsdl:{tag}") for tag in ("input", "output")}
        if name not in soap_actions:
            raise ContractError(f"{path}: operation {name} has no soap:operation in the binding")
        found.append(
            WsdlOperation(
                name=name,
                input_element=elements[_qname(io["input"], "message")],
                output_element=elements[_qname(io["output"], "message")],
                action=_required(io["input"], ns.qn(ns.WSAM, "Action")),
                output_action=_required(io["output"], ns.qn(ns.WSAM, "Action")),
                soap_action=soap_actions[name],
            )
        )
    return tuple(found)


def _profile_of(port: etree._Element) -> str:
    """The profile a published port serves: the last path segment of its soap:address."""
    address = port.find("soap:address", _W)
    if address is None:
        raise ContractError(f"line {port.sourceline}: port {port.get('name')} has no soap:address")
    return urlparse(_required(address, "location")).path.rstrip("/").rpartition("/")[2]


@functools.cache
def profiles(key: str) -> tuple[str, ...]:
    """The profiles ``wsdl/<key>.wsdl`` publishes a port for (``("2W-be-S", "2W-be")``), in order.

    A published WSDL holds one binding and one port per profile; a port's soap:address ends in
    ``/<profile>``, which is how the server tells the ports apart."""
    path = wsdl_path(key)
    found = tuple(_profile_of(port) for port in _parse(path).getroot().iterfind("wsdl:service/wsdl:port", _W))
    if len(set(found)) != len(found):
        raise ContractError(f"{path}: two ports for one profile: {', '.join(found)}")
    return found


_SERVED_ADDRESS = "urn:ketenserver:served-address"


@functools.cache
def _served(key: str, profile: str) -> bytes:
    tree = _parse(wsdl_path(key))
    root = tree.getroot()
    kept = None
    for service in root.iterfind("wsdl:service", _W):
        for port in service.findall("wsdl:port", _W):
            if _profile_of(port) == profile:
                kept = port
            else:
                service.remove(port)
    if kept is None:
        raise ContractError(f"{key}.wsdl has no port for profile {profile!r}")
    binding_name = _qname(kept, "binding").split("}")[1]
    for binding in root.findall("wsdl:binding", _W):
        if binding.get("name") != binding_name:
            root.remove(binding)
    referenced = {ref.get("URI", "").removeprefix("#") for ref in root.iter(f"{{{WS_POLICY}}}PolicyReference")}
    for policy in root.findall("wsp:Policy", _W):
        if policy.get(ns.qn(ns.WSU, "Id")) not in referenced:
            root.remove(policy)
    _child(kept, "soap:address").set("location", _SERVED_ADDRESS)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def published_wsdl(key: str, profile: str, address: str) -> bytes:
    """The WSDL served at ``/<key>/<profile>?wsdl``: the published one with only the port of
    *profile*, its binding and the policies they use, and soap:address set to *address*.

    One port per served copy, so that a client generator (wsimport, svcutil, zeep) has no choice
    to make; ``/wsdl/<key>.wsdl`` serves the file with every profile as it is."""
    escaped = address.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").encode()
    return _served(key, profile).replace(_SERVED_ADDRESS.encode(), escaped, 1)
