"""The published contracts (``wsdl/`` and ``xsd/``), found in one way and loaded once.

The WSDL and XSD files are the truth both sides are measured against: the server's pipeline
validates messages with :meth:`ContractSet.schema_for`, its app factory reads operations and
actions with :meth:`ContractSet.operations`, a school's receiver validates what SBB pushes, and
contract tests compare all of them with the spyne services.

A published WSDL describes every profile of its service: one portType, and per profile a binding
(with the WS-Policy that profile demands) and a port whose soap:address ends in ``/<profile>``.
An endpoint serves it reduced to its own profile (:func:`published_wsdl`), so that a client
generator meets exactly one port.

Where the files are: a :class:`ContractSet` is one directory holding ``wsdl/`` and ``xsd/``; a
package ships its own as package data (``ketenserver/contract_files``, ``ketenclient/contract_files``) and
finds it with :mod:`importlib.resources`, never relative to the working directory. Schemas are
parsed with a hardened parser: no network, no DTD, no entity expansion, and
``xs:import``/``xs:include`` may only load files inside the set's ``wsdl/`` and ``xsd/``. Loaded
schemas and operations are cached for the life of the set.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlparse

from lxml import etree

from ketencore import names as ns

_W = {"wsdl": ns.WSDL, "soap": ns.WSDL_SOAP11, "wsp": ns.WS_POLICY}

_KEY = re.compile(r"[a-z0-9][a-z0-9-]*")


class ContractError(Exception):
    """A contract file is missing, outside the contracts directory, or not what it should be."""


def _checked_name(name: str) -> str:
    if not _KEY.fullmatch(name):
        raise ContractError(f"not a contract name: {name!r} (lower-case letters, digits and '-')")
    return name


_Resolver: Any = etree.Resolver  # lxml-stubs lack resolve()'s context argument and resolve_filename


class _ContractsOnly(_Resolver):
    """Let schema imports load local files inside the contract directories, and nothing else."""

    def __init__(self, roots: tuple[Path, ...]) -> None:
        super().__init__()
        self._roots = roots

    def resolve(self, system_url: str, public_id: str | None, context: Any) -> Any:
        parsed = urlparse(system_url)
        if parsed.scheme not in ("", "file"):
            raise ContractError(f"contract import refused, not a local file: {system_url}")
        path = Path(unquote(parsed.path)).resolve()
        if not any(path.is_relative_to(root) for root in self._roots):
            raise ContractError(f"contract import refused, outside the contracts: {system_url}")
        return self.resolve_filename(str(path), context)


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
    """The input's ``wsam:Action``: the wsa:Action a request must carry (WS008). A contract
    without WS-Addressing (profile MAGDA) declares none: then the binding's ``soapAction``."""
    output_action: str
    """The output's ``wsam:Action``: the wsa:Action of the response (without WS-Addressing: the
    soapAction followed by ``Response``, never written)."""
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


_WSAW = "http://www.w3.org/2006/05/addressing/wsdl"


def _action(message: etree._Element, addressed: bool, otherwise: str) -> str:
    """A message's ``wsam:Action``: required with WS-Addressing, refused without it."""
    declared: str | None = message.get(ns.qn(ns.WSAM, "Action"))
    if addressed and declared is None:
        raise ContractError(f"line {message.sourceline}: wsam:Action missing on wsdl:{etree.QName(message).localname} "
                            "in a contract with WS-Addressing (WS008)")
    if addressed:
        return str(declared)
    if declared is not None:
        raise ContractError(f"line {message.sourceline}: wsam:Action in a contract without WS-Addressing: "
                            "clients would write wsa: headers that its profile refuses")
    return otherwise


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


def _profile_of(port: etree._Element) -> str:
    """The profile a published port serves: the last path segment of its soap:address."""
    address = port.find("soap:address", _W)
    if address is None:
        raise ContractError(f"line {port.sourceline}: port {port.get('name')} has no soap:address")
    return urlparse(_required(address, "location")).path.rstrip("/").rpartition("/")[2]


_SERVED_ADDRESS = "urn:ketenserver:served-address"

class ContractSet:
    """The contracts under one directory: ``wsdl/<key>.wsdl`` and ``xsd/<name>.xsd``.

    Either may be missing (a client ships only the schemas it validates against); asking for a
    file that is not there is a :class:`ContractError` naming the path."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        # resolved, so that a symlinked wsdl/ or xsd/ (the package data points at the repository's
        # top-level directories) still confines imports to the contract files themselves
        self._roots = tuple(d.resolve() for d in (self.root / "wsdl", self.root / "xsd") if d.is_dir())
        self._schemas: dict[str, etree.XMLSchema] = {}
        # cached per set (a method-level functools.cache would be one cache for every set)
        self.operations = functools.cache(self.operations)  # type: ignore[method-assign]
        self.profiles = functools.cache(self.profiles)  # type: ignore[method-assign]
        self._served = functools.cache(self._served)  # type: ignore[method-assign]

    def __repr__(self) -> str:
        return f"ContractSet({str(self.root)!r})"

    def wsdl_path(self, key: str) -> Path:
        """``wsdl/<key>.wsdl`` of a service, e.g. ``wsdl_path("sbb-erkenningen")``."""
        path = self.root / "wsdl" / f"{_checked_name(key)}.wsdl"
        if not path.is_file():
            raise ContractError(f"no WSDL for {key!r}: {path} does not exist")
        return path

    def xsd_path(self, name: str) -> Path:
        """``xsd/<name>.xsd``; *name* is the file stem (``"common"``), a trailing ``.xsd`` is allowed."""
        stem = name[:-4] if name.endswith(".xsd") else name
        path = self.root / "xsd" / f"{_checked_name(stem)}.xsd"
        if not path.is_file():
            raise ContractError(f"no schema {name!r}: {path} does not exist")
        return path

    def wsdl_names(self) -> tuple[str, ...]:
        """The stems of every WSDL in the set, sorted."""
        return tuple(sorted(path.stem for path in (self.root / "wsdl").glob("*.wsdl")))

    def _parse(self, path: Path) -> etree._ElementTree:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
        )
        parser.resolvers.add(_ContractsOnly(self._roots))
        tree = etree.parse(str(path), parser)
        if cast(Any, tree.docinfo).doctype:  # lxml-stubs lack DocInfo.doctype
            raise ContractError(f"{path}: a DOCTYPE is not allowed in a contract")
        return tree

    def schema_for(self, key: str) -> etree.XMLSchema:
        """The compiled ``xsd/<key>.xsd`` with everything it imports (compiled once per set)."""
        schema = self._schemas.get(key)
        if schema is None:
            path = self.xsd_path(key)
            try:
                schema = etree.XMLSchema(self._parse(path))
            except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as error:
                raise ContractError(f"{path}: not a usable schema: {error}") from error
            self._schemas[key] = schema
        return schema

    def fault_schema(self) -> etree.XMLSchema:
        """The schema of ``fault:FaultDetail``, the detail of every fault a WUS side writes."""
        return self.schema_for("fault")

    def operations(self, key: str) -> tuple[WsdlOperation, ...]:
        """Every operation of ``wsdl/<key>.wsdl``, in document order (one portType; its bindings, one
        per profile, agree on every operation)."""
        path = self.wsdl_path(key)
        root = self._parse(path).getroot()
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

        # A contract whose bindings use WS-Addressing declares each operation's wsam:Action (WS008);
        # one without (profile MAGDA) declares none, or zeep and others write wsa: headers for it.
        addressed = root.find(f".//{{{_WSAW}}}UsingAddressing") is not None
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
                    action=_action(io["input"], addressed, soap_actions[name]),
                    output_action=_action(io["output"], addressed, soap_actions[name] + "Response"),
                    soap_action=soap_actions[name],
                )
            )
        return tuple(found)

    def profiles(self, key: str) -> tuple[str, ...]:
        """The profiles ``wsdl/<key>.wsdl`` publishes a port for (``("2W-be-S", "2W-be")``), in order.

        A published WSDL holds one binding and one port per profile; a port's soap:address ends in
        ``/<profile>``, which is how the server tells the ports apart."""
        path = self.wsdl_path(key)
        found = tuple(_profile_of(port) for port in self._parse(path).getroot().iterfind("wsdl:service/wsdl:port", _W))
        if len(set(found)) != len(found):
            raise ContractError(f"{path}: two ports for one profile: {', '.join(found)}")
        return found


    def _served(self, key: str, profile: str) -> bytes:
        tree = self._parse(self.wsdl_path(key))
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
        referenced = {ref.get("URI", "").removeprefix("#") for ref in root.iter(f"{{{ns.WS_POLICY}}}PolicyReference")}
        for policy in root.findall("wsp:Policy", _W):
            if policy.get(ns.qn(ns.WSU, "Id")) not in referenced:
                root.remove(policy)
        _child(kept, "soap:address").set("location", _SERVED_ADDRESS)
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")

    def published_wsdl(self, key: str, profile: str, address: str) -> bytes:
        """The WSDL served at ``/<key>/<profile>?wsdl``: the published one with only the port of
        *profile*, its binding and the policies they use, and soap:address set to *address*.

        One port per served copy, so that a client generator (wsimport, svcutil, zeep) has no choice
        to make; ``/wsdl/<key>.wsdl`` serves the file with every profile as it is."""
        escaped = address.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").encode()
        return self._served(key, profile).replace(_SERVED_ADDRESS.encode(), escaped, 1)
