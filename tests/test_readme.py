"""The README's client example works as written, against a real server with the dev PKI."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _client_example() -> str:
    text = README.read_text()
    section = text.split("## A client in twenty lines", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README lost its client example"
    return match.group(1)


def test_readme_client_example_runs(base_url, pki):
    code = _client_example()
    assert len(code.strip().splitlines()) <= 25
    code = code.replace("https://127.0.0.1:8443", base_url).replace("certs-dev/", f"{pki.directory}/")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own README, on purpose
    printed = output.getvalue()
    assert printed.startswith("0 ")  # signaalcode 0: recognised
    assert "100000001 Bakkerij De Vries B.V. Amsterdam" in printed
    assert "refused: 0004 Postcode" in printed


def _flow_example() -> str:
    section = README.read_text().split("## A school's complete flow", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README lost its school flow"
    return match.group(1)


def test_readme_school_flow_runs(base_url, pki, app, settings, monkeypatch):
    """Search, identify, verify, register, subscribe with a receiver, and receive the withdrawal."""
    from ketenserver.background import BackgroundRunner

    code = _flow_example().replace("https://127.0.0.1:8443", base_url).replace("certs-dev/", f"{pki.directory}/")
    monkeypatch.setenv("KETENSERVER_DATABASE_URL", settings.effective_database_url)  # for the sbb command
    deliveries = BackgroundRunner(app.jobs["sbb-erkenningen"].run_once, 0.2, "readme-deliveries")
    deliveries.start()  # what the sandbox runs every delivery_interval seconds
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own README, on purpose
    finally:
        deliveries.stop()
    lines = output.getvalue().splitlines()
    identified = re.fullmatch(r"identified: (\d{9}) .+", lines[0])
    assert identified, lines
    assert lines[1] == "recognised on the start date: True"
    assert re.fullmatch(r"agreement: \d+", lines[2])
    assert re.fullmatch(r"push to: https://127\.0\.0\.1:\d+/sbb-mutaties/2W-be-S", lines[3])
    assert re.fullmatch(rf"received: \d+ {identified.group(1)} ingetrokken Geen begeleiding meer", lines[4])


def _absence_flow() -> str:
    section = README.read_text().split("## A school's absence flow", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README lost its absence flow"
    return match.group(1)


def test_readme_absence_flow_runs(base_url, pki, settings, monkeypatch, tmp_path):
    """Report with an attachment, day specification, the municipality's reply, a follow-up, the mirror."""
    code = _absence_flow().replace("https://127.0.0.1:8443", base_url).replace("certs-dev/", f"{pki.directory}/")
    monkeypatch.setenv("KETENSERVER_DATABASE_URL", settings.effective_database_url)  # for the duo command
    monkeypatch.chdir(tmp_path)  # the mirror file lands here
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own README, on purpose
    lines = output.getvalue().splitlines()
    registered = re.fullmatch(r"registered: (\d{10}) Geregistreerd Utrecht", lines[0])
    assert registered, lines
    assert lines[1] == "day specification: 2 days, visible to the municipality: True"
    assert re.fullmatch(r"reply: In behandeling \S.+ leerplicht@utrecht\.gemeente\.example", lines[2]), lines
    assert re.fullmatch(rf"follow-up: \d{{10}} after {registered.group(1)}", lines[3]), lines
    assert lines[4] == "mirror holds the follow-up: True"


def _flemish_flow() -> str:
    section = README.read_text().split("## A Flemish provider's flow", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README lost its Flemish flow"
    return match.group(1)


def test_readme_flemish_flow_runs(base_url, pki, settings, monkeypatch):
    """Recognition request with two mentors, decision, agreement, a move in KBO, its task, the addendum."""
    code = _flemish_flow().replace("https://127.0.0.1:8443", base_url).replace("certs-dev/", f"{pki.directory}/")
    monkeypatch.setenv("KETENSERVER_DATABASE_URL", settings.effective_database_url)  # for the commands
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own README, on purpose
    lines = output.getvalue().splitlines()
    filed = re.fullmatch(r"filed: (EA\d{8}) TOEGEWEZEN (.+)", lines[0])
    assert filed, lines
    recognised = re.fullmatch(r"recognised: ER\d{8} ([A-Z_]+) until (\d{4}-\d\d-\d\d)", lines[1])
    assert recognised, lines
    assert re.fullmatch(r"agreement: OV\d{8} GEREGISTREERD", lines[2]), lines
    assert lines[3] == "task: ADRESWIJZIGING_VESTIGING options ['AANPASSEN', 'BEEINDIGEN']", lines
    assert re.fullmatch(r"addendum: AD\d{8} GEREGISTREERD", lines[4]), lines
