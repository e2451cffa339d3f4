"""The sandbox clock is the core's: moving an organisation's clock moves the business time of
every feature's rules (here SBB's date window), while message security stays on real time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketenserver.cli import main
from ketenserver.exchange.storage import Organisation, SandboxClock, business_now, clock_offset, move_clock
from ketenserver.pki import school_oin
from ketenserver.recognitions import NAMESPACE as SBB
from ketenserver.recognitions.domain import dutch_date
from ketenserver.testing import fault_code
from tests import factories

SCHOOL = school_oin("25LX")


@pytest.fixture
def clock(engine: Engine) -> Iterator[None]:
    """25LX's clock back at real time after the test, whatever it moved it to: the server sees only
    what is committed, and 25LX is the school whose certificate the requests carry."""
    yield
    with Session(engine) as session:
        session.execute(delete(SandboxClock).where(SandboxClock.organisation_oin == SCHOOL))
        session.commit()


@pytest.fixture
def registered(engine: Engine) -> Iterator[Organisation]:
    """A fresh school, committed for a command that opens the database itself; removed afterwards."""
    with Session(engine, expire_on_commit=False) as session:
        school = factories.school(session)
        session.commit()
    yield school
    with Session(engine) as session:
        session.execute(delete(SandboxClock).where(SandboxClock.organisation_oin == school.oin))
        session.execute(delete(Organisation).where(Organisation.oin == school.oin))
        session.commit()


def _natrekken(builder_for, begindatum: dt.date) -> tuple[bytes, str]:  # type: ignore[no-untyped-def]
    body = (f'<sbb:NatrekkenErkenning xmlns:sbb="{SBB}"><sbb:LeerbedrijfId>100000001</sbb:LeerbedrijfId>'
            f"<sbb:Crebo>25173</sbb:Crebo><sbb:Begindatum>{begindatum.isoformat()}</sbb:Begindatum>"
            "</sbb:NatrekkenErkenning>").encode()
    built = builder_for("school-25LX").build(body, action=f"{SBB}:NatrekkenErkenning")
    return built.bytes(), built.message_id


@pytest.mark.usefixtures("clock")
def test_a_moved_clock_moves_the_business_rules_of_every_feature(builder_for, post, engine: Engine) -> None:
    beyond = dutch_date(dt.datetime.now(dt.UTC)).replace(year=dutch_date(dt.datetime.now(dt.UTC)).year + 2) \
        + dt.timedelta(days=30)
    data, _ = _natrekken(builder_for, beyond)
    refused = post(data)
    assert fault_code(refused.content) == "SBB-1005"  # more than two years after today
    with Session(engine) as session:
        move_clock(session, SCHOOL, dt.timedelta(days=60))
        session.commit()
    data, _ = _natrekken(builder_for, beyond)  # a fresh Timestamp: security runs on real time
    answered = post(data)
    assert answered.status_code == 200, answered.text


def test_the_clock_only_moves_forward_and_is_per_organisation(db_session: Session) -> None:
    real = dt.datetime(2026, 12, 2, 10, 0, 0, 123456, tzinfo=dt.UTC)
    school, other = factories.school(db_session).oin, factories.school(db_session).oin
    assert business_now(db_session, school, real) == real.replace(microsecond=0)
    assert move_clock(db_session, school, dt.timedelta(days=3)) == dt.timedelta(days=3)
    db_session.commit()
    assert move_clock(db_session, school, dt.timedelta(hours=12)) == dt.timedelta(days=3, hours=12)
    assert business_now(db_session, school, real) == real.replace(microsecond=0) + dt.timedelta(days=3, hours=12)
    assert clock_offset(db_session, other) == dt.timedelta(0)
    with pytest.raises(ValueError, match="forward"):
        move_clock(db_session, school, dt.timedelta(seconds=-1))
    db_session.commit()
    assert clock_offset(db_session, school) == dt.timedelta(days=3, hours=12)


def test_the_clock_command_shows_and_moves_it(settings, engine: Engine, registered: Organisation,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--database-url", settings.effective_database_url, "--data-dir", str(settings.data_dir), "clock",
                 "--oin", registered.brin]
    assert main(arguments) == 0
    assert "0d0h0m ahead of real time" in capsys.readouterr().out
    assert main([*arguments, "--advance", "1d12h"]) == 0
    assert "1d12h0m ahead of real time" in capsys.readouterr().out
    with Session(engine) as session:
        assert clock_offset(session, registered.oin) == dt.timedelta(days=1, hours=12)
    assert main([*arguments[:-1], factories.fresh_oin()]) == 2  # an organisation nobody registered
