"""Schema faults name the right field when many threads validate at once (one shared schema)."""

from __future__ import annotations

import threading

from lxml import etree

from ketencore.errors import ExchangeError
from ketencore.validation import validate_payload
from ketenserver import contracts

NS = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"


def _request(naam: str, postcode: str) -> etree._Element:
    return etree.fromstring(f'<s:VaststellenLeerbedrijf xmlns:s="{NS}"><s:Naam>{naam}</s:Naam>'
                            f"<s:Postcode>{postcode}</s:Postcode></s:VaststellenLeerbedrijf>")


def test_concurrent_faults_name_their_own_field() -> None:
    schema = contracts.schema_for("sbb-erkenningen")
    named: dict[str, set[str | None]] = {"Postcode": set(), "Naam": set()}

    def validate(request: etree._Element, field: str) -> None:
        for _ in range(500):
            try:
                validate_payload(schema, request)
            except ExchangeError as error:
                named[field].add(error.field)

    threads = [threading.Thread(target=validate, args=(_request("Bakkerij", "12"), "Postcode")) for _ in range(4)]
    threads += [threading.Thread(target=validate, args=(_request("", "1234AB"), "Naam")) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert named == {"Postcode": {"Postcode"}, "Naam": {"Naam"}}
