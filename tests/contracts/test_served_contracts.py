"""The server publishes the files in wsdl/ and xsd/: each endpoint's WSDL reduced to its own
profile's binding and port, with the address it is reached at; everything else as it is."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import requests
import zeep
from lxml import etree

from ketenclient.base import ZEEP_SETTINGS
from ketencore import names as ns
from ketenserver import contracts
from ketenserver.app import KetenApp

W = {"wsdl": ns.WSDL, "soap": ns.WSDL_SOAP11, "wsp": ns.WS_POLICY}
WSU_ID = "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}Id"


def _c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n")


def _named(root: etree._Element, path: str) -> dict[str, bytes]:
    return {e.get("name", ""): _c14n(e) for e in root.iterfind(path, W)}


@pytest.mark.parametrize("key", ["sbb-erkenningen", "duo-verzuimloket"])
def test_served_wsdl_is_the_published_one_for_its_profile_only(base_url: str, school_session: requests.Session,
                                                              key: str) -> None:
    published = etree.parse(str(contracts.wsdl_path(key))).getroot()
    ports = {port.get("name"): port for port in published.iterfind("wsdl:service/wsdl:port", W)}
    assert len(ports) == 2
    for profile in ("2W-be-S", "2W-be"):
        address = f"{base_url}/{key}/{profile}"
        response = school_session.get(address + "?wsdl", timeout=10)
        assert response.status_code == 200
        served = etree.fromstring(response.content)
        [port] = served.iterfind("wsdl:service/wsdl:port", W)
        [binding] = served.iterfind("wsdl:binding", W)
        assert served.xpath("//soap:address/@location", namespaces=W) == [address]
        original = ports[port.get("name")]
        published_address = original.find("soap:address", W)
        assert published_address is not None
        assert str(published_address.get("location")).endswith(f"/{key}/{profile}")
        assert port.get("binding") == original.get("binding") == f"tns:{binding.get('name')}"
        assert _c14n(binding) == _named(published, "wsdl:binding")[binding.get("name", "")]
        for path in ("wsdl:types", "wsdl:message", "wsdl:portType", "wsdl:documentation"):
            assert [_c14n(e) for e in served.iterfind(path, W)] == [_c14n(e) for e in published.iterfind(path, W)]
        policies = {policy.get(WSU_ID) for policy in served.iterfind("wsp:Policy", W)}
        references = {ref.get("URI", "")[1:] for ref in served.iter(f"{{{ns.WS_POLICY}}}PolicyReference")}
        assert policies == references  # every reference resolves, no policy left unused
        assert ("Profiel2WbeSPolicy" in policies) is (profile == "2W-be-S")
        client = zeep.Client(address + "?wsdl", transport=zeep.Transport(session=school_session),
                             settings=ZEEP_SETTINGS)
        [service] = client.wsdl.services.values()
        assert list(service.ports) == [port.get("name")]


def test_imported_schemas_resolve_over_https(base_url, school_session):
    wsdl = etree.fromstring(school_session.get(f"{base_url}/sbb-erkenningen/2W-be-S?wsdl", timeout=10).content)
    locations = wsdl.xpath("//xsd:import/@schemaLocation", namespaces={"xsd": "http://www.w3.org/2001/XMLSchema"})
    assert locations
    seen = set()
    pending = [(f"{base_url}/sbb-erkenningen/", loc) for loc in locations]
    while pending:
        base, location = pending.pop()
        url = requests_urljoin(base, location)
        if url in seen:
            continue
        seen.add(url)
        response = school_session.get(url, timeout=10)
        assert response.status_code == 200, url
        name = url.rsplit("/", 1)[-1]
        assert response.content == contracts.xsd_path(name).read_bytes()
        schema = etree.fromstring(response.content)
        for nested in schema.xpath("//xs:import/@schemaLocation | //xs:include/@schemaLocation",
                                   namespaces={"xs": "http://www.w3.org/2001/XMLSchema"}):
            pending.append((url, nested))
    assert any(url.endswith("/xsd/common.xsd") for url in seen)


def requests_urljoin(base: str, location: str) -> str:
    from urllib.parse import urljoin

    return urljoin(base, location)


def test_unknown_paths_and_schema_traversal_are_404(base_url, school_session):
    for path in ("/xsd/../pyproject.toml", "/xsd/nothere.xsd", "/nothing", "/wsdl/other.wsdl"):
        assert school_session.get(base_url + path, timeout=10).status_code == 404, path


def test_the_contract_a_school_implements_is_published_as_it_is(base_url, school_session):
    for name in ("sbb-mutatieontvanger", "sbb-erkenningen"):
        served = school_session.get(f"{base_url}/wsdl/{name}.wsdl", timeout=10)
        assert served.status_code == 200 and served.content == contracts.wsdl_path(name).read_bytes()
    schema = school_session.get(f"{base_url}/xsd/sbb-mutatieontvanger.xsd", timeout=10)
    assert schema.content == contracts.xsd_path("sbb-mutatieontvanger").read_bytes()


# --- Which address the served WSDL and the index name (finding 8) ---------------------------------


def _get(app: KetenApp, path: str, host: str, *, query: str = "wsdl", port: str = "8443") -> bytes:
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
                               "HTTP_HOST": host, "SERVER_NAME": "ketenserver", "SERVER_PORT": port,
                               "wsgi.url_scheme": "https"}
    statuses: list[str] = []

    def start(status: str, headers: list[tuple[str, str]]) -> None:
        statuses.append(status)

    body = b"".join(app(environ, start))
    assert statuses == ["200 OK"]
    return body


def _address(app: KetenApp, host: str, **options: str) -> str:
    served = etree.fromstring(_get(app, "/duo-verzuimloket/2W-be", host, **options))
    locations = served.xpath("//soap:address/@location", namespaces=W)
    assert isinstance(locations, list) and len(locations) == 1
    return str(locations[0])


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8443", "127.0.0.1:9999", "[::1]:1", "localhost:x",
                                  "127.0.0.1.evil.example:8443", ""])
def test_a_host_header_not_naming_this_server_gets_the_configured_address(app: KetenApp, host: str) -> None:
    assert _address(app, host) == "https://127.0.0.1:8443/duo-verzuimloket/2W-be"
    index = _get(app, "/", host, query="").decode()
    assert "evil" not in index and "https://127.0.0.1:8443/duo-verzuimloket/2W-be?wsdl" in index


@pytest.mark.parametrize("host", ["localhost:8443", "127.0.0.1:8443", "[::1]:8443", "LOCALHOST:8443"])
def test_a_host_header_naming_this_server_is_used(app: KetenApp, host: str) -> None:
    assert _address(app, host) == f"https://{host.lower()}/duo-verzuimloket/2W-be"
    assert f"https://{host.lower()}/sbb-erkenningen/2W-be-S?wsdl" in _get(app, "/", host, query="").decode()


def test_the_configured_host_and_the_machine_name_count_as_this_server(app: KetenApp) -> None:
    import socket

    named = dataclasses.replace(app, settings=dataclasses.replace(app.settings, host="keten.test"))
    assert _address(named, "keten.test:8443") == "https://keten.test:8443/duo-verzuimloket/2W-be"
    assert _address(named, "evil.example") == "https://keten.test:8443/duo-verzuimloket/2W-be"
    machine = socket.gethostname().lower()
    assert _address(app, f"{machine}:8443") == f"https://{machine}:8443/duo-verzuimloket/2W-be"


def test_public_url_wins_when_set(app: KetenApp) -> None:
    proxied = dataclasses.replace(app, settings=dataclasses.replace(app.settings,
                                                                    public_url="https://keten.example.nl/"))
    for host in ("evil.example", "localhost:8443"):
        assert _address(proxied, host) == "https://keten.example.nl/duo-verzuimloket/2W-be"
        index = _get(proxied, "/", host, query="").decode()
        assert "https://keten.example.nl/duo-verzuimloket/2W-be-S?wsdl" in index and "localhost" not in index
