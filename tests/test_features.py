"""A feature contributes itself, and the app composes any subset of the registered features:
its endpoints, contracts, jobs, fault catalogue, settings section and commands follow the subset."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy.engine import Engine

from ketencore.faults import CORE_FAULTS
from ketenserver.absence.feature import FEATURE as ABSENCE
from ketenserver.absence.settings import AbsenceSettings
from ketenserver.app import create_app
from ketenserver.cli import build_parser
from ketenserver.faults import catalogue
from ketenserver.features import FEATURES
from ketenserver.recognitions.feature import FEATURE as RECOGNITIONS
from ketenserver.recognitions.settings import RecognitionsSettings
from ketenserver.settings import Settings, load_settings


def _get(app, path: str) -> tuple[str, bytes]:
    statuses: list[str] = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path.split("?")[0], "QUERY_STRING": path.partition("?")[2],
               "HTTP_HOST": "127.0.0.1:8443", "SERVER_PORT": "8443", "wsgi.url_scheme": "https"}
    body = b"".join(app(environ, lambda status, headers: statuses.append(status)))
    return statuses[0], body


def test_an_app_of_one_feature_serves_only_that_feature(settings: Settings, engine: Engine) -> None:
    app = create_app(settings, features=(ABSENCE,), engine=engine)
    try:
        assert {endpoint.feature_key for endpoint in app.endpoints.values()} == {"duo-verzuimloket"}
        assert set(app.jobs) - {"journal-retention"} == {"duo-verzuimloket"}
        assert _get(app, "/duo-verzuimloket/2W-be-S?wsdl")[0] == "200 OK"
        assert _get(app, "/sbb-erkenningen/2W-be-S?wsdl")[0].startswith("404")
        assert _get(app, "/wsdl/sbb-mutatieontvanger.wsdl")[0].startswith("404")  # the SBB feature publishes it
        assert "sbb-erkenningen" not in _get(app, "/")[1].decode()
    finally:
        app.close()  # disposing the shared engine only empties its pool; it opens connections again


def test_the_fault_catalogue_follows_the_features() -> None:
    only_absence = catalogue((ABSENCE,))
    assert not any(code.startswith("SBB-") for code in only_absence)
    assert {spec.code for spec in CORE_FAULTS} <= set(only_absence)
    everything = catalogue(FEATURES)
    assert any(code.startswith("SBB-") for code in everything) and any(c.startswith("VZL-") for c in everything)
    assert set(everything) == {spec.code for spec in CORE_FAULTS} | {s.code for f in FEATURES for s in f.faults}


def test_a_feature_adds_its_own_commands() -> None:
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert {"sbb", "duo"} <= commands  # contributed by the two features, not written in cli.py


def test_each_feature_reads_its_own_settings_section(tmp_path) -> None:
    config = tmp_path / "ketenserver.toml"
    config.write_text("[ketenserver]\nport = 9443\n\n[ketenserver.recognitions]\ndelivery_interval = 0\n\n"
                      "[ketenserver.absence]\nmunicipality_intake_hours = 1.5\ncleanup_days = 7\n")
    settings = load_settings(config, environ={"KETENSERVER_ABSENCE_CLEANUP_DAYS": "30"})
    assert settings.port == 9443
    assert settings.of(RecognitionsSettings).delivery_interval == 0
    assert settings.of(RecognitionsSettings).delivery_timeout == RecognitionsSettings().delivery_timeout
    assert settings.of(AbsenceSettings).municipality_intake_hours == 1.5
    assert settings.of(AbsenceSettings).cleanup_days == 30  # the environment wins, as for the server's own
    assert RECOGNITIONS.jobs[0].interval(settings) == 0 and ABSENCE.jobs[0].interval(settings) == 2.0


@pytest.mark.parametrize(("text", "refused"), [
    ("[ketenserver.absence]\nattachment_max = 1\n", "attachment_max"),
    ("[ketenserver.werkplekduaal]\nx = 1\n", "werkplekduaal"),
    ("[ketenserver]\ndelivery_interval = 0\n", "delivery_interval"),  # a feature's setting belongs in its section
])
def test_unknown_settings_and_sections_are_refused(tmp_path, text: str, refused: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ValueError, match=refused):
        load_settings(config, environ={})


def test_importing_the_features_loads_no_spyne() -> None:
    script = ("import json, sys; import ketenserver.features, ketenserver.app, ketenserver.cli; "
              "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'spyne')))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                       timeout=60).stdout)
    assert loaded == []


def test_a_fresh_interpreter_builds_every_feature_s_operations() -> None:
    """As ``ketenserver serve`` does, without the test suite's own load_spyne() (Python 3.12+ needs it first)."""
    script = ("from ketenserver.app import feature_operations; from ketenserver.features import FEATURES; "
              "print(sorted(len(feature_operations(f).application.interface.service_method_map) for f in FEATURES))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(int(count) > 0 for count in done.stdout.strip("[]\n").split(","))


def test_the_guide_shows_the_werkplekduaal_feature_as_it_is(project_root) -> None:  # type: ignore[no-untyped-def]
    """docs/adding-an-exchange.md embeds the counter's feature.py as the worked example: it must not drift."""
    guide = (project_root / "docs" / "adding-an-exchange.md").read_text(encoding="utf-8")
    shown = guide.split("(`src/ketenserver/werkplekduaal/feature.py`):\n\n```python\n", 1)[1].split("```\n", 1)[0]
    real = (project_root / "src" / "ketenserver" / "werkplekduaal" / "feature.py").read_text(encoding="utf-8")
    assert shown == real.split('"""', 2)[2].lstrip("\n")  # all but the module's docstring
