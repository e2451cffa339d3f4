"""VerzuimloketClient and VerzuimSynchroniser without a server.

The client runs with only the network cut out: zeep serialises each call from the published
WSDL exactly as it would send it, the request is validated against ``xsd/duo-verzuimloket.xsd``
and compared with the golden request, and the answer is a golden response
(``tests/golden/duo-verzuimloket/``) that zeep parses as it would parse the server's. The
synchroniser runs against an in-memory counter that pages like the real one.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any

import pytest
import zeep
from lxml import etree

from ketenclient import (
    Behandelaar,
    Bijlage,
    BijlageGegevens,
    Dagspecificatie,
    Gemeente,
    Intrekking,
    KetenClientError,
    Leerling,
    Melder,
    Meldingstatus,
    NieuweVerzuimmelding,
    Pagina,
    Periode,
    Registratie,
    Statuswijziging,
    Terugmelding,
    Verzuimdag,
    VerzuimloketClient,
    Verzuimmelding,
    Verzuimsoort,
    VerzuimSynchroniser,
    Woonadres,
)
from ketenclient.base import ZEEP_SETTINGS
from ketenclient.verzuim_sync import melding_naar_json, melding_uit_json
from ketenserver import contracts
from tests import factories

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "urn:ketenserver:duo:verzuimloket:1"


def _golden(name: str) -> etree._Element:
    return factories.golden("duo-verzuimloket", name, remove_blank_text=True)


def _shape(element: etree._Element) -> tuple[Any, ...]:
    """Tag, text and children: what two serialisations of one message share (not prefixes, not layout)."""
    return (element.tag, (element.text or "").strip(), tuple(_shape(child) for child in element))


@pytest.fixture(scope="module")
def contract() -> zeep.Client:
    return zeep.Client(str(contracts.wsdl_path("duo-verzuimloket")), settings=ZEEP_SETTINGS)


class OfflineClient(VerzuimloketClient):
    """The real client with the transport replaced by golden answers (one per call, in order)."""

    def __init__(self, contract: zeep.Client, *answers: etree._Element) -> None:
        self._resources = ExitStack()
        self._contract = contract
        self._answers = list(answers)
        self.sent: list[tuple[str, str | None, etree._Element]] = []

    def _call(self, operation_name: str, message_id: str | None = None, **kwargs: Any) -> Any:
        envelope = self._contract.create_message(self._contract.service, operation_name, **kwargs)
        payload = envelope.find(f"{{{SOAP_ENV}}}Body")[0]
        contracts.schema_for("duo-verzuimloket").assertValid(payload)
        self.sent.append((operation_name, message_id, payload))
        reply = etree.Element(f"{{{SOAP_ENV}}}Envelope")
        etree.SubElement(reply, f"{{{SOAP_ENV}}}Body").append(self._answers.pop(0))
        return self._contract.service._binding.get(operation_name).output.deserialize(reply)


PDF = base64.b64decode(_golden("IndienenVerzuimmelding.request.xml").findtext(f".//{{{TNS}}}Inhoud") or "")
SANNE = Leerling(voornamen="Sanne Maria", voorvoegsel="de", achternaam="Vries", geboortedatum=dt.date(2009, 5, 14),
                 bsn="999990019", woonadres=Woonadres("Oudegracht", 158, "3511 AB", "Utrecht", "bis"))
MELDER = Melder("verzuim@rocutrecht.example.nl", "Verzuimcoördinator", "Joke Bakker", "030 123 4567")
BEHANDELAAR = Behandelaar("Marieke Jansen", "030 286 0000", "leerplicht@utrecht.example.nl")
UTRECHT = Gemeente("0344", "Utrecht")
PDF_GEGEVENS = BijlageGegevens("verzuimoverzicht-februari.pdf", "application/pdf", 329,
                               "90931468894fc1e30c13a209196d41f85d0c86adf8256b809b4c58b4e654887e")
TERUGMELDING = Terugmelding(5, "2026000042", "In behandeling", BEHANDELAAR,
                            "Leerplichtambtenaar nodigt leerling en ouders uit voor een gesprek.",
                            dt.datetime(2026, 3, 10, 13, 5, tzinfo=dt.UTC))
NIEUW = NieuweVerzuimmelding(
    leerling=SANNE, brin="25LX", vestigingsnummer="01", schooljaar="2025-2026", niveau="MBO niveau 2",
    leerweg="BOL", voltijd=True, verzuimsoort=Verzuimsoort.ZESTIEN_UUR_O18,
    periode=Periode(dt.date(2026, 2, 2), dt.date(2026, 2, 27)),
    vermoedelijke_reden="Vermoedelijk problemen thuis; ouders melden de leerling niet ziek.",
    toelichting="Leerling mist vooral de eerste lesuren en soms hele dagen.",
    ondernomen_actie="Gesprek met leerling en ouders op 12 februari 2026.",
    toelichting_actie="Afspraken over aanwezigheid gemaakt; daarna opnieuw 9 lesuren verzuimd.",
    melder=MELDER, alle_lessen_verzuimd=False, bijlagen=(Bijlage("verzuimoverzicht-februari.pdf", PDF),),
)
IN_BEHANDELING = Verzuimmelding(
    meldingnummer="2026000042", wijzigingsvolgnummer=5, status="In behandeling",
    geregistreerd=dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.UTC), gemeente=UTRECHT, leerling=SANNE, brin="25LX",
    vestigingsnummer="01", schooljaar="2025-2026", niveau="MBO niveau 2", leerweg="BOL", voltijd=True,
    verzuimsoort="ZESTIEN_UUR_O18", periode=Periode(dt.date(2026, 2, 2), dt.date(2026, 2, 27)), melder=MELDER,
    alle_lessen_verzuimd=False, zichtbaar_voor_gemeente=True,
    vermoedelijke_reden=NIEUW.vermoedelijke_reden, toelichting=NIEUW.toelichting,
    ondernomen_actie=NIEUW.ondernomen_actie, toelichting_actie=NIEUW.toelichting_actie, bijlagen=(PDF_GEGEVENS,),
    verzuimdagen=(Verzuimdag(dt.date(2026, 2, 3), hele_dag=True), Verzuimdag(dt.date(2026, 2, 5), lesuren=(1, 2, 3)),
                  Verzuimdag(dt.date(2026, 2, 16), lesuren=(5, 6))),
    terugmeldingen=(TERUGMELDING,),
)


# --- requests and responses ----------------------------------------------------------------------------


def test_a_report_is_sent_as_the_contract_says_and_its_registration_comes_back(contract: zeep.Client) -> None:
    client = OfflineClient(contract, _golden("IndienenVerzuimmeldingResponse.geregistreerd.xml"))
    result = client.indienen_verzuimmelding(NIEUW, message_id="urn:uuid:retry")
    operation, message_id, payload = client.sent[0]
    assert (operation, message_id) == ("IndienenVerzuimmelding", "urn:uuid:retry")
    assert _shape(payload) == _shape(_golden("IndienenVerzuimmelding.request.xml"))
    assert result == Registratie("2026000042", "Geregistreerd", dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.UTC),
                                 UTRECHT, (PDF_GEGEVENS,))
    assert result.status == Meldingstatus.GEREGISTREERD and result.vorig_meldingnummer is None


def test_a_report_without_attachments_or_optional_texts_leaves_them_out(contract: zeep.Client) -> None:
    client = OfflineClient(contract, _golden("IndienenVerzuimmeldingResponse.geregistreerd.xml"))
    bare = dataclasses.replace(NIEUW, bijlagen=(), vermoedelijke_reden=None, toelichting=None,
                               ondernomen_actie=None, toelichting_actie=None,
                               leerling=dataclasses.replace(SANNE, bsn=None, onderwijsnummer="101234567"))
    client.indienen_verzuimmelding(bare)
    payload = client.sent[0][2]
    present = {etree.QName(child).localname for child in payload}
    assert not present & {"Bijlagen", "VermoedelijkeReden", "Toelichting", "OndernomenActie", "ToelichtingActie"}
    assert payload.findtext(f"{{{TNS}}}Leerling/{{{TNS}}}Onderwijsnummer") == "101234567"
    assert payload.find(f"{{{TNS}}}Leerling/{{{TNS}}}Bsn") is None


def test_day_specification_whole_days_and_lesson_hours(contract: zeep.Client) -> None:
    client = OfflineClient(contract, _golden("AanleverenVerzuimdagspecificatieResponse.aangeleverd.xml"))
    result = client.aanleveren_verzuimdagspecificatie("2026000042", [
        Verzuimdag(dt.date(2026, 2, 3), hele_dag=True), Verzuimdag(dt.date(2026, 2, 5), lesuren=(1, 2, 3)),
        Verzuimdag(dt.date(2026, 2, 16), lesuren=(5, 6))])
    expected = _golden("AanleverenVerzuimdagspecificatie.request.xml")
    for explicit_false in expected.iterfind(f".//{{{TNS}}}HeleDag"):
        if explicit_false.text == "false":  # the client leaves HeleDag out for lesson hours: the same to the counter
            explicit_false.getparent().remove(explicit_false)
    assert _shape(client.sent[0][2]) == _shape(expected)
    assert result == Dagspecificatie("2026000042", 3, True)
    with pytest.raises(ValueError, match="at least one"):
        client.aanleveren_verzuimdagspecificatie("2026000042", [])  # refused here, not by zeep's own exception


def test_a_follow_up_report_names_its_predecessor(contract: zeep.Client) -> None:
    client = OfflineClient(contract, _golden("KlonenVerzuimmeldingResponse.geregistreerd.xml"))
    result = client.klonen_verzuimmelding(
        "2026000042", Periode(dt.date(2026, 3, 2), dt.date(2026, 3, 6)),
        toelichting="Verzuim houdt aan: de hele week niet op school verschenen.", alle_lessen_verzuimd=True)
    assert _shape(client.sent[0][2]) == _shape(_golden("KlonenVerzuimmelding.request.xml"))
    assert result == Registratie("2026000057", "Geregistreerd", dt.datetime(2026, 3, 9, 10, tzinfo=dt.UTC), UTRECHT,
                                 (), vorig_meldingnummer="2026000042")


def test_withdrawal(contract: zeep.Client) -> None:
    client = OfflineClient(contract, _golden("IntrekkenVerzuimmeldingResponse.ingetrokken.xml"))
    reden = "Ten onrechte gemeld: de leerling had die week een medische verklaring."
    assert client.intrekken_verzuimmelding("2026000057", reden) == Statuswijziging("2026000057", "Ingetrokken")
    assert _shape(client.sent[0][2]) == _shape(_golden("IntrekkenVerzuimmelding.request.xml"))


def test_a_report_read_back_with_days_attachments_and_replies(contract: zeep.Client) -> None:
    client = OfflineClient(contract, _golden("OpvragenVerzuimmeldingResponse.in-behandeling.xml"))
    melding = client.opvragen_verzuimmelding("2026000042")
    assert _shape(client.sent[0][2]) == _shape(_golden("OpvragenVerzuimmelding.request.xml"))
    assert melding == IN_BEHANDELING
    assert type(melding.leerling.geboortedatum) is dt.date and type(melding.wijzigingsvolgnummer) is int
    assert melding.leerling.woonadres.huisnummer == 158 and melding.intrekking is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        melding.status = "Afgesloten"  # type: ignore[misc]


def test_a_page_of_changes_with_a_withdrawn_follow_up(contract: zeep.Client) -> None:
    client = OfflineClient(contract, _golden("SynchroniserenVerzuimmeldingenResponse.meer.xml"))
    page = client.synchroniseren_verzuimmeldingen(3, pagina_grootte=1)
    assert _shape(client.sent[0][2]) == _shape(_golden("SynchroniserenVerzuimmeldingen.request.xml"))
    assert (page.cursor, page.meer, len(page.items)) == (4, True, 1)
    (melding,) = page.items
    assert (melding.status, melding.vorig_meldingnummer, melding.wijzigingsvolgnummer) == ("Ingetrokken",
                                                                                          "2026000042", 4)
    assert melding.intrekking == Intrekking("Ten onrechte gemeld: de leerling had die week een medische verklaring.",
                                            dt.datetime(2026, 3, 9, 14, 30, tzinfo=dt.UTC))
    assert melding.bijlagen == () and melding.verzuimdagen == () and melding.terugmeldingen == ()
    assert not melding.zichtbaar_voor_gemeente and melding.alle_lessen_verzuimd


KENNISGEVING = Terugmelding(7, "2026000031", "Ter kennisgeving aangenomen",
                            Behandelaar("Ahmed El Amrani", "+31 30 400 1234", "leerplicht@rmc-utrecht.example.nl"),
                            "Verzuim is verklaard door ziekenhuisopname; geen verdere actie.",
                            dt.datetime(2026, 3, 10, 14, 40, tzinfo=dt.UTC))


def test_a_page_of_replies(contract: zeep.Client) -> None:
    client = OfflineClient(contract, _golden("OphalenTerugmeldingenResponse.terugmeldingen.xml"))
    assert client.ophalen_terugmeldingen() == Pagina((TERUGMELDING, KENNISGEVING), 7, False)
    assert _shape(client.sent[0][2]) == _shape(_golden("OphalenTerugmeldingen.request.xml"))


def _final_page(element: str, cursor: int) -> etree._Element:
    return etree.fromstring(f'<r:{element} xmlns:r="{TNS}"><r:VolgendeCursor>{cursor}</r:VolgendeCursor>'
                            f"<r:Meer>false</r:Meer></r:{element}>")


def test_the_iterators_follow_the_cursor_until_nothing_more_waits(contract: zeep.Client) -> None:
    client = OfflineClient(contract, _golden("SynchroniserenVerzuimmeldingenResponse.meer.xml"),
                           _final_page("SynchroniserenVerzuimmeldingenResponse", 4))
    assert [m.meldingnummer for m in client.alle_wijzigingen(3, pagina_grootte=1)] == ["2026000057"]
    cursors = [payload.findtext(f"{{{TNS}}}Cursor") for _, _, payload in client.sent]
    assert cursors == ["3", "4"]
    replies = OfflineClient(contract, _golden("OphalenTerugmeldingenResponse.terugmeldingen.xml"))
    assert list(replies.alle_terugmeldingen()) == [TERUGMELDING, KENNISGEVING]
    assert len(replies.sent) == 1  # Meer false: no second request


def test_an_attachment_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "brief.pdf").write_bytes(PDF)
    assert Bijlage.uit_bestand(tmp_path / "brief.pdf") == Bijlage("brief.pdf", PDF)
    assert Bijlage.uit_bestand(tmp_path / "brief.pdf", "verzuim.pdf").bestandsnaam == "verzuim.pdf"
    assert "JVBER" not in repr(Bijlage("x.pdf", PDF)) and "%PDF" not in repr(Bijlage("x.pdf", PDF))


# --- the synchroniser -------------------------------------------------------------------------------------


class FakeCounter:
    """Pages like the counter: items after the cursor in change order; the reply's cursor is the last
    item's number, or the school's last change when nothing is newer."""

    def __init__(self) -> None:
        self.last = 0
        self.reports: dict[str, Verzuimmelding] = {}
        self.replies: list[Terugmelding] = []
        self.calls: list[tuple[str, int]] = []

    def change(self, melding: Verzuimmelding, **changes: Any) -> Verzuimmelding:
        self.last += 1
        changed = dataclasses.replace(melding, wijzigingsvolgnummer=self.last, **changes)
        self.reports[changed.meldingnummer] = changed
        return changed

    def reply(self, meldingnummer: str, status: str) -> None:
        self.last += 1
        self.replies.append(dataclasses.replace(TERUGMELDING, volgnummer=self.last, meldingnummer=meldingnummer,
                                                status=status))
        self.change(self.reports[meldingnummer], status=status,
                    terugmeldingen=(*self.reports[meldingnummer].terugmeldingen, self.replies[-1]))

    def _page(self, items: list[Any], number: str, cursor: int, size: int | None) -> Pagina[Any]:
        after = sorted((i for i in items if getattr(i, number) > cursor), key=lambda i: getattr(i, number))
        size = size or 100
        page = tuple(after[:size])
        return Pagina(page, getattr(page[-1], number) if page else max(cursor, self.last), len(after) > size)

    def synchroniseren_verzuimmeldingen(self, cursor: int = 0, pagina_grootte: int | None = None
                                        ) -> Pagina[Verzuimmelding]:
        self.calls.append(("meldingen", cursor))
        return self._page(list(self.reports.values()), "wijzigingsvolgnummer", cursor, pagina_grootte)

    def ophalen_terugmeldingen(self, cursor: int = 0, pagina_grootte: int | None = None) -> Pagina[Terugmelding]:
        self.calls.append(("terugmeldingen", cursor))
        return self._page(self.replies, "volgnummer", cursor, pagina_grootte)


def _melding(number: int) -> Verzuimmelding:
    return dataclasses.replace(IN_BEHANDELING, meldingnummer=f"2026{number:06d}", status="Geregistreerd",
                               terugmeldingen=())


@pytest.fixture
def counter() -> FakeCounter:
    counter = FakeCounter()
    for number in range(1, 6):
        counter.change(_melding(number))
    counter.reply("2026000002", "In behandeling")
    return counter


@pytest.fixture
def mirror(tmp_path: Path, counter: FakeCounter) -> Iterator[VerzuimSynchroniser]:
    with VerzuimSynchroniser(counter, tmp_path / "verzuim.sqlite", pagina_grootte=2) as synchroniser:
        yield synchroniser


def test_a_report_survives_the_json_of_the_mirror() -> None:
    for melding in (IN_BEHANDELING, dataclasses.replace(IN_BEHANDELING, intrekking=Intrekking(
            "weg", dt.datetime(2026, 3, 9, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))))):
        assert melding_uit_json(melding_naar_json(melding)) == melding


def test_the_mirror_holds_what_the_counter_holds(mirror: VerzuimSynchroniser, counter: FakeCounter) -> None:
    result = mirror.synchronise()
    assert (result.verzuimmeldingen, result.terugmeldingen) == (5, 1)
    assert (result.cursor_verzuimmeldingen, result.cursor_terugmeldingen) == (7, 6)
    assert mirror.verzuimmeldingen() == tuple(sorted(counter.reports.values(), key=lambda m: m.meldingnummer))
    assert mirror.terugmeldingen() == tuple(counter.replies) == mirror.terugmeldingen("2026000002")
    assert mirror.terugmeldingen("2026000001") == () and mirror.verzuimmelding("2026999999") is None
    counter.reply("2026000004", "Ter kennisgeving aangenomen")
    counter.change(counter.reports["2026000001"], status="Ingetrokken")
    again = mirror.synchronise()
    assert (again.verzuimmeldingen, again.terugmeldingen) == (2, 1)
    assert mirror.verzuimmeldingen() == tuple(sorted(counter.reports.values(), key=lambda m: m.meldingnummer))
    assert [t.volgnummer for t in mirror.terugmeldingen()] == [6, 8]
    nothing_new = mirror.synchronise()
    assert (nothing_new.verzuimmeldingen, nothing_new.terugmeldingen) == (0, 0)
    assert counter.calls[-2:] == [("meldingen", 10), ("terugmeldingen", 8)]  # one request each: nothing waits


def test_a_run_that_breaks_off_keeps_whole_pages_and_resumes(mirror: VerzuimSynchroniser, counter: FakeCounter,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    original = counter.synchroniseren_verzuimmeldingen

    def fails_on_the_second_page(cursor: int = 0, pagina_grootte: int | None = None) -> Pagina[Verzuimmelding]:
        if cursor > 0:
            raise ConnectionError("connection lost")
        return original(cursor, pagina_grootte)

    monkeypatch.setattr(counter, "synchroniseren_verzuimmeldingen", fails_on_the_second_page)
    with pytest.raises(ConnectionError):
        mirror.synchronise()
    assert [m.meldingnummer for m in mirror.verzuimmeldingen()] == ["2026000001", "2026000003"]
    assert mirror.cursors() == {"verzuimmeldingen": 3, "terugmeldingen": 0}
    monkeypatch.setattr(counter, "synchroniseren_verzuimmeldingen", original)
    before = len(counter.calls)
    result = mirror.synchronise()
    assert result.verzuimmeldingen == 3 and counter.calls[before] == ("meldingen", 3)
    assert mirror.verzuimmeldingen() == tuple(sorted(counter.reports.values(), key=lambda m: m.meldingnummer))


def test_a_page_is_stored_with_its_cursor_or_not_at_all(mirror: VerzuimSynchroniser, counter: FakeCounter,
                                                        tmp_path: Path) -> None:
    stored = mirror._store_meldingen
    pages = 0

    def crashes_while_storing_the_second_page(meldingen: Any) -> None:
        nonlocal pages
        pages += 1
        stored(meldingen)  # written inside the transaction...
        if pages == 2:
            raise RuntimeError("process killed")  # ...and rolled back with it

    mirror._store_meldingen = crashes_while_storing_the_second_page  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        mirror.synchronise()
    with closing(sqlite3.connect(tmp_path / "verzuim.sqlite")) as other:  # what another process sees
        assert other.execute("SELECT count(*) FROM verzuimmeldingen").fetchone() == (2,)
        assert other.execute("SELECT cursor FROM cursors WHERE stroom = 'verzuimmeldingen'").fetchone() == (3,)
    mirror._store_meldingen = stored  # type: ignore[method-assign]
    assert mirror.synchronise().cursor_verzuimmeldingen == 7
    assert len(mirror.verzuimmeldingen()) == 5


def test_an_older_version_never_replaces_a_newer_one(mirror: VerzuimSynchroniser, counter: FakeCounter) -> None:
    mirror.synchronise()
    newest = mirror.verzuimmelding("2026000002")
    assert newest is not None and newest.status == "In behandeling"
    mirror._store_meldingen([_melding(2)])  # an old page from a slower process, say
    assert mirror.verzuimmelding("2026000002") == newest


def test_reports_the_counter_cleaned_up_stay_in_the_mirror(mirror: VerzuimSynchroniser, counter: FakeCounter) -> None:
    mirror.synchronise()
    del counter.reports["2026000002"]
    counter.replies.clear()
    mirror.synchronise()
    assert mirror.verzuimmelding("2026000002") is not None
    assert [t.meldingnummer for t in mirror.terugmeldingen()] == ["2026000002"]


def test_the_mirror_resumes_from_the_file_in_a_new_process(tmp_path: Path, counter: FakeCounter) -> None:
    path = tmp_path / "verzuim.sqlite"
    with VerzuimSynchroniser(counter, path) as first:
        first.synchronise()
    counter.change(counter.reports["2026000005"], status="Ingetrokken")
    with VerzuimSynchroniser(counter, path) as second:
        assert second.synchronise().verzuimmeldingen == 1
        melding = second.verzuimmelding("2026000005")
        assert melding is not None and melding.status == "Ingetrokken"


def test_a_file_of_other_tables_or_a_bad_page_size_is_refused(tmp_path: Path, counter: FakeCounter) -> None:
    path = tmp_path / "school.sqlite"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE leerlingen (id INTEGER)")
        db.commit()
    with pytest.raises(KetenClientError):
        VerzuimSynchroniser(counter, path)
    with pytest.raises(ValueError, match="pagina_grootte"):
        VerzuimSynchroniser(counter, tmp_path / "x.sqlite", pagina_grootte=501)
