"""WerkplekduaalClient without a counter: the MAGDA Verzoek each method builds, and its Repliek read back.

The client runs with only the network cut out: zeep serialises each call from the published WSDL
exactly as it would send it, the request is validated against ``xsd/werkplekduaal.xsd``, and the
answer is a hand-written Repliek (validated against the same schema) that zeep parses as it would
parse the counter's. Replies are written from the request sent, as the counter writes them: the
Ontvanger carries the request's Afzender and Referte, the Antwoord the Vraag's Referte.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import threading
from collections.abc import Callable
from contextlib import ExitStack
from decimal import Decimal
from typing import Any

import pytest
import requests
import zeep
from lxml import etree
from lxml.builder import ElementMaker

from ketenclient import (
    AanvraagStatus,
    Aanvraagstatus,
    Addendum,
    Addendumstatus,
    Afhandeling,
    Beeindiging,
    Beslissing,
    ClientFault,
    Credentials,
    Document,
    Erkenningsaanvraag,
    Erkenningsstatus,
    Hoedanigheid,
    KetenClientError,
    LeertrajectBevestiging,
    Lesdag,
    Mentor,
    Overeenkomst,
    OvereenkomstGegevens,
    Overeenkomstsoort,
    Overeenkomststatus,
    Pagina,
    Partnerschap,
    Provincie,
    RequestNotValid,
    ResponseNotTrusted,
    Strafregisteruittreksel,
    Taak,
    Taakoptie,
    Taaksoort,
    Taakstatus,
    VerklaringOpEer,
    Weekdag,
    Werkplaats,
    Werkplek,
    WerkplekduaalClient,
    Werkplekkenpagina,
    Wijziging,
)
from ketenclient.base import ZEEP_SETTINGS
from ketenclient.werkplekduaal import MagdaMessages
from ketenclient.werkplekduaal_models import Adres, Erkenning, Leerling
from ketenserver import contracts
from ketenserver.pki import DevPki

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS = "urn:ketenserver:werkplekduaal:02.00"
E = ElementMaker(namespace=NS, nsmap={"wpd": NS})
PROVIDER = "0412345614"
COUNTER = "0316200006"
# 08:15:30.75 UTC on 2 March 2026 is 09:15:30 in Brussels (CET): the Tijdstip the client must send.
NOW = dt.datetime(2026, 3, 2, 8, 15, 30, 750000, tzinfo=dt.UTC)

Reply = Callable[[etree._Element], etree._Element]
"""Builds the response element from the request payload sent (or raises, as a lost answer)."""


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _find(element: etree._Element, path: str) -> etree._Element:
    found = element.find("/".join(_q(step) for step in path.split("/")))
    assert found is not None, path
    return found


def _text(element: etree._Element, path: str) -> str:
    return _find(element, path).text or ""


@pytest.fixture(scope="module")
def contract() -> zeep.Client:
    return zeep.Client(str(contracts.wsdl_path("werkplekduaal")), settings=ZEEP_SETTINGS)


class Clock:
    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class OfflineClient(WerkplekduaalClient):
    """The real client with the transport replaced: each call answers with the next reply builder."""

    def __init__(self, contract: zeep.Client, *replies: Reply, clock: Clock | None = None,
                 hoedanigheid: Hoedanigheid = Hoedanigheid.OPLEIDINGSVERSTREKKER, keep: int = 256) -> None:
        self._resources = ExitStack()
        self._contract = contract
        self._replies = list(replies)
        self.hoedanigheid = hoedanigheid
        self.messages = MagdaMessages(PROVIDER, clock=clock or Clock(), keep=keep)
        self.sent: list[etree._Element] = []

    def _call(self, operation_name: str, message_id: str | None = None, **kwargs: Any) -> Any:
        assert message_id is None  # profile MAGDA: the identity travels in the Body
        envelope = self._contract.create_message(self._contract.service, operation_name, **kwargs)
        payload = envelope.find(f"{{{SOAP_ENV}}}Body")[0]
        contracts.schema_for("werkplekduaal").assertValid(payload)
        assert etree.QName(payload).localname == operation_name
        self.sent.append(payload)
        response = self._replies.pop(0)(payload)
        contracts.schema_for("werkplekduaal").assertValid(response)
        reply = etree.Element(f"{{{SOAP_ENV}}}Envelope")
        etree.SubElement(reply, f"{{{SOAP_ENV}}}Body").append(response)
        return self._contract.service._binding.get(operation_name).output.deserialize(reply)


def _uitzonderingen(*items: tuple[str, str, str | None, str]) -> etree._Element:
    element = E.Uitzonderingen()
    for code, diagnose, veld, soort in items:
        uitzondering = E.Uitzondering(E.Identificatie(code), E.Oorsprong("WERKPLEKDUAAL"), E.Type(soort),
                                      E.Diagnose(diagnose))
        if veld is not None:
            uitzondering.append(E.Veld(veld))
        element.append(uitzondering)
    return element


def answer(inhoud: etree._Element | None = None, *, uitzonderingen: etree._Element | None = None,
           context_uitzonderingen: etree._Element | None = None, ontvanger_referte: str | None = None,
           ontvanger: str | None = None, vraag_referte: str | None = None) -> Reply:
    """A reply as the counter writes it to the request sent; each keyword spoils or refuses it."""

    def build(request: etree._Element) -> etree._Element:
        op = etree.QName(request).localname
        afzender = _find(request, "Verzoek/Context/Bericht/Afzender")
        context = E.Context(
            E.Naam(op), E.Versie("02.00.0000"),
            E.Bericht(E.Type("ANTWOORD"), E.Tijdstip(E.Datum("2026-03-02"), E.Tijd("09:15:31")),
                      E.Afzender(E.Identificatie(COUNTER), E.Referte("c0ffee"), E.Hoedanigheid("WERKPLEKDUAAL")),
                      E.Ontvanger(E.Identificatie(ontvanger or _text(afzender, "Identificatie")),
                                  E.Referte(ontvanger_referte or _text(afzender, "Referte")))))
        repliek = E.Repliek(context)
        if context_uitzonderingen is not None:
            repliek.append(copy.deepcopy(context_uitzonderingen))
        else:
            antwoord = E.Antwoord(E.Referte(vraag_referte or _text(request, "Verzoek/Vragen/Vraag/Referte")))
            if inhoud is not None:  # copies: one builder may answer several calls
                antwoord.append(E.Inhoud(*copy.deepcopy(inhoud)))
            if uitzonderingen is not None:
                antwoord.append(copy.deepcopy(uitzonderingen))
            repliek.append(E.Antwoorden(antwoord))
        return E(f"{op}Response", repliek)

    return build


def lost(request: etree._Element) -> etree._Element:
    raise requests.ConnectionError("connection reset while reading the answer")


# --- values, and the same values as the counter writes them --------------------------------------------

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
JANA = Leerling("08042512345", "Jana", "Peeters", dt.date(2008, 4, 25))
BAKKERIJ = Werkplaats("0403170701", "2147812701")
GEGEVENS = OvereenkomstGegevens(
    soort=Overeenkomstsoort.ALTERNERENDE_OPLEIDING, leerling=JANA, werkplaats=BAKKERIJ, opleiding="BAKKER",
    mentor="75031212345", startdatum=dt.date(2026, 3, 16), einddatum=dt.date(2027, 6, 30),
    uren_per_week=Decimal("22.5"),
    uurrooster=(Lesdag(Weekdag.MAANDAG, Decimal("7.5")), Lesdag(Weekdag.DINSDAG, Decimal("7.5")),
                Lesdag(Weekdag.WOENSDAG, Decimal("7.5"))),
    leervergoeding=Decimal("485.20"),
)


def gegevens_xml() -> tuple[etree._Element, ...]:
    """GEGEVENS as the counter writes them (by hand, not by the client's mapping)."""
    return (E.Soort("ALTERNERENDE_OPLEIDING"),
            E.Leerling(E.Rijksregisternummer("08042512345"), E.Voornaam("Jana"), E.Naam("Peeters"),
                       E.Geboortedatum("2008-04-25")),
            E.Werkplaats(E.Ondernemingsnummer("0403170701"), E.Vestigingsnummer("2147812701")),
            E.Opleiding("BAKKER"), E.Mentor("75031212345"), E.Startdatum("2026-03-16"), E.Einddatum("2027-06-30"),
            E.UrenPerWeek("22.5"), E.Leervergoeding("485.20"),
            E.Uurrooster(*(E.Lesdag(E.Weekdag(day), E.Uren("7.5")) for day in ("MAANDAG", "DINSDAG", "WOENSDAG"))))


def overeenkomst_xml(status: str = "GEREGISTREERD", *extra: etree._Element) -> etree._Element:
    return E.Overeenkomst(E.Overeenkomstnummer("OV00000007"), E.Status(status), E.Gegevens(*gegevens_xml()),
                          *extra)


def addendum_xml() -> etree._Element:
    return E.Addendum(E.Addendumnummer("AD00000003"), E.Status("TE_REGISTREREN"), E.Aangemaakt("2026-04-01"),
                      E.Wijzigingen(E.Wijziging(E.Veld("UrenPerWeek"), E.Oud("22.5"), E.Nieuw("30")),
                                    E.Wijziging(E.Veld("Einddatum"), E.Oud("2027-06-30"), E.Nieuw("2027-08-31"))))


ADDENDUM = Addendum("AD00000003", Addendumstatus.TE_REGISTREREN, dt.date(2026, 4, 1),
                    (Wijziging("UrenPerWeek", "22.5", "30"), Wijziging("Einddatum", "2027-06-30", "2027-08-31")))


def _context(payload: etree._Element) -> dict[str, str]:
    bericht = _find(payload, "Verzoek/Context/Bericht")
    return {"Naam": _text(payload, "Verzoek/Context/Naam"), "Versie": _text(payload, "Verzoek/Context/Versie"),
            "Type": _text(bericht, "Type"), "Datum": _text(bericht, "Tijdstip/Datum"),
            "Tijd": _text(bericht, "Tijdstip/Tijd"), "Identificatie": _text(bericht, "Afzender/Identificatie"),
            "Referte": _text(bericht, "Afzender/Referte"), "Hoedanigheid": _text(bericht, "Afzender/Hoedanigheid")}


def _inhoud(payload: etree._Element) -> etree._Element:
    return _find(payload, "Verzoek/Vragen/Vraag/Inhoud")


def _children(element: etree._Element) -> list[str]:
    return [etree.QName(child).localname for child in element]


# --- agreements ------------------------------------------------------------------------------------------


def test_an_agreement_is_registered_in_a_magda_verzoek_and_comes_back_typed(contract: zeep.Client) -> None:
    client = OfflineClient(contract, answer(overeenkomst_xml()))
    result = client.registreer_overeenkomst(GEGEVENS)

    sent = client.sent[0]
    assert _context(sent) == {"Naam": "RegistreerOvereenkomst", "Versie": "02.00.0000", "Type": "VRAAG",
                              "Datum": "2026-03-02", "Tijd": "09:15:30", "Identificatie": PROVIDER,
                              "Referte": client.last_referte, "Hoedanigheid": "OPLEIDINGSVERSTREKKER"}
    assert _find(sent, "Verzoek/Context/Bericht").find(_q("Ontvanger")) is None
    inhoud = _inhoud(sent)
    assert _text(inhoud, "Soort") == "ALTERNERENDE_OPLEIDING"
    assert _text(inhoud, "Leerling/Rijksregisternummer") == JANA.rijksregisternummer
    assert _text(inhoud, "Werkplaats/Vestigingsnummer") == BAKKERIJ.vestigingsnummer
    assert Decimal(_text(inhoud, "UrenPerWeek")) == GEGEVENS.uren_per_week
    assert Decimal(_text(inhoud, "Leervergoeding")) == GEGEVENS.leervergoeding
    assert [(_text(d, "Weekdag"), Decimal(_text(d, "Uren"))) for d in _find(inhoud, "Uurrooster")] == [
        (str(d.weekdag), d.uren) for d in GEGEVENS.uurrooster]

    assert result == Overeenkomst("OV00000007", Overeenkomststatus.GEREGISTREERD, GEGEVENS)
    assert isinstance(result.gegevens.uren_per_week, Decimal) and isinstance(result.status, Overeenkomststatus)


def test_a_stageovereenkomst_without_allowance_leaves_leervergoeding_out(contract: zeep.Client) -> None:
    stage = OvereenkomstGegevens(**{**GEGEVENS.__dict__, "soort": Overeenkomstsoort.STAGEOVEREENKOMST,
                                    "uren_per_week": Decimal("15"), "leervergoeding": None,
                                    "uurrooster": (Lesdag(Weekdag.DONDERDAG, Decimal("7.5")),
                                                   Lesdag(Weekdag.VRIJDAG, Decimal("7.5")))})
    client = OfflineClient(contract, answer(overeenkomst_xml()))
    client.registreer_overeenkomst(stage)
    inhoud = _inhoud(client.sent[0])
    assert "Leervergoeding" not in _children(inhoud)
    assert _text(inhoud, "Soort") == "STAGEOVEREENKOMST"


def test_an_amendment_sends_only_what_changes_and_returns_the_addendum(contract: zeep.Client) -> None:
    client = OfflineClient(contract, answer(overeenkomst_xml("GEREGISTREERD", addendum_xml())))
    result = client.wijzig_overeenkomst("OV00000007", uren_per_week=Decimal("30"), einddatum=dt.date(2027, 8, 31))

    inhoud = _inhoud(client.sent[0])
    assert _children(inhoud) == ["Overeenkomstnummer", "Einddatum", "UrenPerWeek"]
    assert _text(inhoud, "Einddatum") == "2027-08-31" and Decimal(_text(inhoud, "UrenPerWeek")) == 30
    assert result.addenda == (ADDENDUM,)


def test_an_early_end(contract: zeep.Client) -> None:
    einde = E.Beeindiging(E.Einddatum("2026-05-29"), E.Reden("De leerling stopt met de opleiding."))
    client = OfflineClient(contract, answer(overeenkomst_xml("VROEGTIJDIG_BEEINDIGD", einde)))
    result = client.beeindig_overeenkomst("OV00000007", dt.date(2026, 5, 29), "De leerling stopt met de opleiding.")

    inhoud = _inhoud(client.sent[0])
    assert [_text(inhoud, n) for n in ("Overeenkomstnummer", "Einddatum", "Reden")] == [
        "OV00000007", "2026-05-29", "De leerling stopt met de opleiding."]
    assert result.status is Overeenkomststatus.VROEGTIJDIG_BEEINDIGD
    assert result.beeindiging == Beeindiging(dt.date(2026, 5, 29), "De leerling stopt met de opleiding.")


def test_listing_agreements_by_student_and_status(contract: zeep.Client) -> None:
    client = OfflineClient(contract, answer(E.Overeenkomsten(overeenkomst_xml(), overeenkomst_xml())),
                           answer(E.Overeenkomsten()))
    found = client.geef_overeenkomsten(rijksregisternummer=JANA.rijksregisternummer,
                                       status=Overeenkomststatus.GEREGISTREERD)
    none = client.geef_overeenkomsten()

    assert [(_text(_inhoud(client.sent[0]), n)) for n in ("Rijksregisternummer", "Status")] == [
        JANA.rijksregisternummer, "GEREGISTREERD"]
    assert _children(_inhoud(client.sent[1])) == []
    assert [o.gegevens.leerling for o in found] == [JANA, JANA]
    assert none == ()
    first, second = (_context(p)["Referte"] for p in client.sent)
    assert first != second


def test_a_trajectory_is_registered(contract: zeep.Client) -> None:
    bevestiging = E.LeertrajectBevestiging(E.Trajectnummer("LT00000012"), E.RegistratieUiterlijk("2026-04-14"))
    client = OfflineClient(contract, answer(bevestiging))
    result = client.registreer_leertraject(JANA, "BAKKER", dt.date(2026, 3, 16))

    inhoud = _inhoud(client.sent[0])
    assert [_text(inhoud, n) for n in ("Leerling/Voornaam", "Opleiding", "Startdatum")] == [
        "Jana", "BAKKER", "2026-03-16"]
    assert result == LeertrajectBevestiging("LT00000012", dt.date(2026, 4, 14))


# --- recognition requests ---------------------------------------------------------------------------------

UITTREKSEL = Strafregisteruittreksel("596.2", dt.date(2026, 2, 20), Document("uittreksel-an.pdf", PDF + b"an"))
AANVRAAG = Erkenningsaanvraag(
    werkplaats=BAKKERIJ, opleiding="BAKKER", machtiging=Document("machtiging.pdf", PDF + b"m"),
    verklaring_op_eer=VerklaringOpEer("02.00.0000", Document("verklaring.pdf", PDF + b"v")),
    mentoren=(Mentor("75031212345", "An", "Claes", dt.date(1975, 3, 12), 12, False, True, UITTREKSEL),
              Mentor("99010112345", "Bram", "Wouters", dt.date(1999, 1, 1), 5, True, True)),
)


def _status_xml(status: str, *extra: etree._Element) -> etree._Element:
    return E.AanvraagStatus(
        E.Aanvraagnummer("EA00000004"), E.Status(status),
        E.Werkplaats(E.Ondernemingsnummer("0403170701"), E.Vestigingsnummer("2147812701")), E.Opleiding("BAKKER"),
        E.Partnerschap(E.Code("VOEDING"), E.Naam("Sectorpartnerschap Voeding")), E.Ingediend("2026-03-02"),
        E.BeslissingUiterlijk("2026-03-16"), *extra)


def test_a_coach_files_a_recognition_request_with_its_documents(contract: zeep.Client) -> None:
    client = OfflineClient(contract, answer(_status_xml("TOEGEWEZEN")))
    result = client.dien_erkenningsaanvraag_in(AANVRAAG)

    sent = client.sent[0]
    assert _context(sent)["Hoedanigheid"] == "TRAJECTBEGELEIDER"
    inhoud = _inhoud(sent)
    assert base64.b64decode(_text(inhoud, "Machtiging/Inhoud")) == PDF + b"m"
    assert _text(inhoud, "VerklaringOpEer/Versie") == "02.00.0000"
    assert base64.b64decode(_text(inhoud, "VerklaringOpEer/Document/Inhoud")) == PDF + b"v"
    mentors = _find(inhoud, "Mentoren").findall(_q("Mentor"))
    assert [_text(m, "Rijksregisternummer") for m in mentors] == [m.rijksregisternummer for m in AANVRAAG.mentoren]
    assert base64.b64decode(_text(mentors[0], "Strafregisteruittreksel/Document/Inhoud")) == PDF + b"an"
    assert mentors[1].find(_q("Strafregisteruittreksel")) is None
    assert [_text(mentors[1], n) for n in ("JarenErvaring", "RelevanteVooropleiding")] == ["5", "true"]

    assert result == AanvraagStatus("EA00000004", Aanvraagstatus.TOEGEWEZEN, BAKKERIJ, "BAKKER",
                                    Partnerschap("VOEDING", "Sectorpartnerschap Voeding"), dt.date(2026, 3, 2),
                                    dt.date(2026, 3, 16))


def test_the_capacity_of_a_recognition_request_can_be_overridden(contract: zeep.Client) -> None:
    client = OfflineClient(contract, answer(_status_xml("TOEGEWEZEN")))
    client.dien_erkenningsaanvraag_in(AANVRAAG, hoedanigheid=Hoedanigheid.OPLEIDINGSVERSTREKKER)
    assert _context(client.sent[0])["Hoedanigheid"] == "OPLEIDINGSVERSTREKKER"


def test_a_coach_client_acts_as_coach_for_the_other_operations(contract: zeep.Client) -> None:
    client = OfflineClient(contract, answer(E.Takenlijst(E.VolgendeCursor("0"), E.Meer("false"))),
                           hoedanigheid=Hoedanigheid.TRAJECTBEGELEIDER)
    client.geef_taken()
    assert _context(client.sent[0])["Hoedanigheid"] == "TRAJECTBEGELEIDER"


def test_a_decided_request_with_its_recognition(contract: zeep.Client) -> None:
    decided = _status_xml(
        "ERKEND", E.Beslissing(E.Uitkomst("ERKEND"), E.Datum("2026-03-12")),
        E.Erkenning(E.Erkenningsnummer("ER00000009"), E.Vestigingsnummer("2147812701"), E.Opleiding("BAKKER"),
                    E.GeldigVan("2026-03-12"), E.GeldigTot("2031-03-11"), E.Status("LOPEND"), E.Plaatsen("2")))
    client = OfflineClient(contract, answer(decided))
    result = client.geef_erkenningsaanvraag("EA00000004")

    assert _text(_inhoud(client.sent[0]), "Aanvraagnummer") == "EA00000004"
    assert _context(client.sent[0])["Hoedanigheid"] == "TRAJECTBEGELEIDER"
    assert result.beslissing == Beslissing(Aanvraagstatus.ERKEND, dt.date(2026, 3, 12))
    assert result.erkenning == Erkenning("ER00000009", "2147812701", "BAKKER", dt.date(2026, 3, 12),
                                         dt.date(2031, 3, 11), Erkenningsstatus.LOPEND, 2)


def test_a_document_from_a_file(tmp_path: Any) -> None:
    path = tmp_path / "machtiging-bakkerij.pdf"
    path.write_bytes(PDF)
    assert Document.from_file(path) == Document("machtiging-bakkerij.pdf", PDF)
    assert Document.from_file(path, "machtiging.pdf").bestandsnaam == "machtiging.pdf"
    assert "inhoud" not in repr(Document.from_file(path))


# --- tasks ------------------------------------------------------------------------------------------------


def _taak_xml(nummer: str, volgnummer: int, *, soort: str = "ADDENDUM", status: str = "OPEN") -> etree._Element:
    if soort == "ADDENDUM":
        return E.Taak(E.Taaknummer(nummer), E.Volgnummer(str(volgnummer)), E.Soort(soort), E.Status(status),
                      E.Aangemaakt("2026-04-01"), E.Overeenkomstnummer("OV00000007"),
                      E.Opties(E.Optie("REGISTREREN")), addendum_xml())
    return E.Taak(E.Taaknummer(nummer), E.Volgnummer(str(volgnummer)), E.Soort(soort), E.Status(status),
                  E.Aangemaakt("2026-04-06"), E.Overeenkomstnummer("OV00000007"),
                  E.Opties(E.Optie("AANPASSEN"), E.Optie("BEEINDIGEN")),
                  E.NieuwAdres(E.Straat("Kortrijksesteenweg"), E.Huisnummer("12"), E.Bus("A"), E.Postcode("9000"),
                               E.Gemeente("Gent")))


def test_tasks_after_a_cursor_come_back_typed(contract: zeep.Client) -> None:
    page = E.Takenlijst(_taak_xml("TK00000001", 4), _taak_xml("TK00000002", 9, soort="ADRESWIJZIGING_VESTIGING"),
                        E.VolgendeCursor("9"), E.Meer("false"))
    client = OfflineClient(contract, answer(page))
    result = client.geef_taken(3)

    assert _text(_inhoud(client.sent[0]), "Cursor") == "3"
    assert result == Pagina((
        Taak("TK00000001", 4, Taaksoort.ADDENDUM, Taakstatus.OPEN, dt.date(2026, 4, 1), (Taakoptie.REGISTREREN,),
             overeenkomstnummer="OV00000007", addendum=ADDENDUM),
        Taak("TK00000002", 9, Taaksoort.ADRESWIJZIGING_VESTIGING, Taakstatus.OPEN, dt.date(2026, 4, 6),
             (Taakoptie.AANPASSEN, Taakoptie.BEEINDIGEN), overeenkomstnummer="OV00000007",
             nieuw_adres=Adres("Kortrijksesteenweg", "12", "9000", "Gent", "A")),
    ), 9, False)


def test_all_tasks_follow_the_cursor_until_no_more_wait(contract: zeep.Client) -> None:
    client = OfflineClient(
        contract,
        answer(E.Takenlijst(_taak_xml("TK00000001", 4), E.VolgendeCursor("4"), E.Meer("true"))),
        answer(E.Takenlijst(_taak_xml("TK00000002", 7), E.VolgendeCursor("7"), E.Meer("true"))),
        answer(E.Takenlijst(_taak_xml("TK00000003", 8), E.VolgendeCursor("8"), E.Meer("false"))),
    )
    tasks = list(client.alle_taken())
    assert [t.taaknummer for t in tasks] == ["TK00000001", "TK00000002", "TK00000003"]
    assert [_text(_inhoud(p), "Cursor") for p in client.sent] == ["0", "4", "7"]


def test_all_tasks_stop_on_a_page_that_moves_nothing(contract: zeep.Client) -> None:
    client = OfflineClient(contract, answer(E.Takenlijst(E.VolgendeCursor("5"), E.Meer("true"))))
    assert list(client.alle_taken(5)) == []
    assert len(client.sent) == 1


def test_a_task_is_resolved_with_the_signed_addendum(contract: zeep.Client) -> None:
    done = _taak_xml("TK00000001", 12, status="AFGEHANDELD")
    done.append(E.Afhandeling(E.Optie("REGISTREREN"), E.Datum("2026-04-03")))
    client = OfflineClient(contract, answer(done))
    result = client.handel_taak_af("TK00000001", Taakoptie.REGISTREREN,
                                   ondertekend_document=Document("addendum-getekend.pdf", PDF))

    inhoud = _inhoud(client.sent[0])
    assert _children(inhoud) == ["Taaknummer", "Optie", "OndertekendDocument"]
    assert base64.b64decode(_text(inhoud, "OndertekendDocument/Inhoud")) == PDF
    assert result.status is Taakstatus.AFGEHANDELD
    assert result.afhandeling == Afhandeling(Taakoptie.REGISTREREN, dt.date(2026, 4, 3))


def test_ending_through_a_task_sends_the_end_date_and_reason(contract: zeep.Client) -> None:
    client = OfflineClient(contract, answer(_taak_xml("TK00000002", 13, soort="OPHEFFING")))
    client.handel_taak_af("TK00000002", Taakoptie.BEEINDIGEN, einddatum=dt.date(2026, 4, 30), reden="Opheffing")
    inhoud = _inhoud(client.sent[0])
    assert [_text(inhoud, n) for n in ("Optie", "Einddatum", "Reden")] == ["BEEINDIGEN", "2026-04-30", "Opheffing"]


# --- workplaces -------------------------------------------------------------------------------------------


def _werkplek_xml(vestiging: str, postcode: str) -> etree._Element:
    return E.Werkplek(E.Werkplaats(E.Ondernemingsnummer("0403170701"), E.Vestigingsnummer(vestiging)),
                      E.Naam("Bakkerij Het Gouden Graan"),
                      E.Adres(E.Straat("Veldstraat"), E.Huisnummer("3"), E.Postcode(postcode), E.Gemeente("Gent")),
                      E.Opleiding("BAKKER"), E.VrijePlaatsen("2"), E.ErkendTot("2031-03-11"))


def test_a_workplace_search_by_province(contract: zeep.Client) -> None:
    client = OfflineClient(contract, answer(E.Werkplekken(_werkplek_xml("2147812701", "9000"), E.Vervolg("p2"))))
    result = client.zoek_werkplekken("BAKKER", provincie=Provincie.OOST_VLAANDEREN)

    inhoud = _inhoud(client.sent[0])
    assert _children(inhoud) == ["Opleiding", "Provincie"]
    assert _text(inhoud, "Provincie") == "OOST_VLAANDEREN"
    assert result == Werkplekkenpagina((Werkplek(Werkplaats("0403170701", "2147812701"), "Bakkerij Het Gouden Graan",
                                                 Adres("Veldstraat", "3", "9000", "Gent"), "BAKKER", 2,
                                                 dt.date(2031, 3, 11)),), "p2")


def test_all_workplaces_follow_vervolg(contract: zeep.Client) -> None:
    client = OfflineClient(
        contract,
        answer(E.Werkplekken(_werkplek_xml("2147812701", "9000"), E.Vervolg("p2"))),
        answer(E.Werkplekken(_werkplek_xml("2147812800", "9000"), E.Vervolg("p3"))),
        answer(E.Werkplekken(_werkplek_xml("2147812909", "9050"))),
    )
    found = list(client.alle_werkplekken("BAKKER", postcode="9000"))
    assert [w.werkplaats.vestigingsnummer for w in found] == ["2147812701", "2147812800", "2147812909"]
    assert [_inhoud(p).findtext(_q("Vervolg")) for p in client.sent] == [None, "p2", "p3"]
    assert {_text(_inhoud(p), "Postcode") for p in client.sent} == {"9000"}


def test_all_workplaces_stop_on_a_token_that_comes_back(contract: zeep.Client) -> None:
    client = OfflineClient(contract, answer(E.Werkplekken(E.Vervolg("p2"))), answer(E.Werkplekken(E.Vervolg("p2"))))
    assert list(client.alle_werkplekken("BAKKER")) == []
    assert len(client.sent) == 2


# --- refusals and replies to something else ----------------------------------------------------------------


def test_an_uitzondering_in_the_antwoord_raises_client_fault_with_code_and_field(contract: zeep.Client) -> None:
    refused = _uitzonderingen(("WPD-1040", "De vestiging is niet erkend voor deze opleiding op de startdatum.",
                               "Vestigingsnummer", "FOUT"))
    client = OfflineClient(contract, answer(uitzonderingen=refused))
    with pytest.raises(ClientFault) as caught:
        client.registreer_overeenkomst(GEGEVENS)
    fault = caught.value
    assert (fault.code, fault.field, fault.faultcode) == ("WPD-1040", "Vestigingsnummer", "Client")
    assert fault.message == "De vestiging is niet erkend voor deze opleiding op de startdatum."


def test_a_context_refusal_in_the_repliek_raises_client_fault(contract: zeep.Client) -> None:
    refused = _uitzonderingen(("WPD-1003", "Deze dienst aanvaardt die hoedanigheid niet.", "Hoedanigheid", "FOUT"))
    client = OfflineClient(contract, answer(context_uitzonderingen=refused))
    with pytest.raises(ClientFault) as caught:
        client.geef_taken()
    assert (caught.value.code, caught.value.field) == ("WPD-1003", "Hoedanigheid")


def test_the_first_fout_is_raised_not_a_warning_before_it(contract: zeep.Client) -> None:
    mixed = _uitzonderingen(("WPD-1090", "Ter informatie.", None, "INFORMATIE"),
                            ("WPD-1047", "Onbekende aanvraag.", "Aanvraagnummer", "FOUT"))
    client = OfflineClient(contract, answer(uitzonderingen=mixed))
    with pytest.raises(ClientFault) as caught:
        client.geef_erkenningsaanvraag("EA00000099")
    assert (caught.value.code, caught.value.field) == ("WPD-1047", "Aanvraagnummer")


def test_a_warning_beside_an_inhoud_does_not_refuse(contract: zeep.Client) -> None:
    warning = _uitzonderingen(("WPD-1090", "De beslissing volgt binnen 14 dagen.", None, "WAARSCHUWING"))
    client = OfflineClient(contract, answer(_status_xml("TOEGEWEZEN"), uitzonderingen=warning))
    assert client.geef_erkenningsaanvraag("EA00000004").status is Aanvraagstatus.TOEGEWEZEN


@pytest.mark.parametrize("spoil", [{"ontvanger_referte": "someone-elses-referte"},
                                   {"ontvanger": "0423456765"},
                                   {"vraag_referte": "another-vraag"}])
def test_a_reply_to_another_request_is_not_trusted(contract: zeep.Client, spoil: dict[str, str]) -> None:
    client = OfflineClient(contract, answer(overeenkomst_xml(), **spoil))
    with pytest.raises(ResponseNotTrusted):
        client.registreer_overeenkomst(GEGEVENS)


def test_a_refusal_addressed_to_another_request_is_not_trusted_either(contract: zeep.Client) -> None:
    refused = _uitzonderingen(("WPD-1040", "Niet erkend.", "Vestigingsnummer", "FOUT"))
    client = OfflineClient(contract, answer(uitzonderingen=refused, ontvanger_referte="someone-elses-referte"))
    with pytest.raises(ResponseNotTrusted):
        client.registreer_overeenkomst(GEGEVENS)


# --- retries --------------------------------------------------------------------------------------------------


def _identity(payload: etree._Element) -> tuple[str, str, str, str]:
    bericht = _find(payload, "Verzoek/Context/Bericht")
    return (_text(bericht, "Afzender/Referte"), _text(bericht, "Tijdstip/Datum"), _text(bericht, "Tijdstip/Tijd"),
            _text(payload, "Verzoek/Vragen/Vraag/Referte"))


def test_a_retry_resends_the_same_message(contract: zeep.Client) -> None:
    clock = Clock()
    client = OfflineClient(contract, lost, answer(overeenkomst_xml()), answer(overeenkomst_xml()), clock=clock)
    with pytest.raises(requests.ConnectionError):
        client.registreer_overeenkomst(GEGEVENS)
    referte = client.last_referte
    assert referte is not None

    clock.now = NOW + dt.timedelta(minutes=3, seconds=7)
    retried = client.registreer_overeenkomst(GEGEVENS, referte=referte)
    client.registreer_overeenkomst(GEGEVENS)  # a new request, not a retry

    first, retry, new = client.sent
    assert etree.tostring(retry, method="c14n") == etree.tostring(first, method="c14n")
    assert _identity(retry) == _identity(first)
    assert _identity(first)[1:3] == ("2026-03-02", "09:15:30")
    assert _identity(new)[0] not in (referte,) and _identity(new)[3] != _identity(first)[3]
    assert _identity(new)[1:3] == ("2026-03-02", "09:18:37")
    assert retried.overeenkomstnummer == "OV00000007"


def test_a_retry_with_other_content_is_refused_before_sending(contract: zeep.Client) -> None:
    client = OfflineClient(contract, lost)
    with pytest.raises(requests.ConnectionError):
        client.beeindig_overeenkomst("OV00000007", dt.date(2026, 5, 29), "Stopt.")
    with pytest.raises(RequestNotValid) as caught:
        client.beeindig_overeenkomst("OV00000007", dt.date(2026, 5, 30), "Stopt.", referte=client.last_referte)
    assert caught.value.field == "Referte"
    assert len(client.sent) == 1


def test_a_chosen_referte_is_sent_as_given_and_then_kept(contract: zeep.Client) -> None:
    clock = Clock()
    client = OfflineClient(contract, lost, answer(overeenkomst_xml()), clock=clock)
    with pytest.raises(requests.ConnectionError):
        client.registreer_overeenkomst(GEGEVENS, referte="SIS-2026-000123")
    clock.now = NOW + dt.timedelta(seconds=40)
    client.registreer_overeenkomst(GEGEVENS, referte="SIS-2026-000123")
    assert _identity(client.sent[0])[0] == "SIS-2026-000123"
    assert _identity(client.sent[1]) == _identity(client.sent[0])


def test_a_referte_outside_the_contract_is_refused(contract: zeep.Client) -> None:
    client = OfflineClient(contract)
    with pytest.raises(RequestNotValid) as caught:
        client.registreer_overeenkomst(GEGEVENS, referte="not a referte!")
    assert caught.value.field == "Referte"
    assert client.sent == []


def test_only_the_last_requests_are_kept(contract: zeep.Client) -> None:
    clock = Clock()
    client = OfflineClient(contract, *[answer(overeenkomst_xml())] * 4, clock=clock, keep=2)
    refertes = []
    for step in range(3):
        clock.now = NOW + dt.timedelta(seconds=step)
        client.registreer_overeenkomst(GEGEVENS)
        refertes.append(client.last_referte)
    clock.now = NOW + dt.timedelta(seconds=10)
    client.registreer_overeenkomst(GEGEVENS, referte=refertes[0])  # forgotten: goes out with a fresh Tijdstip
    assert _identity(client.sent[3])[0] == refertes[0]
    assert _identity(client.sent[3])[2] == "09:15:40"
    assert _identity(client.sent[3])[3] != _identity(client.sent[0])[3]


def test_read_only_requests_are_not_kept_for_a_retry(contract: zeep.Client) -> None:
    einde = E.Beeindiging(E.Einddatum("2026-05-29"), E.Reden("Stopt."))
    client = OfflineClient(contract, answer(E.Overeenkomsten()), answer(overeenkomst_xml("VROEGTIJDIG_BEEINDIGD",
                                                                                          einde)))
    client.geef_overeenkomsten()
    referte = client.last_referte
    assert referte is not None
    # kept, the query would make this a changed retry (refused); not kept, it goes out as a new message
    client.beeindig_overeenkomst("OV00000007", dt.date(2026, 5, 29), "Stopt.", referte=referte)
    assert _identity(client.sent[1])[0] == referte
    assert _identity(client.sent[1])[3] != _identity(client.sent[0])[3]


def test_last_referte_is_per_thread(contract: zeep.Client) -> None:
    client = OfflineClient(contract, answer(E.Overeenkomsten()), answer(E.Overeenkomsten()))
    client.geef_overeenkomsten()
    mine = client.last_referte
    seen: list[str | None] = []

    def other() -> None:
        seen.append(client.last_referte)
        client.geef_overeenkomsten()
        seen.append(client.last_referte)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen[0] is None and seen[1] not in (None, mine)
    assert client.last_referte == mine


# --- construction --------------------------------------------------------------------------------------------


def test_the_client_speaks_magda_only(pki: DevPki) -> None:
    party = pki.party("provider-0412345614")
    credentials = Credentials.from_pem(party.chain, party.key, trust=pki.trust_bundle)
    with pytest.raises(ValueError, match="MAGDA"):
        WerkplekduaalClient("https://ketenserver.test:8443/werkplekduaal/2W-be-S", credentials)


def test_the_caller_must_hold_a_certificate_with_a_kbo_number(pki: DevPki) -> None:
    school = pki.party("school-25LX")  # a Dutch party: an OIN in its serialNumber
    credentials = Credentials.from_pem(school.chain, school.key, trust=pki.trust_bundle)
    with pytest.raises(ValueError, match="KBO"):
        WerkplekduaalClient("https://ketenserver.test:8443/werkplekduaal/MAGDA", credentials)


def test_an_empty_list_and_an_empty_search_are_answers_not_errors(contract: zeep.Client) -> None:
    client = OfflineClient(contract, answer(E.Overeenkomsten()), answer(E.Werkplekken()))
    assert client.geef_overeenkomsten() == ()
    assert client.zoek_werkplekken("KOK") == Werkplekkenpagina(())


def test_an_antwoord_without_inhoud_or_uitzondering_is_an_error(contract: zeep.Client) -> None:
    client = OfflineClient(contract, answer())
    with pytest.raises(KetenClientError, match="neither an Inhoud"):
        client.registreer_leertraject(JANA, "BAKKER", dt.date(2026, 3, 16))
