"""The ``ketenserver`` command: certificates, database, registry, journal and the fault catalogue."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from ketencore.trust import TrustStore, oin_of
from ketenserver.cli import main
from ketenserver.exchange.storage import Organisation


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("KETENSERVER_DATABASE_URL", "KETENSERVER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_certs_issue_makes_a_trusted_temporary_certificate_and_registers_it(workdir, capsys):
    assert main(["certs", "init"]) == 0
    assert main(["certs", "issue", "--oin", "00000099000000004242", "--name", "Leverancier Test B.V.",
                 "--days", "7"]) == 0
    out = capsys.readouterr().out
    assert "00000099000000004242" in out and "PKCS#12" in out
    cert_file = workdir / "certs-dev" / "DEV-ONLY-temp-00000099000000004242.crt.pem"
    certificate = x509.load_pem_x509_certificate(cert_file.read_bytes())
    assert oin_of(certificate) == "00000099000000004242"
    store = TrustStore.from_files(workdir / "certs-dev" / "DEV-ONLY-trust-bundle.pem",
                                  [workdir / "certs-dev" / "DEV-ONLY-private-services-ca.crl.pem"])
    assert store.verify(certificate) == "00000099000000004242"
    engine = create_engine(f"sqlite:///{workdir / 'ketenserver-data' / 'ketenserver.sqlite3'}")
    with Session(engine) as session:
        registered = session.scalars(select(Organisation).where(Organisation.oin == "00000099000000004242")).one()
    engine.dispose()
    assert registered.kind == "vendor" and registered.name == "Leverancier Test B.V."


def test_certs_issue_refuses_a_malformed_oin(workdir, capsys):
    assert main(["certs", "init"]) == 0
    assert main(["certs", "issue", "--oin", "12345", "--name", "X"]) == 2
    assert "OIN" in capsys.readouterr().err


def test_db_upgrade_and_registry_commands(workdir, capsys):
    url = f"sqlite:///{workdir / 'k.sqlite3'}"
    assert main(["--database-url", url, "db", "upgrade"]) == 0
    assert main(["--database-url", url, "db", "upgrade"]) == 0  # idempotent
    assert main(["--database-url", url, "org", "add", "--oin", "0000000700099ZZ00000", "--name", "School Z",
                 "--kind", "school", "--brin", "99ZZ"]) == 0
    assert main(["--database-url", url, "org", "add", "--oin", "00000003876543210000", "--name", "Host",
                 "--kind", "vendor"]) == 0
    assert main(["--database-url", url, "org", "mandate", "--intermediary", "00000003876543210000",
                 "--organisation", "0000000700099ZZ00000"]) == 0
    capsys.readouterr()
    assert main(["--database-url", url, "org", "list"]) == 0
    listing = capsys.readouterr().out
    assert "School Z" in listing and "intermediaries: 00000003876543210000" in listing


def test_journal_lists_filters_and_shows(settings, post, builder_for, payload, capsys):
    built = builder_for("school-25LX").build(
        payload(), action="urn:ketenserver:sbb:whitelabel:erkenningen:2.1:VaststellenLeerbedrijf")
    assert post(built.bytes()).status_code == 200
    url = ["--database-url", settings.effective_database_url]
    assert main([*url, "journal", "--oin", "0000000700025LX00000", "--outcome", "accepted"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all("accepted" in line for line in lines)
    entry_id = int(lines[0].split()[0])
    assert main([*url, "journal", "--show", str(entry_id)]) == 0
    shown = capsys.readouterr().out
    assert "--- request ---" in shown and "VaststellenLeerbedrijf" in shown
    assert main([*url, "journal", "--operation", "NoSuchOperation"]) == 0
    assert "no journal entries match" in capsys.readouterr().out


def test_faults_command_prints_the_catalogue_in_the_readme(capsys):
    assert main(["faults"]) == 0
    table = capsys.readouterr().out.strip()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert table in readme, "README's fault catalogue is out of date: paste `ketenserver faults` into it"
    for code in ("0001", "0004", "0111", "0116", "SBB-1002"):
        assert f"| {code} |" in table


def test_console_script_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "ketenserver", "--help"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0 and "sandbox" in result.stdout


def test_certs_check_reports_each_certificate_and_warns_ahead(workdir, capsys):
    assert main(["certs", "init"]) == 0
    capsys.readouterr()
    assert main(["certs", "check"]) == 0  # server, CAs and CRL are fine for a year or more
    rows = {line.split()[-1]: line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["DEV-ONLY-school-25LX.crt.pem"] == "ok"
    assert rows["DEV-ONLY-test-expired.crt.pem"] == "expired"
    assert rows["DEV-ONLY-test-revoked.crt.pem"] == "revoked"
    assert rows["DEV-ONLY-test-foreign.crt.pem"] == "unknown-issuer"
    assert rows["DEV-ONLY-private-services-ca.crl.pem"] == "ok"
    assert rows["DEV-ONLY-root-ca.crt.pem"] == "ok"
    assert rows["DEV-ONLY-foreign-root-ca.crt.pem"] == "ca-not-trusted"
    assert main(["certs", "check", "--warn-days", "800"]) == 1  # the 2-year server certificate: soon
    captured = capsys.readouterr()
    assert "expires-soon" in captured.out and "WARNING: DEV-ONLY-server-localhost.chain.pem" in captured.err
