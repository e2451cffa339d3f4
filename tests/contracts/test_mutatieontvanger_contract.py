"""The contract a school implements to receive pushed mutations (``wsdl/sbb-mutatieontvanger.wsdl``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from ketenserver import contracts
from ketenserver.recognitions import agreements
from ketenserver.recognitions.delivery import ACTION, RECEIVER_CONTRACT, offer_payload
from tests import factories

GOLDEN = factories.GOLDEN / RECEIVER_CONTRACT
TNS = "urn:ketenserver:sbb:whitelabel:mutatieontvanger:2.1"


def test_one_operation_whose_action_and_soap_action_follow_ws002_and_ws008() -> None:
    [operation] = contracts.operations(RECEIVER_CONTRACT)
    assert (operation.name, operation.action, operation.soap_action) == ("AanbiedenMutatie", ACTION, ACTION)
    assert operation.output_action == f"{TNS}:AanbiedenMutatieResponse"


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.xml")), ids=lambda p: p.name)
def test_golden_messages_validate(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    schema = contracts.schema_for(RECEIVER_CONTRACT)
    assert schema.validate(root), str(schema.error_log)
    [operation] = contracts.operations(RECEIVER_CONTRACT)
    assert root.tag == (operation.input_element if ".request." in path.name else operation.output_element)


def test_what_the_deliverer_offers_is_the_golden_offer() -> None:
    mutation = agreements.Mutation(13, "100000001", "25183", agreements.MutationKind.INGETROKKEN,
                                   "Voldoet niet meer aan de veiligheidsvoorschriften.",
                                   dt.date(2025, 3, 1))
    offer = offer_payload(agreements.Delivery(1, "0000000700025LX00000", "https://x.example/", 1, mutation))
    golden = factories.golden(RECEIVER_CONTRACT, "AanbiedenMutatie.request.xml")
    def content(root: etree._Element) -> list[tuple[str, str]]:  # prefixes and layout aside
        return [(e.tag, (e.text or "").strip()) for e in root.iter()]

    assert content(offer) == content(golden)


def test_the_schema_refuses_a_mutation_without_its_volgnummer() -> None:
    root = factories.golden(RECEIVER_CONTRACT, "AanbiedenMutatie.request.xml")
    mutatie = root.find(f"{{{TNS}}}Mutatie")
    assert mutatie is not None
    mutatie.remove(mutatie[0])
    assert not contracts.schema_for(RECEIVER_CONTRACT).validate(root)
