"""SOAP faults become typed exceptions carrying the server's stable code."""

from __future__ import annotations

from typing import Any

import pytest
import zeep.exceptions

from ketenclient import ClientFault, KetenClientError, ResponseNotTrusted, ServerFault, SoapFault
from ketenclient.base import fault_from_zeep
from ketenclient.errors import fault_from_parts


def _zeep_fault(fault: Any) -> zeep.exceptions.Fault:
    """The Fault as zeep's Soap11Binding.process_error builds it from a soap:Fault element."""
    return zeep.exceptions.Fault(
        message=fault.findtext("faultstring"), code=fault.findtext("faultcode"),
        actor=fault.findtext("faultactor"), detail=fault.find("detail"))


def test_a_business_fault_with_detail(wire: Any) -> None:
    element = wire.fault_payload("SBB-1001", "Onbekend leerbedrijf", "LeerbedrijfId")
    fault = fault_from_zeep(_zeep_fault(element))
    assert isinstance(fault, ClientFault)
    assert (fault.code, fault.field, fault.faultcode) == ("SBB-1001", "LeerbedrijfId", "Client")
    assert fault.message == "Onbekend leerbedrijf"
    assert fault.rule == "SBB WL 2.1"
    assert str(fault) == "SBB-1001: Onbekend leerbedrijf"


def test_a_technical_fault_without_detail(wire: Any) -> None:
    fault = fault_from_zeep(_zeep_fault(wire.fault_payload(
        "0115", "wsu:Created is older than 300 s: the message is stale.", "Created", with_detail=False)))
    assert type(fault) is ClientFault
    assert (fault.code, fault.field) == ("0115", None)  # without a detail the field is not sent
    assert fault.message == "wsu:Created is older than 300 s: the message is stale."


def test_a_server_fault(wire: Any) -> None:
    fault = fault_from_zeep(_zeep_fault(wire.fault_payload(
        "0500", "The server could not process the message.", None, faultcode="Server", with_detail=False)))
    assert type(fault) is ServerFault
    assert (fault.code, fault.faultcode) == ("0500", "Server")


def test_the_detail_code_wins_and_uncoded_text_is_kept_whole(wire: Any) -> None:
    detail = wire.fault_payload("SBB-1004", "x", "Huisnummer").find("detail")
    fault = fault_from_parts("soap:Client.Validation", "0004: Huisnummer ongeldig", detail)
    assert type(fault) is ClientFault
    assert (fault.code, fault.message, fault.field) == ("SBB-1004", "Huisnummer ongeldig", "Huisnummer")
    uncoded = fault_from_parts("soap:Client", "Huisnummer ongeldig", detail)
    assert (uncoded.code, uncoded.message) == ("SBB-1004", "Huisnummer ongeldig")
    foreign = fault_from_parts("env:Receiver", "Something went wrong: try later", None)
    assert type(foreign) is SoapFault
    assert (foreign.code, foreign.message, foreign.faultcode) == (None, "Something went wrong: try later",
                                                                 "Receiver")


@pytest.mark.parametrize("cls", [SoapFault, ClientFault, ServerFault, ResponseNotTrusted])
def test_one_base_catches_everything(cls: type[Exception]) -> None:
    assert issubclass(cls, KetenClientError)
    assert issubclass(ClientFault, SoapFault) and not issubclass(ResponseNotTrusted, SoapFault)
