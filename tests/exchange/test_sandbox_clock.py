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
from ketenserver.exchange.storage import (
    Organisation,
    SandboxClock,
    business_now,
    clock_offset,
    clock_state,
    freeze_clock,
    move_clock,
    resume_clock,
    set_clock,
)
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


REAL = dt.datetime(2026, 12, 2, 10, 0, 0, tzinfo=dt.UTC)


def test_a_frozen_clock_stands_still_until_it_resumes_from_where_it_stood(db_session: Session) -> None:
    school = factories.school(db_session).oin
    move_clock(db_session, school, dt.timedelta(days=2), now=REAL)
    stood = freeze_clock(db_session, school, now=REAL).frozen_at
    assert stood == REAL + dt.timedelta(days=2)
    later = REAL + dt.timedelta(hours=5)
    assert business_now(db_session, school, later) == stood  # real time went on, business time did not
    assert freeze_clock(db_session, school, now=later).frozen_at == stood  # frozen already: unchanged
    move_clock(db_session, school, dt.timedelta(days=1), now=later)  # advancing a frozen clock: still frozen
    assert business_now(db_session, school, later + dt.timedelta(hours=1)) == stood + dt.timedelta(days=1)
    resumed = resume_clock(db_session, school, now=later)
    assert resumed.frozen_at is None
    assert business_now(db_session, school, later) == stood + dt.timedelta(days=1)
    assert business_now(db_session, school, later + dt.timedelta(minutes=3)) == (
        stood + dt.timedelta(days=1, minutes=3))  # runs on from there


def test_the_clock_is_set_ahead_to_a_date_never_back(db_session: Session) -> None:
    school, other = factories.school(db_session).oin, factories.school(db_session).oin
    target = dt.datetime(2027, 6, 1, tzinfo=dt.UTC)
    set_clock(db_session, school, target, now=REAL)
    assert business_now(db_session, school, REAL) == target
    assert business_now(db_session, school, REAL + dt.timedelta(hours=2)) == target + dt.timedelta(hours=2)
    with pytest.raises(ValueError, match="forward"):
        set_clock(db_session, school, target - dt.timedelta(days=1), now=REAL)
    freeze_clock(db_session, school, now=REAL)
    set_clock(db_session, school, target + dt.timedelta(days=30), now=REAL)
    assert clock_state(db_session, school).frozen_at == target + dt.timedelta(days=30)  # stays frozen, there
    assert business_now(db_session, other, REAL) == REAL  # per organisation


def test_the_clock_command_sets_freezes_and_resumes(settings, engine: Engine, registered: Organisation,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--database-url", settings.effective_database_url, "--data-dir", str(settings.data_dir), "clock",
                 "--oin", registered.oin]
    ahead = dt.datetime.now(dt.UTC).year + 1
    assert main([*arguments, "--to", f"{ahead}-06-01"]) == 0
    assert f"sandbox clock {ahead}-06-01T00:00" in capsys.readouterr().out
    assert main([*arguments, "--freeze"]) == 0
    assert capsys.readouterr().out.rstrip().endswith(", frozen)")
    with Session(engine) as session:
        assert clock_state(session, registered.oin).frozen_at is not None
    assert main([*arguments, "--resume"]) == 0
    assert "frozen" not in capsys.readouterr().out
    assert main([*arguments, "--to", "2020-01-01"]) == 2  # back in time
    assert "only moves forward" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*arguments, "--freeze", "--resume"])  # one change at a time
