"""``ketenserver journal --request-id`` and ``ketenserver journal purge``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from ketenserver.cli import main
from ketenserver.exchange.storage import JournalEntry
from tests import factories

ACTION = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1:VaststellenLeerbedrijf"


def _add(url: str, *, oin: str, arrived_at: datetime, count: int = 1) -> None:
    engine = create_engine(url)
    with Session(engine) as session:
        factories.journal_entries(session, count, arrived_at=arrived_at, organisation=oin, tls=oin, profile="2W-be")
        session.commit()
    engine.dispose()


def _count(url: str) -> int:
    engine = create_engine(url)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(JournalEntry)) or 0
    engine.dispose()
    return count


def test_request_id_from_a_log_line_shows_the_entry(settings, post, builder_for, payload, journal_entry, capsys):
    built = builder_for("school-25LX").build(payload(), action=ACTION)
    assert post(built.bytes()).status_code == 200
    request_id = journal_entry(built.message_id).request_id
    url = ["--database-url", settings.effective_database_url]
    assert main([*url, "journal", "--request-id", request_id]) == 0
    shown = capsys.readouterr().out
    assert f"request_id: {request_id}" in shown and built.message_id in shown and "--- request ---" in shown
    assert main([*url, "journal", "--request-id", "0" * 32]) == 1
    assert "no journal entry for request" in capsys.readouterr().err


def test_purge_an_organisation(settings, capsys):
    url = settings.effective_database_url
    oin, other = factories.fresh_oin(), factories.fresh_oin()  # the command itself removes their entries
    _add(url, oin=oin, arrived_at=datetime.now(UTC), count=2)
    _add(url, oin=other, arrived_at=datetime.now(UTC))
    assert main(["--database-url", url, "journal", "purge", "--oin", oin]) == 0
    assert capsys.readouterr().out.strip() == f"removed 2 journal entries of {oin}"
    assert main(["--database-url", url, "journal", "--oin", oin]) == 0
    assert "no journal entries match" in capsys.readouterr().out
    assert main(["--database-url", url, "journal", "purge", "--oin", other]) == 0
    assert capsys.readouterr().out.strip() == f"removed 1 journal entry of {other}"


def test_purge_older_than(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    assert main(["--database-url", url, "db", "upgrade"]) == 0
    now = datetime.now(UTC)
    _add(url, oin="00000099000000000001", arrived_at=now - timedelta(days=40), count=3)
    _add(url, oin="00000099000000000001", arrived_at=now - timedelta(days=10))
    capsys.readouterr()
    assert main(["--database-url", url, "journal", "purge", "--older-than", "30"]) == 0
    assert capsys.readouterr().out.strip() == "removed 3 journal entries older than 30 days"
    assert _count(url) == 1
    assert main(["--database-url", url, "journal", "purge", "--older-than", "30", "--oin",
                 "00000099000000000001"]) == 0
    assert "removed 0 journal entries of 00000099000000000001 and older than 30 days" in capsys.readouterr().out


def test_purge_needs_a_criterion(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    assert main(["--database-url", url, "journal", "purge"]) == 2
    assert "--older-than" in capsys.readouterr().err
    assert main(["--database-url", url, "journal", "purge", "--older-than", "-1"]) == 2
