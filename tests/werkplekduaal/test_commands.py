"""``ketenserver werkplekduaal ...``: a tester acts as the partnership and as KBO (on the shared test database)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from ketenserver.cli import main
from ketenserver.werkplekduaal import catalogue, kbo, requests_storage
from ketenserver.werkplekduaal.kbo_storage import EstablishmentRow, SqlKboRegister
from tests.werkplekduaal import factories


@pytest.fixture
def cli(settings, capsys):  # type: ignore[no-untyped-def]
    def run(*args: str) -> tuple[int, str]:
        code = main(["--database-url", settings.effective_database_url, "werkplekduaal", *args])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


def test_opleidingen_lists_every_code_and_partnership(cli) -> None:  # type: ignore[no-untyped-def]
    code, out = cli("opleidingen")
    assert code == 0
    assert all(name in out for name in catalogue.OPLEIDINGEN) and all(p in out for p in catalogue.PARTNERSHIPS)


def test_a_recognition_is_withdrawn_appealed_and_restored(cli, engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session, session.begin():
        company = factories.kbo_company(session)
        number = requests_storage.add_recognition(
            session, establishment_number=company.establishments[0], enterprise_number=company.enterprise,
            opleiding="KOK", valid_from=dt.date(2025, 1, 1), valid_until=dt.date(2029, 12, 31), places=2,
            mentors=["79640202384"]).number
    assert cli("intrekken", number, "--reden", "Geen mentor meer") == (0, f"{number}: INGETROKKEN; 0 OPHEFFING tasks\n")
    assert cli("beroep", number) == (0, f"{number}: IN_BEROEP\n")
    assert cli("beroep", number, "--toegekend") == (0, f"{number}: LOPEND\n")
    code, out = cli("beroep", number, "--afgewezen")  # no appeal pending any more
    assert code != 0 and "WPD-1033" in out


def test_deciding_an_unknown_request_names_the_rule(cli) -> None:  # type: ignore[no-untyped-def]
    code, out = cli("beslis", "EA99999999", "--erkend")
    assert code != 0 and "WPD-1031" in out and "Traceback" not in out


def test_an_establishment_moves_by_command(cli, engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session, session.begin():
        company = factories.kbo_company(session)
    establishment = company.establishments[0]
    code, out = cli("kbo", "verhuis", establishment, "--straat", "Korenmarkt", "--huisnummer", "7",
                    "--postcode", "9000", "--gemeente", "Gent")
    assert (code, out) == (0, "KBO: 1 establishments moved, 0 stopped; 0 tasks\n")
    with Session(engine) as session:
        moved = SqlKboRegister(session).establishment(establishment)
    assert moved is not None and (moved.address.street, moved.address.house_number) == ("Korenmarkt", "7")


def test_generated_files_are_applied_by_command(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out = cli("kbo", "genereer", str(tmp_path), "--changes", "4", "--seed", "5")
    assert code == 0 and out.endswith("4 changes in KBO's update format\n")
    update = kbo.read_update(tmp_path)
    assert update.deleted  # the files are KBO's format and parse
    code, out = cli("kbo", "apply", str(tmp_path))
    assert code == 0
    moved, stopped = _counts(out)
    assert moved + stopped == 4


def _counts(out: str) -> tuple[int, int]:
    words = out.replace(";", "").split()
    return int(words[1]), int(words[4])


def test_a_malformed_update_file_is_refused_by_name(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "address_delete.csv").write_text('"Wrong"\n', encoding="utf-8")
    (tmp_path / "address_insert.csv").write_text('"EntityNumber"\n', encoding="utf-8")
    code, out = cli("kbo", "apply", str(tmp_path))
    assert code != 0 and "address_delete.csv, line 1" in out and "Traceback" not in out


def test_the_counters_pass_runs_by_command(cli) -> None:  # type: ignore[no-untyped-def]
    code, out = cli("taken")
    assert code == 0 and out.endswith("missing-agreement tasks\n")


def test_a_stopped_establishment_moving_is_no_change_for_the_partnerships(cli, engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session, session.begin():
        company = factories.kbo_company(session, establishment_status="ST")
    code, out = cli("kbo", "verhuis", company.establishments[0], "--straat", "Markt", "--huisnummer", "1",
                    "--postcode", "9000", "--gemeente", "Gent")
    assert (code, out) == (0, "KBO: 0 establishments moved, 0 stopped; 0 tasks\n")
    with Session(engine) as session:
        row = session.get(EstablishmentRow, company.establishments[0])
        assert row is not None and row.status == kbo.STOPPED
