"""Recognition requests and recognitions over the tables: filing, routing, deciding, withdrawal and appeal, the seed.

Every request is the filing organisation's own (another's is unknown); one per workplace awaits its
decision at a time; recognitions are public and read VERLOPEN past their last day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketenserver import identifiers
from ketenserver.db import Base
from ketenserver.werkplekduaal import catalogue, errors, requests, requests_storage
from ketenserver.werkplekduaal.kbo_storage import SqlKboRegister
from ketenserver.werkplekduaal.requests_storage import (
    DocumentRow,
    RecognitionMentorRow,
    RecognitionRow,
    SqlRecognitionRegister,
    SqlRequestBook,
)
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings
from tests.werkplekduaal import factories
from tests.werkplekduaal.test_requests import mentor as domain_mentor

TODAY = dt.date(2026, 3, 9)
COACH, OTHER_COACH = "0834567808", "0423456765"
SETTINGS = WerkplekduaalSettings()


@pytest.fixture(scope="module", autouse=True)
def _tables(engine: Engine) -> None:
    """This area's tables on the test database, until the feature's migration creates them."""
    Base.metadata.create_all(engine, tables=list(requests_storage.TABLES), checkfirst=True)


def new_request(company: factories.Company, *, opleiding: str = "BAKKER", mentors: int = 2,
                establishment: int = 0) -> requests.NewRequest:
    def document(name: str) -> requests.Document:
        return requests.Document(name, factories.pdf(300 + len(name)))

    return requests.NewRequest(
        enterprise_number=company.enterprise, establishment_number=company.establishments[establishment],
        opleiding=opleiding, mandate=document("machtiging.pdf"), declaration_version=SETTINGS.declaration_version,
        declaration=document("verklaring.pdf"),
        mentors=tuple(dataclasses.replace(domain_mentor(), birth_date=b, rijksregisternummer=
                                          factories.test_rijksregisternummer(b, factories.serial()))
                      for b in (factories.born(30 + i, TODAY) for i in range(mentors))))


def file(session: Session, new: requests.NewRequest, *, sender: str = COACH,
         today: dt.date = TODAY) -> requests.RequestStatus:
    return requests.file(new, sender=sender, today=today, settings=SETTINGS, kbo=SqlKboRegister(session),
                         book=SqlRequestBook(session, sender), register=SqlRecognitionRegister(session))


def status(session: Session, number: str, *, sender: str = COACH, today: dt.date = TODAY) -> requests.RequestStatus:
    return requests.status(number, book=SqlRequestBook(session, sender), today=today)


def refused(code: str, field: str | None, call: object, *args: object, **kwargs: object) -> errors.WerkplekduaalError:
    assert callable(call)
    with pytest.raises(errors.WerkplekduaalError) as caught:
        call(*args, **kwargs)
    assert (caught.value.code, caught.value.field) == (code, field), caught.value.message
    return caught.value


@pytest.fixture
def company(db_session: Session) -> factories.Company:
    return factories.kbo_company(db_session, joint_committee="118", establishments=2)


# --------------------------------------------------------------------------------- filing
@pytest.mark.parametrize(("joint_committee", "opleiding"), [("118", "BAKKER"), ("124", "BAKKER"), (None, "KOK"),
                                                            ("302", "KOK")])
def test_a_request_is_assigned_at_once_to_the_competent_partnership(
        db_session: Session, joint_committee: str | None, opleiding: str) -> None:
    company = factories.kbo_company(db_session, joint_committee=joint_committee)
    filed = file(db_session, new_request(company, opleiding=opleiding))
    expected = catalogue.partnership_for(joint_committee, opleiding)
    assert (filed.status, filed.partnership) == (requests.ASSIGNED, expected)
    assert (filed.filed, filed.decide_by) == (TODAY, TODAY + dt.timedelta(days=SETTINGS.decision_days))
    assert status(db_session, filed.number) == filed


def test_a_request_keeps_its_mentors_and_documents_with_their_digests(db_session: Session,
                                                                      company: factories.Company) -> None:
    new = new_request(company, mentors=3)
    filed = file(db_session, new)
    assert filed.mentors == tuple(m.rijksregisternummer for m in new.mentors)
    assert filed.sender == COACH and filed.enterprise_number == company.enterprise
    rows = db_session.scalars(select(DocumentRow).where(DocumentRow.request_id == int(filed.number[2:]))
                              .order_by(DocumentRow.id)).all()
    sent = [new.mandate, new.declaration] + [m.extract.document for m in new.mentors if m.extract]
    assert [(r.name, r.content) for r in rows] == [(d.name, d.content) for d in sent if d is not None]
    assert all(r.size == len(r.content) and len(r.sha256) == 64 for r in rows)


def test_another_organisations_request_is_answered_as_unknown(db_session: Session,
                                                             company: factories.Company) -> None:
    filed = file(db_session, new_request(company))
    refused("WPD-1031", "Aanvraagnummer", status, db_session, filed.number, sender=OTHER_COACH)
    refused("WPD-1031", "Aanvraagnummer", status, db_session, "EA99999999")


def test_no_second_request_for_a_workplace_while_one_awaits_its_decision(db_session: Session,
                                                                        company: factories.Company) -> None:
    file(db_session, new_request(company))
    refused("WPD-1030", "Vestigingsnummer", file, db_session, new_request(company))
    refused("WPD-1030", "Vestigingsnummer", file, db_session, new_request(company), sender=OTHER_COACH)
    file(db_session, new_request(company, opleiding="SLAGER"))  # another opleiding
    file(db_session, new_request(company, establishment=1))  # another establishment


def test_two_requests_filed_at_once_for_a_workplace_make_one(db_session: Session,
                                                           company: factories.Company) -> None:
    """The unique index decides where both passed the look-up; the session stays usable."""
    first = requests_storage.SqlRequestBook(db_session, COACH)
    filed = requests.FiledRequest(COACH, company.enterprise, company.establishments[0], "BAKKER", "VPDL", TODAY,
                                  TODAY, SETTINGS.declaration_version, (), ())
    first.add(filed)
    refused("WPD-1030", "Vestigingsnummer", SqlRequestBook(db_session, OTHER_COACH).add, filed)
    assert file(db_session, new_request(company, establishment=1)).status == requests.ASSIGNED


def test_after_a_refusal_the_workplace_may_be_requested_again_but_not_while_recognised(
        db_session: Session, company: factories.Company) -> None:
    first = file(db_session, new_request(company))
    requests_storage.decide(db_session, first.number, requests.REFUSED, "no workshop", today=TODAY)
    second = file(db_session, new_request(company))
    requests_storage.decide(db_session, second.number, requests.RECOGNISED, today=TODAY)
    refused("WPD-1030", "Vestigingsnummer", file, db_session, new_request(company))


# ------------------------------------------------------------------------------- deciding
def test_a_recognition_is_made_for_the_workplace_with_the_requests_mentors(db_session: Session,
                                                                          company: factories.Company) -> None:
    filed = file(db_session, new_request(company, mentors=3))
    decided_on = TODAY + dt.timedelta(days=3)
    decided = requests_storage.decide(db_session, filed.number, requests.RECOGNISED, today=decided_on)
    recognition = decided.recognition
    assert recognition is not None and decided.status == requests.RECOGNISED
    assert decided.decision == requests.Decision(requests.RECOGNISED, decided_on, None)
    assert (recognition.establishment_number, recognition.enterprise_number, recognition.opleiding) == (
        company.establishments[0], company.enterprise, "BAKKER")
    assert recognition.valid_from == decided_on
    assert recognition.valid_until == decided_on.replace(year=decided_on.year + SETTINGS.recognition_years) - \
        dt.timedelta(days=1)
    assert recognition.places == SETTINGS.students_per_mentor * 3
    assert recognition.mentors == frozenset(filed.mentors)
    assert status(db_session, filed.number, today=decided_on) == decided
    register = SqlRecognitionRegister(db_session)
    assert register.running(company.establishments[0], "BAKKER", decided_on) == recognition
    assert register.of_establishment(company.establishments[0]) == [recognition]


def test_a_refusal_names_its_reason_and_a_request_is_decided_once(db_session: Session,
                                                                 company: factories.Company) -> None:
    filed = file(db_session, new_request(company))
    for reason in (None, "  "):
        refused("WPD-1034", "Reden", requests_storage.decide, db_session, filed.number, requests.REFUSED, reason,
                today=TODAY)
    decided = requests_storage.decide(db_session, filed.number, requests.REFUSED, "no workshop", today=TODAY)
    assert (decided.status, decided.decision, decided.recognition) == (
        requests.REFUSED, requests.Decision(requests.REFUSED, TODAY, "no workshop"), None)
    assert status(db_session, filed.number) == decided
    for outcome in (requests.RECOGNISED, requests.REFUSED):
        refused("WPD-1032", "Aanvraagnummer", requests_storage.decide, db_session, filed.number, outcome, "again",
                today=TODAY)
    refused("WPD-1031", "Aanvraagnummer", requests_storage.decide, db_session, "EA99999999", requests.RECOGNISED,
            today=TODAY)


def test_due_requests_are_recognised_on_their_last_day(db_session: Session, company: factories.Company) -> None:
    filed = file(db_session, new_request(company))
    other = file(db_session, new_request(company, establishment=1), today=TODAY + dt.timedelta(days=1))
    assert filed.number not in _numbers(requests_storage.decide_due(db_session, filed.decide_by - dt.timedelta(days=1)))
    late = filed.decide_by + dt.timedelta(days=30)  # the sandbox clock jumped past both
    decided = {d.number: d for d in requests_storage.decide_due(db_session, late)}
    for request in (filed, other):
        assert decided[request.number].status == requests.RECOGNISED
        assert decided[request.number].decision == requests.Decision(requests.RECOGNISED, request.decide_by, None)
    assert not {filed.number, other.number} & set(_numbers(requests_storage.decide_due(db_session, late)))


def _numbers(decided: list[requests.RequestStatus]) -> list[str]:
    return [d.number for d in decided]


# ------------------------------------------------------------------- a recognition's life
@pytest.fixture
def recognition(db_session: Session, company: factories.Company) -> requests.Recognition:
    return requests_storage.add_recognition(
        db_session, establishment_number=company.establishments[0], enterprise_number=company.enterprise,
        opleiding="KOK", valid_from=TODAY - dt.timedelta(days=100), valid_until=TODAY + dt.timedelta(days=100),
        places=4, mentors={factories.test_rijksregisternummer(dt.date(1980, 1, 2), 7)})


def test_withdrawal_appeal_and_the_appeals_decision(db_session: Session, recognition: requests.Recognition) -> None:
    register, at = SqlRecognitionRegister(db_session), recognition.establishment_number
    refused("WPD-1034", "Reden", register.withdraw, recognition.number, " ", TODAY)
    refused("WPD-1033", "Erkenningsnummer", requests_storage.appeal_withdrawal, db_session, recognition.number,
            today=TODAY)
    assert register.withdraw(recognition.number, "establishment closed", TODAY).status == requests.WITHDRAWN
    assert register.running(at, "KOK", TODAY) is None
    refused("WPD-1033", "Erkenningsnummer", register.withdraw, recognition.number, "again", TODAY)
    refused("WPD-1033", "Erkenningsnummer", requests_storage.decide_appeal, db_session, recognition.number,
            granted=True, today=TODAY)
    appealed = requests_storage.appeal_withdrawal(db_session, recognition.number, today=TODAY)
    assert appealed.status == requests.IN_APPEAL
    assert register.running(at, "KOK", TODAY) is None  # no new agreements during the appeal
    assert [r.status for r in register.of_establishment(at)] == [requests.IN_APPEAL]
    granted = requests_storage.decide_appeal(db_session, recognition.number, granted=True, today=TODAY)
    assert granted == dataclasses.replace(recognition, status=requests.RUNNING)
    assert register.running(at, "KOK", TODAY) == recognition
    register.withdraw(recognition.number, "establishment closed", TODAY)
    requests_storage.appeal_withdrawal(db_session, recognition.number, today=TODAY)
    upheld = requests_storage.decide_appeal(db_session, recognition.number, granted=False, today=TODAY)
    assert upheld.status == requests.WITHDRAWN


def test_a_recognition_runs_within_its_validity_and_reads_expired_after(db_session: Session,
                                                                      recognition: requests.Recognition) -> None:
    at, after = recognition.establishment_number, recognition.valid_until + dt.timedelta(days=1)
    register = SqlRecognitionRegister(db_session)
    assert register.running(at, "KOK", recognition.valid_from - dt.timedelta(days=1)) is None
    assert register.running(at, "KOK", recognition.valid_until) == recognition
    assert register.running(at, "KOK", after) is None
    assert register.running(at, "BAKKER", TODAY) is None
    assert [r.status for r in SqlRecognitionRegister(db_session, today=after).of_establishment(at)] == [
        requests.EXPIRED]
    refused("WPD-1033", "Erkenningsnummer", register.withdraw, recognition.number, "closed", after)
    refused("WPD-1033", "Erkenningsnummer", register.withdraw, "ER99999999", "closed", TODAY)


def test_an_expired_recognition_leaves_the_workplace_free_for_a_request(db_session: Session,
                                                                       company: factories.Company,
                                                                       recognition: requests.Recognition) -> None:
    refused("WPD-1030", "Vestigingsnummer", file, db_session, new_request(company, opleiding="KOK"))
    after = recognition.valid_until + dt.timedelta(days=1)
    assert file(db_session, new_request(company, opleiding="KOK"), today=after).status == requests.ASSIGNED


# ------------------------------------------------------------------------------------- seed
@pytest.fixture
def pairs(db_session: Session) -> Iterator[list[tuple[str, str]]]:
    yield [(factories.establishment_number(), factories.enterprise_number()) for _ in range(1500)]


def _seeded(db_session: Session, pairs: list[tuple[str, str]]) -> list[tuple[str, str, int, frozenset[str]]]:
    numbers = {e for e, _ in pairs}
    found = []
    for at in sorted(numbers):
        for r in SqlRecognitionRegister(db_session, today=TODAY).of_establishment(at):
            found.append((r.establishment_number, r.opleiding, r.places, r.mentors))
            assert r.status == requests.RUNNING and r.runs_on(TODAY)
    return found


def test_the_seed_recognises_a_share_of_the_workplaces_deterministically(
        db_session: Session, pairs: list[tuple[str, str]]) -> None:
    progress: list[tuple[int, int]] = []
    made = requests_storage.seed_recognitions(db_session, 5, establishments=pairs, today=TODAY,
                                              progress=lambda done, total: progress.append((done, total)))
    first = _seeded(db_session, pairs)
    assert len(first) == made and progress[-1] == (made, made)
    recognised = {at for at, *_ in first}
    assert 0.2 * len(pairs) < len(recognised) < 0.4 * len(pairs)
    for _at, opleiding, places, mentors in first:
        assert opleiding in catalogue.OPLEIDINGEN
        assert 1 <= len(mentors) <= 3 and places == SETTINGS.students_per_mentor * len(mentors)
        assert all(identifiers.rijksregisternummer(m).kind is identifiers.RegisterKind.TEST for m in mentors)
    keys = select(RecognitionRow.id).where(RecognitionRow.establishment_number.in_(recognised))
    db_session.execute(delete(RecognitionMentorRow).where(RecognitionMentorRow.recognition_id.in_(keys)))
    db_session.execute(delete(RecognitionRow).where(RecognitionRow.establishment_number.in_(recognised)))
    assert requests_storage.seed_recognitions(db_session, 5, establishments=pairs, today=TODAY) == made
    assert _seeded(db_session, pairs) == first
