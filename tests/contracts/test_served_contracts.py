"""The server publishes exactly the files in wsdl/ and xsd/; only soap:address changes."""

from __future__ import annotations

import re

from lxml import etree

from ketenserver import contracts


def test_served_wsdl_equals_published_file_but_for_the_address(base_url, school_session):
    for profile in ("2W-be-S", "2W-be"):
        address = f"{base_url}/sbb-erkenningen/{profile}"
        served = school_session.get(address + "?wsdl", timeout=10)
        assert served.status_code == 200
        published = contracts.wsdl_path("sbb-erkenningen").read_bytes()
        location = re.compile(rb'<soap:address location="[^"]*"')
        assert location.sub(b"", served.content) == location.sub(b"", published)
        tree = etree.fromstring(served.content)
        addresses = tree.xpath("//soap:address/@location",
                               namespaces={"soap": "http://schemas.xmlsoap.org/wsdl/soap/"})
        assert addresses == [address]


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
