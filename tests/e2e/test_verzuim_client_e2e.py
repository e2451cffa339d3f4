"""DUO Verzuimloket through the client and its synchroniser, over the real server with mutual TLS.

Every test reports students of its own (fresh BSNs: ``factories.bsn``), so the
counter's one-report-per-student-kind-and-period rule (VZL-1015) never joins two tests. Periods
lie in the past of the real clock; a school's sandbox clock only ever runs ahead of it, so they
never lie in the future of the counter either.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ketenclient import (
    Bijlage,
    ClientFault,
    Dagspecificatie,
    Gemeente,
    Leerling,
    Melder,
    Meldingstatus,
    NieuweVerzuimmelding,
    Pagina,
    Periode,
    Statuswijziging,
    Verzuimdag,
    VerzuimloketClient,
    Verzuimmelding,
    Verzuimsoort,
    VerzuimSynchroniser,
    Woonadres,
)
from ketenserver.absence import domain, handling, storage
from ketenserver.recognitions.domain import dutch_date
from tests import factories

TODAY = dutch_date(dt.datetime.now(dt.UTC))
EARLIER = Periode(TODAY - dt.timedelta(days=40), TODAY - dt.timedelta(days=30))
SCHOOL_YEAR = f"{TODAY.year - 1}-{TODAY.year}" if TODAY.month < 8 else f"{TODAY.year}-{TODAY.year + 1}"
PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
UTRECHT = Gemeente("0344", "Utrecht")


def _client(base_url: str, pki: Any, party: str, profile: str = "2W-be-S") -> VerzuimloketClient:
    return VerzuimloketClient(f"{base_url}/duo-verzuimloket/{profile}", factories.credentials(pki, party))


@pytest.fixture(scope="module")
def school(base_url, pki):
    with _client(base_url, pki, "school-25LX") as client:
        yield client


@pytest.fixture(scope="module")
def other(base_url, pki):
    with _client(base_url, pki, "school-30AB") as client:
        yield client


def _melding(*, bsn: str | None = None, brin: str = "25LX", periode: Periode = EARLIER,
             bijlagen: tuple[Bijlage, ...] = ()) -> NieuweVerzuimmelding:
    leerling = Leerling(voornamen="Sanne", voorvoegsel="de", achternaam="Vries",
                        geboortedatum=TODAY - dt.timedelta(days=15 * 365 + 100), bsn=bsn or factories.bsn(),
                        woonadres=Woonadres("Oudegracht", 158, "3511 AB", "Utrecht", "bis"))
    return NieuweVerzuimmelding(
        leerling=leerling, brin=brin, vestigingsnummer="01", schooljaar=SCHOOL_YEAR, niveau="MBO niveau 2",
        leerweg="BOL", voltijd=True, verzuimsoort=Verzuimsoort.DRIE_DAGEN, periode=periode,
        melder=Melder("verzuim@rocdemo.example.nl", "Verzuimcoördinator", "Joke Bakker", "030 123 4567"),
        alle_lessen_verzuimd=False, vermoedelijke_reden="Ouders melden de leerling niet ziek.",
        bijlagen=bijlagen,
    )


def _reply(engine, settings, meldingnummer: str, status: domain.Status) -> None:
    """The municipality replies now (as ``ketenserver duo terugmelden`` does)."""
    with Session(engine) as session:
        handling.force_reply(session, meldingnummer, status, now=dt.datetime.now(dt.UTC),
                             rules=handling.Rules.from_settings(settings))
        session.commit()


def _fault(call: Any) -> ClientFault:
    with pytest.raises(ClientFault) as caught:
        call()
    return caught.value


# --- reporting ------------------------------------------------------------------------------------


def test_submit_with_an_attachment_specify_days_read_back_and_withdraw(school):
    melding = _melding(bijlagen=(Bijlage("verzuimoverzicht.pdf", PDF),))
    registratie = school.indienen_verzuimmelding(melding)
    assert registratie.status == Meldingstatus.GEREGISTREERD and registratie.gemeente == UTRECHT
    assert registratie.meldingnummer.startswith(str(registratie.geregistreerd.year))
    (bijlage,) = registratie.bijlagen
    assert (bijlage.bestandsnaam, bijlage.inhoudstype, bijlage.grootte, bijlage.sha256) == (
        "verzuimoverzicht.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest())
    nr = registratie.meldingnummer

    dagen = (Verzuimdag(EARLIER.begindatum, hele_dag=True),
             Verzuimdag(EARLIER.begindatum + dt.timedelta(days=1), lesuren=(1, 2, 3)))
    assert school.aanleveren_verzuimdagspecificatie(nr, dagen) == Dagspecificatie(nr, 2, True)
    replaced = Verzuimdag(EARLIER.begindatum + dt.timedelta(days=1), lesuren=(4,))
    assert school.aanleveren_verzuimdagspecificatie(nr, [replaced]).aantal_dagen == 2  # the same date: replaced

    held = school.opvragen_verzuimmelding(nr)
    assert (held.meldingnummer, held.status, held.gemeente, held.geregistreerd) == (
        nr, "Geregistreerd", UTRECHT, registratie.geregistreerd)
    assert held.leerling == dataclasses.replace(  # the counter keeps the postcode normalised
        melding.leerling, woonadres=dataclasses.replace(melding.leerling.woonadres, postcode="3511AB"))
    assert (held.brin, held.vestigingsnummer, held.schooljaar, held.verzuimsoort) == (
        "25LX", "01", SCHOOL_YEAR, "DRIE_DAGEN")
    assert (held.periode, held.melder, held.vermoedelijke_reden) == (EARLIER, melding.melder,
                                                                     melding.vermoedelijke_reden)
    assert held.bijlagen == registratie.bijlagen and held.zichtbaar_voor_gemeente
    assert held.verzuimdagen == (dagen[0], replaced)
    assert held.vorig_meldingnummer is None and held.intrekking is None and held.terugmeldingen == ()

    reden = "Ten onrechte gemeld: medische verklaring ontvangen."
    assert school.intrekken_verzuimmelding(nr, reden) == Statuswijziging(nr, "Ingetrokken")
    withdrawn = school.opvragen_verzuimmelding(nr)
    assert withdrawn.status == Meldingstatus.INGETROKKEN and withdrawn.intrekking is not None
    assert withdrawn.intrekking.reden == reden
    assert withdrawn.wijzigingsvolgnummer > held.wijzigingsvolgnummer
    for again in (lambda: school.intrekken_verzuimmelding(nr, reden),
                  lambda: school.aanleveren_verzuimdagspecificatie(nr, dagen[:1])):
        fault = _fault(again)
        assert (fault.code, fault.field) == ("VZL-1016", "Meldingnummer")


def test_a_follow_up_report_continues_after_the_earlier_period(school):
    earlier = school.indienen_verzuimmelding(_melding())
    later = Periode(EARLIER.einddatum + dt.timedelta(days=3), EARLIER.einddatum + dt.timedelta(days=9))
    clone = school.klonen_verzuimmelding(earlier.meldingnummer, later, toelichting="Verzuim houdt aan.",
                                         alle_lessen_verzuimd=True)
    assert clone.vorig_meldingnummer == earlier.meldingnummer and clone.meldingnummer != earlier.meldingnummer
    assert clone.status == "Geregistreerd" and clone.gemeente == UTRECHT and clone.bijlagen == ()
    assert school.klonen_verzuimmelding(earlier.meldingnummer, later, toelichting="Verzuim houdt aan.",
                                        alle_lessen_verzuimd=True, message_id=school.last_message_id) == clone
    held = school.opvragen_verzuimmelding(clone.meldingnummer)
    original = school.opvragen_verzuimmelding(earlier.meldingnummer)
    assert (held.periode, held.toelichting, held.alle_lessen_verzuimd) == (later, "Verzuim houdt aan.", True)
    assert held.vorig_meldingnummer == earlier.meldingnummer
    assert (held.leerling, held.melder, held.vermoedelijke_reden) == (original.leerling, original.melder,
                                                                      original.vermoedelijke_reden)
    overlapping = Periode(EARLIER.einddatum, EARLIER.einddatum + dt.timedelta(days=2))
    fault = _fault(lambda: school.klonen_verzuimmelding(earlier.meldingnummer, overlapping))
    assert (fault.code, fault.field) == ("VZL-1017", "Begindatum")
    school.intrekken_verzuimmelding(clone.meldingnummer, "Dubbel gemeld.")
    after = Periode(later.einddatum + dt.timedelta(days=1), later.einddatum + dt.timedelta(days=2))
    fault = _fault(lambda: school.klonen_verzuimmelding(clone.meldingnummer, after))
    assert fault.code == "VZL-1016"


@pytest.mark.parametrize("profile", ["2W-be-S", "2W-be"])
def test_both_profiles_reach_the_counter(base_url, pki, profile):
    with _client(base_url, pki, "school-25LX", profile) as client:
        nr = client.indienen_verzuimmelding(_melding()).meldingnummer
        assert client.opvragen_verzuimmelding(nr).meldingnummer == nr


FUTURE = Periode(TODAY + dt.timedelta(days=400), TODAY + dt.timedelta(days=401))


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"bsn": "123456789"}, "VZL-1001", "Bsn"),                        # fails the 11-test
    ({"brin": "30AB"}, "VZL-1004", "Brin"),                           # the other demo school's BRIN
    ({"periode": FUTURE}, "VZL-1006", "Begindatum"),
    ({"periode": Periode(EARLIER.einddatum, EARLIER.begindatum)}, "VZL-1007", "Einddatum"),
    ({"bijlagen": (Bijlage("brief.pdf", b"not a pdf at all"),)}, "VZL-1009", "Inhoud"),
])
def test_refusals_are_typed_with_code_and_field(school, change, code, field):
    fault = _fault(lambda: school.indienen_verzuimmelding(_melding(**change)))
    assert (fault.code, fault.field, fault.faultcode) == (code, field, "Client")
    assert fault.message and "123456789" not in fault.message  # no personal data echoed


def test_a_day_outside_the_period_is_refused(school):
    nr = school.indienen_verzuimmelding(_melding()).meldingnummer
    fault = _fault(lambda: school.aanleveren_verzuimdagspecificatie(
        nr, [Verzuimdag(EARLIER.einddatum + dt.timedelta(days=1), hele_dag=True)]))
    assert (fault.code, fault.field) == ("VZL-1013", "Datum")


def test_another_schools_report_is_unknown(school, other):
    nr = school.indienen_verzuimmelding(_melding()).meldingnummer
    for attempt in (lambda: other.opvragen_verzuimmelding(nr),
                    lambda: other.intrekken_verzuimmelding(nr, "Niet van ons.")):
        fault = _fault(attempt)
        assert (fault.code, fault.field) == ("VZL-1012", "Meldingnummer")
    unknown = _fault(lambda: other.opvragen_verzuimmelding("2000999999"))
    assert unknown.code == "VZL-1012" and unknown.message == fault.message  # indistinguishable
    assert nr not in {m.meldingnummer for m in other.alle_wijzigingen()}
    assert school.opvragen_verzuimmelding(nr).status == "Geregistreerd"


def test_a_retry_with_the_same_message_id_registers_once(school):
    melding = _melding()
    first = school.indienen_verzuimmelding(melding)
    message_id = school.last_message_id
    assert message_id is not None
    assert school.indienen_verzuimmelding(melding, message_id=message_id) == first
    fresh = _fault(lambda: school.indienen_verzuimmelding(melding))  # a new request: the same report again
    assert (fresh.code, fresh.field) == ("VZL-1015", "Periode") and first.meldingnummer in fresh.message


def test_the_municipalitys_replies_reach_the_school(school, engine, settings):
    nr = school.indienen_verzuimmelding(_melding()).meldingnummer
    _reply(engine, settings, nr, domain.Status.IN_BEHANDELING)
    _reply(engine, settings, nr, domain.Status.AFGESLOTEN)
    replies = [t for t in school.alle_terugmeldingen(0, pagina_grootte=50) if t.meldingnummer == nr]
    assert [t.status for t in replies] == ["In behandeling", "Afgesloten"]
    assert replies[0].volgnummer < replies[1].volgnummer and replies[0].behandelaar == replies[1].behandelaar
    assert replies[0].behandelaar.email.startswith("leerplicht@") and replies[0].toelichting
    held = school.opvragen_verzuimmelding(nr)
    assert held.status == Meldingstatus.AFGESLOTEN and held.terugmeldingen == tuple(replies)
    assert held.wijzigingsvolgnummer == replies[-1].volgnummer
    fault = _fault(lambda: school.intrekken_verzuimmelding(nr, "Te laat."))
    assert fault.code == "VZL-1016"
    page = school.ophalen_terugmeldingen(replies[0].volgnummer - 1, pagina_grootte=1)
    assert isinstance(page, Pagina) and page.items == (replies[0],) and page.cursor == replies[0].volgnummer


def test_a_cursor_the_counter_never_issued_is_refused(school):
    school.indienen_verzuimmelding(_melding())
    last = school.synchroniseren_verzuimmeldingen(0, pagina_grootte=500)
    while last.meer:
        last = school.synchroniseren_verzuimmeldingen(last.cursor, pagina_grootte=500)
    fault = _fault(lambda: school.synchroniseren_verzuimmeldingen(last.cursor + 1_000_000))
    assert (fault.code, fault.field) == ("VZL-1018", "Cursor")


# --- the synchroniser ----------------------------------------------------------------------------------


def _assert_mirrors(mirror: VerzuimSynchroniser, client: VerzuimloketClient) -> None:
    """Every report and reply the counter holds is in the mirror, as the counter holds it."""
    server = {m.meldingnummer: m for m in client.alle_wijzigingen(0, pagina_grootte=500)}
    replies = list(client.alle_terugmeldingen(0, pagina_grootte=500))
    mirror.synchronise()  # anything the municipalities did in between comes in now, with a higher number
    for nr, held in server.items():
        mine = mirror.verzuimmelding(nr)
        assert mine is not None and (mine == held or mine.wijzigingsvolgnummer > held.wijzigingsvolgnummer)
    stored = {t.volgnummer: t for t in mirror.terugmeldingen()}
    assert all(stored[t.volgnummer] == t for t in replies)
    assert len(mirror.verzuimmeldingen()) >= len(server)


def _clean_up(engine, meldingnummer: str) -> None:
    """DUO's schoning of one closed report with all it holds (the clean-up job acts on every closed
    report of the school past 180 days; here only on this one, to leave other tests' reports be)."""
    with Session(engine) as session:
        row = storage.find_report_anywhere(session, meldingnummer)
        assert row is not None and row.status in domain.CLOSED
        session.delete(row)
        session.commit()


def test_the_mirror_follows_the_counter_and_keeps_what_was_cleaned_up(school, engine, settings, tmp_path):
    first, second = (school.indienen_verzuimmelding(_melding()).meldingnummer for _ in range(2))
    with VerzuimSynchroniser(school, tmp_path / "verzuim.sqlite", pagina_grootte=7) as mirror:
        result = mirror.synchronise()
        assert result.verzuimmeldingen >= 2
        assert mirror.verzuimmelding(first) == school.opvragen_verzuimmelding(first)
        _assert_mirrors(mirror, school)

        school.aanleveren_verzuimdagspecificatie(first, [Verzuimdag(EARLIER.einddatum, hele_dag=True)])
        _reply(engine, settings, second, domain.Status.TER_KENNISGEVING)
        again = mirror.synchronise()
        assert again.verzuimmeldingen >= 2 and again.terugmeldingen >= 1
        assert again.cursor_verzuimmeldingen >= result.cursor_verzuimmeldingen
        for nr in (first, second):
            assert mirror.verzuimmelding(nr) == school.opvragen_verzuimmelding(nr)
        (reply,) = mirror.terugmeldingen(second)
        assert reply.status == "Ter kennisgeving aangenomen"
        assert mirror.verzuimmelding(second).terugmeldingen == (reply,)
        _assert_mirrors(mirror, school)

        kept = mirror.verzuimmelding(second)
        _clean_up(engine, second)
        assert _fault(lambda: school.opvragen_verzuimmelding(second)).code == "VZL-1012"
        mirror.synchronise()
        assert mirror.verzuimmelding(second) == kept and mirror.terugmeldingen(second) == (reply,)


class Killed(Exception):
    """The school system's process dies."""


class CrashingAfterFirstPage:
    """The client, with the process 'killed' when it asks for the second page of reports."""

    def __init__(self, client: VerzuimloketClient) -> None:
        self.client = client
        self.pages = 0

    def synchroniseren_verzuimmeldingen(self, cursor: int = 0, pagina_grootte: int | None = None
                                        ) -> Pagina[Verzuimmelding]:
        self.pages += 1
        if self.pages > 1:
            raise Killed()
        return self.client.synchroniseren_verzuimmeldingen(cursor, pagina_grootte)

    def ophalen_terugmeldingen(self, cursor: int = 0, pagina_grootte: int | None = None) -> Any:
        raise AssertionError("not reached")


def test_a_synchronisation_that_crashes_resumes_without_loss_or_doubles(school, engine, settings, tmp_path):
    made = [school.indienen_verzuimmelding(_melding()).meldingnummer for _ in range(3)]
    _reply(engine, settings, made[0], domain.Status.IN_BEHANDELING)
    path = tmp_path / "verzuim.sqlite"
    crashing = CrashingAfterFirstPage(school)
    with VerzuimSynchroniser(crashing, path, pagina_grootte=1) as mirror, pytest.raises(Killed):
        mirror.synchronise()
    with VerzuimSynchroniser(school, path, pagina_grootte=2) as mirror:
        (only,) = mirror.verzuimmeldingen()  # the first page, and nothing of the second
        assert mirror.cursors() == {"verzuimmeldingen": only.wijzigingsvolgnummer, "terugmeldingen": 0}
        resumed = mirror.synchronise()
        server = {m.meldingnummer: m for m in school.alle_wijzigingen(0, pagina_grootte=500)}
        replies = {t.volgnummer for t in school.alle_terugmeldingen(0, pagina_grootte=500)}
        assert resumed.verzuimmeldingen >= len(server) - 1  # all but the one stored before the crash
        assert {m.meldingnummer for m in mirror.verzuimmeldingen()} >= set(server) >= set(made)
        assert len(mirror.verzuimmeldingen()) == len({m.meldingnummer for m in mirror.verzuimmeldingen()})
        assert {t.volgnummer for t in mirror.terugmeldingen()} >= replies
        assert len(mirror.terugmeldingen()) == resumed.terugmeldingen  # each reply stored once
        _assert_mirrors(mirror, school)


def test_a_request_that_breaks_the_contract_is_refused_typed_before_it_is_sent(school):
    from ketenclient import RequestNotValid

    before = school.last_message_id
    with pytest.raises(RequestNotValid) as caught:
        school.intrekken_verzuimmelding("2026000001", None)  # type: ignore[arg-type]  # Reden is required
    assert caught.value.field == "Reden" and isinstance(caught.value, ValueError)
    assert school.last_message_id == before  # nothing went out
