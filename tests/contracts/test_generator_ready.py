"""Every published WSDL, and every copy the server serves, works with client generators' defaults.

* JAX-WS ``wsimport`` (run when installed; with ``CI=true`` its absence fails the test) must
  generate code without options. Its wrapper style turns the children of the request and
  response elements into method parameters, so :func:`wrapper_style_problems` checks the same
  rules in Python everywhere: a request and its response may share a child's name only when both
  map to the same Java type (one in/out parameter), else wsimport stops with "duplicate parameter
  name" (issue finding 2: ``Cursor`` optional in the request, Long, and required in the response,
  long).
* Python's zeep and suds must load each file and find one service with the expected ports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import suds.client
import zeep
from lxml import etree

from ketenclient.base import ZEEP_SETTINGS
from ketencore import names as ns
from ketenserver import contracts
from ketenserver.features import FEATURES

WSIMPORT = Path("/usr/bin/wsimport")
XS = "http://www.w3.org/2001/XMLSchema"
W = {"wsdl": ns.WSDL, "xs": XS}
PUBLISHED = sorted(path.stem for path in (contracts.contracts_dir() / "wsdl").glob("*.wsdl"))
SERVED = [(feature.key, profile.name) for feature in FEATURES for profile in feature.profiles]


def _qname(node: etree._Element, value: str) -> str:
    prefix, _, local = value.rpartition(":")
    return ns.qn(node.nsmap[prefix or None], local)


# Built-in types JAXB maps to a Java primitive when the element is required and not nillable, and
# to its wrapper class (long / Long) otherwise.
PRIMITIVES = frozenset(ns.qn(XS, name) for name in (
    "boolean", "byte", "short", "int", "long", "float", "double", "unsignedByte", "unsignedShort", "unsignedInt",
))


@dataclass(frozen=True)
class Child:
    """One child element of a wrapper: its name and the Java type a generated parameter gets."""

    name: str
    type: str
    """The type as JAXB maps it: a complex type or enumeration by its own name, any other simple
    type by the built-in type it restricts."""
    repeated: bool
    """maxOccurs above 1: a List."""
    boxed: bool | None
    """For a primitive type: optional or nillable (Long, not long); None for other types."""


class Schemas:
    """The global elements and complex types of a WSDL's schemas and everything they import."""

    def __init__(self, wsdl: Path) -> None:
        self.elements: dict[str, etree._Element] = {}
        self.types: dict[str, etree._Element] = {}
        self.simple: dict[str, etree._Element] = {}
        seen: set[Path] = set()
        pending = [(wsdl.parent / i.get("schemaLocation", "")).resolve()
                   for i in etree.parse(str(wsdl)).getroot().iterfind("wsdl:types/xs:schema/xs:import", W)]
        while pending:
            path = pending.pop()
            if path in seen:
                continue
            seen.add(path)
            schema = etree.parse(str(path)).getroot()
            tns = schema.get("targetNamespace", "")
            for node in schema.iterfind("xs:element", W):
                self.elements[ns.qn(tns, node.get("name", ""))] = node
            for node in schema.iterfind("xs:complexType", W):
                self.types[ns.qn(tns, node.get("name", ""))] = node
            for node in schema.iterfind("xs:simpleType", W):
                self.simple[ns.qn(tns, node.get("name", ""))] = node
            pending += [(path.parent / i.get("schemaLocation", "")).resolve()
                        for i in schema.iterfind("xs:import", W) if i.get("schemaLocation")]

    def java_type(self, qname: str) -> str:
        """*qname* as JAXB maps it (see :attr:`Child.type`)."""
        while qname in self.simple:
            restriction = self.simple[qname].find("xs:restriction", W)
            if restriction is None or restriction.find("xs:enumeration", W) is not None:
                return qname  # a list, union or enumeration: a type of its own
            qname = _qname(restriction, restriction.get("base", ""))
        return qname

    def child(self, item: etree._Element) -> Child:
        java = self.java_type(_qname(item, item.get("type", "")))
        optional = item.get("minOccurs", "1") == "0" or item.get("nillable", "false") == "true"
        return Child(item.get("name", ""), java, item.get("maxOccurs", "1") != "1",
                     optional if java in PRIMITIVES else None)

    def wrapper_children(self, element: str) -> tuple[list[Child], list[str]]:
        """The children of a wrapper element, and why it is no wrapper (JAX-WS 2.3 section 2.3.1.2)."""
        node = self.elements.get(element)
        if node is None:
            return [], [f"{element} is not a global element"]
        problems = []
        if node.get("nillable", "false") == "true":
            problems.append(f"{element} is nillable")
        declared = node.find("xs:complexType", W)
        if declared is None:
            declared = self.types.get(_qname(node, node.get("type", "")))
        if declared is None:
            return [], [*problems, f"{element} has no complex type"]
        if declared.find("xs:attribute", W) is not None or declared.find("xs:anyAttribute", W) is not None:
            problems.append(f"{element} has attributes")
        content = [c for c in declared if isinstance(c.tag, str) and etree.QName(c).localname != "annotation"]
        if [etree.QName(c).localname for c in content] not in ([], ["sequence"]):
            problems.append(f"{element}: only an xs:sequence makes a wrapper")
        children = []
        for item in content[0] if content else ():
            if not isinstance(item.tag, str):
                continue
            if etree.QName(item).localname != "element" or item.get("ref"):
                problems.append(f"{element}: {etree.QName(item).localname} in the sequence (elements only)")
                continue
            children.append(self.child(item))
        return children, problems


def _java_name(name: str) -> str:
    """What JAXB makes of an XML name, loosely: case and punctuation do not tell names apart."""
    return "".join(c for c in name.lower() if c.isalnum())


def wrapper_style_problems(wsdl: Path) -> list[str]:
    """Why JAX-WS wrapper style (wsimport's default) cannot map an operation of *wsdl*."""
    root = etree.parse(str(wsdl)).getroot()
    tns = root.get("targetNamespace", "")
    schemas = Schemas(wsdl)
    parts = {ns.qn(tns, m.get("name", "")): m.findall("wsdl:part", W) for m in root.iterfind("wsdl:message", W)}
    problems = []
    for op in root.iterfind("wsdl:portType/wsdl:operation", W):
        name = op.get("name", "")
        sides: dict[str, list[Child]] = {}
        for side in ("input", "output"):
            io = op.find(f"wsdl:{side}", W)
            if io is None:
                problems.append(f"{name}: no {side}")
                continue
            found = parts[_qname(io, io.get("message", ""))]
            if len(found) != 1 or not found[0].get("element"):
                problems.append(f"{name}: the {side} message must have one part naming an element")
                continue
            element = _qname(found[0], found[0].get("element", ""))
            if side == "input" and element.split("}")[1] != name:
                problems.append(f"{name}: the request element must carry the operation's name")
            children, why = schemas.wrapper_children(element)
            problems += [f"{name}: {reason}" for reason in why]
            by_name: dict[str, Child] = {}
            for child in children:
                if _java_name(child.name) in by_name:
                    problems.append(f"{name}: {side} holds {child.name} twice (as parameter names)")
                by_name[_java_name(child.name)] = child
            sides[side] = children
        request = {_java_name(c.name): c for c in sides.get("input", ())}
        for child in sides.get("output", ()):
            same = request.get(_java_name(child.name))
            if same is not None and same != child:
                problems.append(f"{name}: request and response both hold {child.name}, as different Java "
                                f"types ({same} / {child}): wsimport fails with duplicate parameter name")
    return problems


def _served_copy(directory: Path, key: str, profile: str) -> Path:
    """The served WSDL of an endpoint as a file beside a copy of ``xsd/`` (it imports ``../xsd/...``)."""
    (directory / "wsdl").mkdir(parents=True, exist_ok=True)
    if not (directory / "xsd").exists():
        shutil.copytree(contracts.contracts_dir() / "xsd", directory / "xsd")
    path = directory / "wsdl" / f"{key}-{profile}.wsdl"
    path.write_bytes(contracts.published_wsdl(key, profile, f"https://127.0.0.1:8443/{key}/{profile}"))
    return path


@pytest.fixture(scope="module")
def served_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("served")


def _every_wsdl(served_dir: Path) -> Iterator[Path]:
    yield from (contracts.wsdl_path(key) for key in PUBLISHED)
    yield from (_served_copy(served_dir, key, profile) for key, profile in SERVED)


# --- JAX-WS wrapper style ----------------------------------------------------------------------


@pytest.mark.parametrize("key", PUBLISHED)
def test_every_operation_maps_to_a_wrapper_style_signature(key: str) -> None:
    assert wrapper_style_problems(contracts.wsdl_path(key)) == []


@pytest.mark.parametrize(("key", "profile"), SERVED)
def test_every_served_copy_maps_to_wrapper_style_signatures(served_dir: Path, key: str, profile: str) -> None:
    assert wrapper_style_problems(_served_copy(served_dir, key, profile)) == []


def test_the_rule_finds_a_request_and_response_child_that_collide(tmp_path: Path) -> None:
    shutil.copytree(contracts.contracts_dir() / "xsd", tmp_path / "xsd")
    (tmp_path / "wsdl").mkdir()
    shutil.copy(contracts.wsdl_path("duo-verzuimloket"), tmp_path / "wsdl")
    schema = tmp_path / "xsd" / "duo-verzuimloket.xsd"  # the responses' names as before finding 2
    text = schema.read_text().replace('name="VolgendeCursor"', 'name="Cursor"')
    schema.write_text(text.replace('name="OntvangenBijlagen"', 'name="Bijlagen"'))
    problems = wrapper_style_problems(tmp_path / "wsdl" / "duo-verzuimloket.wsdl")
    assert [(p.split(":")[0], p.split(" both hold ")[1].split(",")[0]) for p in problems] == [
        ("IndienenVerzuimmelding", "Bijlagen"), ("KlonenVerzuimmelding", "Bijlagen"),
        ("SynchroniserenVerzuimmeldingen", "Cursor"), ("OphalenTerugmeldingen", "Cursor"),
    ], problems


def _wsimport() -> Path:
    if not WSIMPORT.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{WSIMPORT} is missing; CI must run the JAX-WS check")
        pytest.skip(f"{WSIMPORT} (JAX-WS RI) is not installed")
    return WSIMPORT


def test_wsimport_generates_code_with_its_defaults(served_dir: Path, tmp_path: Path) -> None:
    wsimport = _wsimport()
    for number, wsdl in enumerate(_every_wsdl(served_dir)):
        out = tmp_path / str(number)
        out.mkdir()
        done = subprocess.run([str(wsimport), "-d", str(out), "-keep", "-Xnocompile", str(wsdl)],
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0 and "[ERROR]" not in done.stdout + done.stderr, (wsdl, done.stdout,
                                                                                      done.stderr)
        assert list(out.rglob("*PortType.java")), f"{wsdl}: no service interface generated"


# --- Python clients ------------------------------------------------------------------------------


def _ports(key: str) -> list[str]:
    root = etree.parse(str(contracts.wsdl_path(key))).getroot()
    return [port.get("name", "") for port in root.iterfind("wsdl:service/wsdl:port", W)]


@pytest.mark.parametrize("key", PUBLISHED)
def test_zeep_loads_every_published_wsdl(key: str) -> None:
    client = zeep.Client(str(contracts.wsdl_path(key)), settings=ZEEP_SETTINGS)
    [service] = client.wsdl.services.values()
    assert list(service.ports) == _ports(key)
    operations = {op.name for op in contracts.operations(key)}
    for port in service.ports.values():
        assert set(port.binding._operations) == operations


@pytest.mark.parametrize(("key", "profile"), SERVED)
def test_zeep_loads_every_served_copy_with_its_one_port(served_dir: Path, key: str, profile: str) -> None:
    client = zeep.Client(str(_served_copy(served_dir, key, profile)), settings=ZEEP_SETTINGS)
    [service] = client.wsdl.services.values()
    [port] = service.ports.values()
    assert port.binding_options["address"] == f"https://127.0.0.1:8443/{key}/{profile}"
    assert port.name == _ports(key)[contracts.profiles(key).index(profile)]


@pytest.mark.parametrize("key", PUBLISHED)
def test_suds_loads_every_published_wsdl(key: str) -> None:
    client = suds.client.Client(contracts.wsdl_path(key).as_uri(), cache=None)
    [service] = client.wsdl.services
    assert [port.name for port in service.ports] == _ports(key)
    operations = {op.name for op in contracts.operations(key)}
    for port in service.ports:
        assert set(port.methods) == operations


@pytest.mark.parametrize(("key", "profile"), SERVED)
def test_suds_loads_every_served_copy(served_dir: Path, key: str, profile: str) -> None:
    client = suds.client.Client(_served_copy(served_dir, key, profile).as_uri(), cache=None)
    [service] = client.wsdl.services
    [port] = service.ports
    assert port.location == f"https://127.0.0.1:8443/{key}/{profile}"
