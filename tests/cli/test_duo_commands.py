"""``ketenserver duo``: a school's sandbox clock and the municipalities, as a tester drives them."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketenserver.absence import counter, domain, storage
from ketenserver.cli import main
from ketenserver.context import CallContext
from ketenserver.exchange.storage import Organisation
from ketenserver.pki import school_oin
from ketenserver.recognitions.domain import dutch_date
from ketenserver.settings import Settings
from ketenserver.testing import valid_bsn

SCHOOL = school_oin("78CL")  # the clock of a school of its own, so other tests keep theirs
_seeds = itertools.count(random.SystemRandom().randrange(1_000_000, 9_000_000, 10_000) + 9_000)


@pytest.fixture
def database(settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.delenv("KETENSERVER_CONFIG", raising=False)
    with Session(engine) as session, session.begin():
        if session.get(Organisation, SCHOOL) is None:
            session.add(Organisation(oin=SCHOOL, name="Klokcollege", kind="school", brin="78CL"))
    return ["--database-url", settings.effective_database_url]


def _report(engine: Engine) -> str:
    today = dutch_date(dt.datetime.now(dt.UTC))
    report = domain.NewReport(
        student=domain.Student(valid_bsn(next(_seeds)), None, "Noor", None, "Bakker",
                               today.replace(year=today.year - 14), domain.Address("Markt", 1, None, "5211AA",
                                                                                   "'s-Hertogenbosch")),
        brin="78CL", establishment="00", school_year=f"{today.year - 1}-{today.year}", level="VMBO-KB",
        learning_path="BB", full_time=True, kind="DRIE_DAGEN",
        period=domain.Period(today - dt.timedelta(days=6), today - dt.timedelta(days=2)), presumed_reason=None,
        explanation=None, action_taken=None, action_explanation=None,
        reporter=domain.Reporter("verzuim@klokcollege.example", "Mentor", "A. de Wit", None),
        all_lessons_missed=True,
    )
    with Session(engine) as session:
        registration = counter.submit(CallContext(session=session, organisation_oin=SCHOOL, message_id="m",
                                                  now=dt.datetime.now(dt.UTC), profile="2W-be-S"), report)
        session.commit()
    return registration.meldingnummer


def _status(engine: Engine, number: str) -> str:
    with Session(engine) as session:
        report = storage.SqlReportBook(session, SCHOOL).report(number)
        assert report is not None
        return report.status


def test_moving_a_schools_clock_lets_its_municipality_take_reports_up_at_once(
        database: list[str], engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    number = _report(engine)
    assert main([*database, "duo", "klok", "--oin", "78CL"]) == 0
    assert "ahead of real time" in capsys.readouterr().out
    assert _status(engine, number) == "Geregistreerd"
    assert main([*database, "duo", "klok", "--oin", SCHOOL, "--verzet", "2d1h"]) == 0
    out = capsys.readouterr().out
    assert "municipalities: " in out and "replies" in out
    assert _status(engine, number) == "In behandeling"


def test_a_tester_forces_a_reply_and_is_told_what_cannot_be(
        database: list[str], engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    number = _report(engine)
    assert main([*database, "duo", "terugmelden", "--melding", number, "--status", "ter-kennisgeving",
                 "--toelichting", "Bekend bij de gemeente"]) == 0
    assert "Ter kennisgeving aangenomen" in capsys.readouterr().out
    assert _status(engine, number) == "Ter kennisgeving aangenomen"
    assert main([*database, "duo", "terugmelden", "--melding", "2026999999", "--status", "afgesloten"]) == 2
    assert "No report" in capsys.readouterr().err


def test_an_unknown_school_is_refused_plainly(database: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*database, "duo", "klok", "--oin", "99ZZ"]) == 2
    assert "not a registered organisation" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*database, "duo", "klok", "--oin", "not-an-oin"])
    assert "invalid OIN or BRIN value" in capsys.readouterr().err


@pytest.mark.parametrize("duration", ["abc", "-1d", "0d", ""])
def test_the_clock_only_moves_forward_by_a_duration(database: list[str], duration: str) -> None:
    with pytest.raises(SystemExit):
        main([*database, "duo", "klok", "--oin", "78CL", "--verzet", duration])
