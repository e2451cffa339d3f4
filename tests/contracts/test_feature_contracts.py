"""Every served feature against its published contract: WSDL actions, imports, service and port,
and the spyne service the server mounts (:func:`ketenserver.app.feature_operations`) generating exactly the
published schema. Per-feature files test the golden messages and the mapping."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from ketencore import names as ns
from ketenserver import contracts
from ketenserver.app import feature_operations
from ketenserver.feature import Feature
from ketenserver.features import FEATURES
from ketenserver.spyne_compat import load_spyne

load_spyne()

from spyne.interface.wsdl import Wsdl11  # noqa: E402

XS = "http://www.w3.org/2001/XMLSchema"


def _namespace(feature: Feature) -> str:
    return contracts.operations(feature.key)[0].input_element.split("}")[0][1:]


@pytest.fixture(params=FEATURES, ids=lambda feature: feature.key)
def feature(request: pytest.FixtureRequest) -> Feature:
    chosen: Feature = request.param
    return chosen


def test_wsdl_declares_an_action_per_operation_and_soap_action_equals_it(feature: Feature) -> None:
    operations = contracts.operations(feature.key)
    assert operations, "the WSDL declares no operation"
    tns = _namespace(feature)
    for op in operations:
        assert op.action == f"{tns}:{op.name}"  # WS008
        assert op.output_action == f"{tns}:{op.name}Response"
        assert op.soap_action == op.action  # WS002
    assert len({op.action for op in operations}) == len(operations)
    assert feature.state_changing <= {op.name for op in operations}


def test_wsdl_imports_the_published_schemas_and_names_a_port_per_profile(feature: Feature) -> None:
    path = contracts.wsdl_path(feature.key)
    root = etree.parse(str(path)).getroot()
    imports = root.findall(f"{{{ns.WSDL}}}types/{{{XS}}}schema/{{{XS}}}import")
    assert [(i.get("namespace"), (path.parent / i.get("schemaLocation", "")).resolve()) for i in imports] == [
        (_namespace(feature), contracts.xsd_path(feature.key).resolve()),
        (ns.FAULT, contracts.xsd_path("fault").resolve()),
    ]
    # the naming rule of every published WSDL: one <Name>Service with a <Name><profile>Port per profile
    services = root.findall(f"{{{ns.WSDL}}}service")
    assert len(services) == 1 and services[0].get("name", "").endswith("Service")
    stem = services[0].get("name", "").removesuffix("Service")
    ports = services[0].findall(f"{{{ns.WSDL}}}port")
    names = tuple(profile.name for profile in feature.profiles)
    assert contracts.profiles(feature.key) == names
    assert [port.get("name") for port in ports] == [f"{stem}{p.replace('-', '')}Port" for p in names]
    for port, profile in zip(ports, names, strict=True):
        address = port.find(f"{{{ns.WSDL_SOAP11}}}address")
        assert address is not None and address.get("location") == f"https://127.0.0.1:8443/{feature.key}/{profile}"


def test_spyne_and_the_wsdl_agree_on_every_operation(feature: Feature) -> None:
    application = feature_operations(feature).application
    spyne_side = set()
    for dispatch_qname, descriptors in application.interface.service_method_map.items():
        for d in descriptors:
            in_qname = ns.qn(d.in_message.get_namespace(), d.in_message.get_element_name())
            out_qname = ns.qn(d.out_message.get_namespace(), d.out_message.get_element_name())
            assert dispatch_qname == in_qname  # spyne dispatches on the Body element's QName
            spyne_side.add((d.operation_name, in_qname, out_qname))
    published = {(op.name, op.input_element, op.output_element) for op in contracts.operations(feature.key)}
    assert spyne_side == published


def _qname(node: etree._Element, value: str | None) -> str:
    assert value, f"line {node.sourceline}: missing type"
    prefix, _, local = value.rpartition(":")
    return ns.qn(node.nsmap[prefix or None], local)


def _components(schema: etree._Element) -> dict[tuple[str, str], Any]:
    """Global declarations by (kind, name): what must agree, without order or documentation."""
    found: dict[tuple[str, str], Any] = {}
    for node in schema:
        kind = etree.QName(node).localname if isinstance(node.tag, str) else None
        name = node.get("name", "")
        if kind == "element":
            found[(kind, name)] = _qname(node, node.get("type"))
        elif kind == "complexType":
            found[(kind, name)] = tuple(
                (e.get("name"), _qname(e, e.get("type")), e.get("minOccurs", "1"), e.get("maxOccurs", "1"),
                 e.get("nillable", "false"))
                for e in node.iterfind(f"{{{XS}}}sequence/{{{XS}}}element")
            )
        elif kind == "simpleType":
            restriction = node.find(f"{{{XS}}}restriction")
            assert restriction is not None
            facets = {(etree.QName(f).localname, f.get("value"))
                      for f in restriction.iterchildren(etree.Element)}
            found[(kind, name)] = (_qname(restriction, restriction.get("base")), frozenset(facets))
    return found


def test_spyne_generates_the_published_schema(feature: Feature) -> None:
    document = Wsdl11(feature_operations(feature).application.interface)
    document.build_interface_document(f"https://127.0.0.1:8443/{feature.key}/2W-be-S")
    generated = {
        s.get("targetNamespace"): _components(s)
        for s in etree.fromstring(document.get_interface_document()).iter(f"{{{XS}}}schema")
    }
    tns = _namespace(feature)
    assert set(generated) == {tns, ns.COMMON}
    published = _components(etree.parse(str(contracts.xsd_path(feature.key))).getroot())
    assert generated[tns] == published  # nothing missing, nothing extra
    published_common = _components(etree.parse(str(contracts.xsd_path("common"))).getroot())
    assert generated[ns.COMMON]
    for key, declaration in generated[ns.COMMON].items():  # common.xsd also serves other services
        assert published_common.get(key) == declaration, key
