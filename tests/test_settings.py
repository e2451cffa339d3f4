"""Settings: defaults, then the TOML file, then KETENSERVER_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketenserver.settings import load_settings


def test_toml_then_environment(tmp_path):
    config = tmp_path / "ketenserver.toml"
    config.write_text('[ketenserver]\nport = 9443\nworkers = 0\ndatabase_url = "sqlite:///from-toml.db"\n'
                      'crl_files = ["a.crl.pem", "b.crl.pem"]\n')
    settings = load_settings(config, environ={"KETENSERVER_PORT": "10443"})
    assert settings.port == 10443  # environment wins
    assert settings.database_url == "sqlite:///from-toml.db"
    assert settings.crl_paths == (Path("a.crl.pem"), Path("b.crl.pem"))
    assert settings.worker_count >= 1  # 0 means one per core


def test_defaults_point_at_the_development_pki_and_sqlite():
    settings = load_settings(environ={})
    assert settings.port == 8443 and settings.host == "127.0.0.1"
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.trust_bundle_path == Path("certs-dev/DEV-ONLY-trust-bundle.pem")


def test_unknown_setting_is_refused(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[ketenserver]\nprot = 1\n")
    with pytest.raises(ValueError, match="prot"):
        load_settings(config, environ={})
