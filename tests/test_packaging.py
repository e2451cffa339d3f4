"""The three distributions install and work anywhere: the client without the server, the server
from a built wheel outside the repository (its contracts inside the package).

The wheel test builds ``ketencore``, ``ketenclient`` and ``ketenserver`` wheels, installs them in
a fresh venv in a temporary directory (third-party dependencies from the package index, as a
vendor's machine gets them), and there starts ``ketenserver sandbox``: every WSDL and schema must
be served and a signed call answered. It runs in the tox env ``packaging`` (marker ``packaging``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest
import requests

from ketenclient import Credentials, SbbErkenningenClient
from ketenserver.pki import SERVER_OIN, DevPki
from ketenserver.testing import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
SERVER_ONLY = ("spyne", "sqlalchemy", "alembic", "ketenserver", "h11", "psycopg")

_CLIENT_ALONE = textwrap.dedent("""
    import io, json, sys
    from ketenclient import Credentials, MutatieOntvanger, SbbErkenningenClient, VerzuimloketClient
    from ketenclient import security, verzuim_sync  # noqa: F401 (every public module)

    chain, key, trust, crl, sbb_oin = sys.argv[1:6]
    school = Credentials.from_pem(chain, key, trust=trust, crls=[crl])
    ontvanger = MutatieOntvanger(school, lambda mutatie: None, sbb_oin=sbb_oin)
    answered = []
    body = b"<not-xml"
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/sbb-mutaties/2W-be-S", "CONTENT_LENGTH": str(len(body)),
               "CONTENT_TYPE": "text/xml; charset=utf-8", "wsgi.input": io.BytesIO(body)}
    reply = b"".join(ontvanger(environ, lambda status, headers: answered.append(status)))
    print(json.dumps({"status": answered[0], "fault": b"0001" in reply,
                      "modules": sorted({name.split(".")[0] for name in sys.modules})}))
""")


def test_the_client_works_without_any_server_module(pki: DevPki) -> None:
    """A school's receiver answers a fault, and nothing of the server, spyne or the ORM is loaded."""
    school = pki.party("school-25LX")
    found = subprocess.run(
        [sys.executable, "-c", _CLIENT_ALONE, str(school.chain), str(school.key), str(pki.trust_bundle),
         str(pki.crl), SERVER_OIN],
        capture_output=True, text=True, check=True, timeout=60)
    result = json.loads(found.stdout)
    assert result["status"].startswith("500") and result["fault"]
    assert not set(SERVER_ONLY) & set(result["modules"]), result["modules"]


def _pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True,
                   timeout=900)


@pytest.mark.packaging
def test_wheels_install_outside_the_repository_and_serve(tmp_path: Path) -> None:
    # built from a copy, so that no build/ or egg-info lands in the working tree
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".tox", "node_modules", "*cache*", "build", "*.egg-info", "ketenserver-data", "DEV-ONLY-*"))
    wheels = tmp_path / "wheels"
    for project in (source / "src" / "ketencore", source / "src" / "clients", source):
        _pip(Path(sys.executable), "wheel", "--no-deps", "-w", str(wheels), str(project))
    home = tmp_path / "vendor"
    venv.create(home / "venv", with_pip=True)
    python = home / "venv" / "bin" / "python"

    # the client distribution alone: no server, no spyne, no SQLAlchemy
    _pip(python, "install", "--find-links", str(wheels), "ketenclient")
    installed = subprocess.run([str(python), "-m", "pip", "list", "--format=json"], capture_output=True,
                               text=True, check=True).stdout
    names = {entry["name"].lower() for entry in json.loads(installed)}
    assert {"ketenclient", "ketencore"} <= names
    assert not names & {"ketenserver", "spyne", "sqlalchemy"}

    _pip(python, "install", "--find-links", str(wheels), "ketenserver")
    port = free_port()
    environment = {name: value for name, value in os.environ.items() if not name.startswith("KETENSERVER_")}
    log = home / "sandbox.log"
    with log.open("wb") as output:
        server = subprocess.Popen(  # cwd outside the repository: nothing can be found relative to it
            [str(home / "venv" / "bin" / "ketenserver"), "--data-dir", str(home / "data"), "--pki-dir",
             str(home / "certs"), "sandbox", "--port", str(port), "--companies", "20"],
            cwd=home, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process=server, timeout=120, log=log)
        pki = DevPki.in_directory(home / "certs")
        school = pki.party("school-25LX")
        credentials = Credentials.from_pem(school.chain, school.key, trust=pki.trust_bundle, crls=[pki.crl])
        base = f"https://127.0.0.1:{port}"
        session = requests.Session()
        session.trust_env = False
        session.verify, session.cert = str(pki.trust_bundle), (str(school.chain), str(school.key))
        for name in ("sbb-erkenningen", "duo-verzuimloket", "sbb-mutatieontvanger"):
            published = session.get(f"{base}/wsdl/{name}.wsdl", timeout=10)
            assert published.status_code == 200 and published.content == (ROOT / "wsdl" / f"{name}.wsdl").read_bytes()
        for name in ("common", "fault", "sbb-erkenningen", "duo-verzuimloket", "sbb-mutatieontvanger"):
            schema = session.get(f"{base}/xsd/{name}.xsd", timeout=10)
            assert schema.status_code == 200 and schema.content == (ROOT / "xsd" / f"{name}.xsd").read_bytes()
        for path in ("/sbb-erkenningen/2W-be-S", "/sbb-erkenningen/2W-be", "/duo-verzuimloket/2W-be-S",
                     "/duo-verzuimloket/2W-be"):
            served = session.get(f"{base}{path}?wsdl", timeout=10)
            assert served.status_code == 200 and f'location="{base}{path}"'.encode() in served.content
        with SbbErkenningenClient(f"{base}/sbb-erkenningen/2W-be-S", credentials) as sbb:
            result = sbb.vaststellen_leerbedrijf("Onbekend Bedrijf", "3511 AA")
        assert isinstance(result.signaalcode, int) and not result.erkend
    finally:
        server.terminate()
        server.wait(timeout=30)
