"""Scenarios: the file format and its refusals, the command, and each fault kind over the real server,
with the project's own client reacting as a careful school system should."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketenclient import ClientFault, NoSoapAnswer, ServerFault, VerzuimloketClient
from ketenserver import scenarios
from ketenserver.absence.storage import ReportRow
from ketenserver.cli import main
from ketenserver.exchange.storage import JournalEntry
from ketenserver.features import FEATURES
from tests import factories
from tests.e2e.test_verzuim_client_e2e import _melding

CODES = [spec.code for feature in FEATURES for spec in feature.faults]


def _parse(text: str) -> list[scenarios.Rule]:
    return scenarios.parse(text, "probe", codes=CODES)


# ----------------------------------------------------------------------------------- the file
def test_a_scenario_file_reads_as_its_rules_in_order() -> None:
    rules = _parse('''
        [[rule]]
        operation = "IndienenVerzuimmelding"
        times = 2
        fault = "unavailable"

        [[rule]]
        operation = "*"
        match = { Crebo = "25180" }
        fault = "delay"
        delay_ms = 100
        delay_max_ms = 300
    ''')
    assert [(r.operation, r.kind, r.times, dict(r.match)) for r in rules] == [
        ("IndienenVerzuimmelding", "unavailable", 2, {}), ("*", "delay", None, {"Crebo": "25180"})]
    assert rules[1].params == {"delay_ms": 100, "delay_max_ms": 300} and rules[0].label == "probe:unavailable"


@pytest.mark.parametrize(("text", "says"), [
    ("not = toml = at all", "not TOML"),
    ('[rules]\nx = 1', re.escape("list of [[rule]]")),
    ('[[rule]]\noperation = "X"\nfault = "explode"', "fault is one of"),
    ('[[rule]]\nfault = "unavailable"', "operation names"),
    ('[[rule]]\noperation = "X"\nfault = "unavailable"\ntimes = 0', "times is a whole number"),
    ('[[rule]]\noperation = "X"\nfault = "unavailable"\nwhen = 3', "unknown key 'when'"),
    ('[[rule]]\noperation = "X"\nfault = "delay"', "a delay has delay_ms"),
    ('[[rule]]\noperation = "X"\nfault = "delay"\ndelay_ms = 500\ndelay_max_ms = 100', "a delay has delay_ms"),
    ('[[rule]]\noperation = "X"\nfault = "business"\ncode = "SBB-9999"', "business code of the service"),
])
def test_a_file_that_cannot_be_loaded_names_the_rule_and_the_key(text: str, says: str) -> None:
    with pytest.raises(scenarios.ScenarioError, match=says) as refused:
        _parse(text)
    assert str(refused.value).startswith("probe")


# ----------------------------------------------------------------------------- the command
@pytest.mark.usefixtures("engine")  # the test database, migrated
def test_scenarios_are_loaded_listed_and_cleared_by_command(settings: Any, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "trage-duo.toml"
    path.write_text('[[rule]]\noperation = "OpvragenVerzuimmelding"\nmatch = { Meldingnummer = "2026999999" }\n'
                    'fault = "delay"\ndelay_ms = 10\n\n[[rule]]\noperation = "IntrekkenVerzuimmelding"\n'
                    'match = { Meldingnummer = "2026999999" }\ntimes = 1\nfault = "http-503"\n')
    base = ["--database-url", settings.effective_database_url, "--data-dir", str(settings.data_dir), "scenario"]
    assert main([*base, "load", str(path)]) == 0
    assert "trage-duo: 2 rules loaded for tenant default" in capsys.readouterr().out
    assert main([*base, "load", str(path)]) == 0  # loading again replaces, never doubles
    capsys.readouterr()
    assert main([*base, "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert [line.split(" -> ")[1].split()[0] for line in listing if line.startswith("trage-duo:")] == [
        "delay", "http-503"]
    assert any("1 call left" in line for line in listing)
    assert main([*base, "clear", "trage-duo"]) == 0
    assert capsys.readouterr().out.strip() == "2 rules removed"
    assert main([*base, "--tenant", "vendor-a", "list"]) == 2
    assert "does not exist" in capsys.readouterr().err


# ------------------------------------------------------------------------ over the real server
@pytest.fixture
def scenario(engine: Engine, app: Any) -> Iterator[Callable[[str], None]]:
    """``scenario(toml)``: loaded for the default tenant and read by the server at once; cleared after."""
    def load(text: str) -> None:
        with Session(engine) as session:
            scenarios.load(session, scenarios.parse(text, "test", codes=CODES))
            session.commit()
        app.pipeline.scenarios.refresh()

    yield load
    with Session(engine) as session:
        scenarios.clear(session, scenario="test")
        session.commit()
    app.pipeline.scenarios.refresh()


@pytest.fixture
def school(base_url: str, pki: Any) -> Iterator[VerzuimloketClient]:
    credentials = factories.credentials(pki, "school-25LX")
    with VerzuimloketClient(f"{base_url}/duo-verzuimloket/2W-be-S", credentials) as client:
        yield client


def _reports(engine: Engine) -> int:
    """Reports stored on the test database (these tests are the only writers while they run)."""
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(ReportRow)) or 0


def _journal(engine: Engine, message_id: str | None) -> list[tuple[str, str | None, str | None]]:
    with Session(engine) as session:
        return [(e.outcome, e.fault_code, e.injected) for e in session.scalars(
            select(JournalEntry).where(JournalEntry.message_id == message_id).order_by(JournalEntry.id))]


def test_0051_once_then_the_clients_retry_with_the_same_message_id_registers_once(
        scenario: Any, school: VerzuimloketClient, engine: Engine) -> None:
    melding = _melding()
    bsn, before = melding.leerling.bsn, _reports(engine)
    scenario(f'[[rule]]\noperation = "IndienenVerzuimmelding"\nmatch = {{ Bsn = "{bsn}" }}\ntimes = 1\n'
             'fault = "unavailable"')
    with pytest.raises(ServerFault) as failed:  # a Server fault: a careful school system retries it
        school.indienen_verzuimmelding(melding)
    assert failed.value.code == "0051"
    message_id = school.last_message_id
    registered = school.indienen_verzuimmelding(melding, message_id=message_id)
    again = school.indienen_verzuimmelding(melding, message_id=message_id)  # and once more: the stored reply
    assert again == registered and _reports(engine) == before + 1
    assert _journal(engine, message_id) == [("refused", "0051", "test:unavailable"), ("accepted", None, None),
                                            ("retried", None, None)]


def test_a_bare_503_is_no_soap_answer_and_nothing_is_stored(scenario: Any, school: VerzuimloketClient,
                                                            engine: Engine) -> None:
    melding = _melding()
    bsn, before = melding.leerling.bsn, _reports(engine)
    scenario(f'[[rule]]\noperation = "IndienenVerzuimmelding"\nmatch = {{ Bsn = "{bsn}" }}\ntimes = 1\n'
             'fault = "http-503"')
    with pytest.raises(NoSoapAnswer) as failed:  # no SOAP at all: nothing to trust; retry later
        school.indienen_verzuimmelding(melding)
    assert (failed.value.status_code, failed.value.retry_after) == (503, 1.0)
    message_id = school.last_message_id
    assert _reports(engine) == before
    assert school.indienen_verzuimmelding(melding, message_id=message_id).meldingnummer
    assert _reports(engine) == before + 1
    assert [row[2] for row in _journal(engine, message_id)] == ["test:http-503", None]


def test_a_delay_holds_the_answer_back_and_then_answers_as_usual(scenario: Any, school: VerzuimloketClient) -> None:
    registered = school.indienen_verzuimmelding(_melding())
    scenario(f'[[rule]]\noperation = "OpvragenVerzuimmelding"\nmatch = {{ Meldingnummer = '
             f'"{registered.meldingnummer}" }}\nfault = "delay"\ndelay_ms = 400')
    begun = time.monotonic()
    found = school.opvragen_verzuimmelding(registered.meldingnummer)
    assert time.monotonic() - begun >= 0.4 and found.meldingnummer == registered.meldingnummer


def test_a_business_outcome_is_the_services_own_fault_and_never_a_retry_case(
        scenario: Any, school: VerzuimloketClient, engine: Engine) -> None:
    melding = _melding()
    bsn, before = melding.leerling.bsn, _reports(engine)
    scenario(f'[[rule]]\noperation = "IndienenVerzuimmelding"\nmatch = {{ Bsn = "{bsn}" }}\nfault = "business"\n'
             'code = "VZL-1015"\nmessage = "Deze leerling heeft al een lopende melding."\nfield = "Periode"')
    for _ in range(2):  # every matching call, as long as the scenario is loaded
        with pytest.raises(ClientFault) as refused:
            school.indienen_verzuimmelding(melding)
        assert (refused.value.code, refused.value.field) == ("VZL-1015", "Periode")
        assert "al een lopende melding" in refused.value.message
    assert _reports(engine) == before
    assert _journal(engine, school.last_message_id) == [("refused", "VZL-1015", "test:business")]
    other = _melding()
    assert school.indienen_verzuimmelding(other).meldingnummer  # another student: not matched, answered


def test_a_business_outcome_at_a_magda_service_is_an_uitzondering(scenario: Any, base_url: str, pki: Any) -> None:
    from ketenclient import WerkplekduaalClient

    scenario('[[rule]]\noperation = "GeefTaken"\ntimes = 1\nfault = "business"\ncode = "WPD-1004"')
    with WerkplekduaalClient(f"{base_url}/werkplekduaal/MAGDA",
                             factories.credentials(pki, "provider-0423456765")) as provider:
        with pytest.raises(ClientFault) as refused:
            provider.geef_taken()
        assert refused.value.code == "WPD-1004"
        assert provider.geef_taken() is not None  # used up: the next call is answered


def test_a_business_rule_for_any_operation_answers_only_its_own_services_calls(scenario: Any, app: Any) -> None:
    """A VZL code cannot be a werkplekduaal answer: that call passes the rule by (it is not used up)."""
    from lxml import etree

    scenario('[[rule]]\noperation = "*"\ntimes = 1\nfault = "business"\ncode = "VZL-1015"')
    body = etree.fromstring(b"<x/>")
    werkplekduaal = app.pipeline.business_specs["werkplekduaal"]
    absence = app.pipeline.business_specs["duo-verzuimloket"]
    assert app.pipeline.scenarios.pick("GeefTaken", body, codes=werkplekduaal) is None
    found = app.pipeline.scenarios.pick("IndienenVerzuimmelding", body, codes=absence)
    assert found is not None and found.rule.params["code"] == "VZL-1015"


def test_a_rule_used_up_in_one_call_is_not_used_again_after_a_refresh(scenario: Any, app: Any) -> None:
    scenario('[[rule]]\noperation = "NietBestaand"\ntimes = 1\nfault = "unavailable"')
    from lxml import etree

    body = etree.fromstring(b"<x/>")
    assert app.pipeline.scenarios.pick("NietBestaand", body) is not None
    assert app.pipeline.scenarios.pick("NietBestaand", body) is None
    app.pipeline.scenarios.refresh()
    assert app.pipeline.scenarios.pick("NietBestaand", body) is None


def test_the_readmes_example_files_load(project_root: Path) -> None:
    examples = sorted((project_root / "docs" / "scenarios").glob("*.toml"))
    kinds = {rule.kind for path in examples for rule in scenarios.parse(path.read_text(), path.stem, codes=CODES)}
    assert kinds == set(scenarios.KINDS)  # one example of every kind
    readme = (project_root / "README.md").read_text(encoding="utf-8")
    assert all(f"docs/scenarios/{path.name}" in readme for path in examples)
