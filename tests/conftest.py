"""Shared fixtures: a development PKI, a database (SQLite, or PostgreSQL when
``KETENSERVER_TEST_DATABASE_URL`` is set), the app, and a real mutual-TLS server on loopback.

Tests on the database itself take ``db_session``: a transaction of their own, rolled back at the
end, filled by the factories of ``tests/factories.py``. Tests through the server (which sees
only what is committed) keep apart by data of their own: fresh students, MessageIDs, companies.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ketenserver.app import KetenApp, create_app
from ketenserver.db import make_engine
from ketenserver.exchange.storage import JournalEntry
from ketenserver.pki import DevPki, init_dev_pki
from ketenserver.sandbox import prepare_database
from ketenserver.server import RunningServer, serve_in_thread
from ketenserver.settings import Settings
from ketenserver.spyne_compat import load_spyne
from ketenserver.testing import rolled_back_sessions, scratch_database
from tests import factories

load_spyne()  # the tests import spyne services directly; the server does this in create_app

TEST_DATABASE_ENV = "KETENSERVER_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return init_dev_pki(tmp_path_factory.mktemp("pki"))


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(TEST_DATABASE_ENV) else ["sqlite"]


@pytest.fixture(scope="session", params=_backends())
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every database test runs on SQLite, and also on PostgreSQL when the variable is set
    (each test session on a database of its own, dropped at the end)."""
    server_url = os.environ[TEST_DATABASE_ENV] if request.param == "postgresql" else None
    with scratch_database(server_url, "test") as url:
        yield url


@pytest.fixture(scope="session")
def settings(pki: DevPki, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"), database_url=database_url,
                    pki_dir=pki.directory, port=0, threads=8, max_request_bytes=512 * 1024)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.effective_database_url)
    prepare_database(engine, companies=200)
    yield engine
    engine.dispose()


@pytest.fixture
def db_sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on the test database inside one transaction of this test, rolled back afterwards:
    for code under test that opens sessions of its own (a journal, a background job)."""
    with rolled_back_sessions(engine) as sessions:
        yield sessions


@pytest.fixture
def db_session(db_sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose writes, committed or not, are gone after the test (``session.commit()``
    only releases a savepoint); the seeded rows are there, but a test builds its own."""
    with db_sessions() as session:
        yield session


@pytest.fixture(scope="session")
def journal_entry(engine: Engine):  # type: ignore[no-untyped-def]
    """``journal_entry(message_id)``: the entry the server committed for the exchange with that MessageID."""

    def read(message_id: str) -> JournalEntry:
        with Session(engine) as session:
            return factories.journalled(session, message_id)

    return read


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine) -> KetenApp:
    return create_app(settings, engine=engine)


@pytest.fixture(scope="session")
def server(settings: Settings, app: KetenApp) -> Iterator[RunningServer]:
    running = serve_in_thread(replace(settings, port=0), app)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def base_url(server: RunningServer) -> str:
    return f"https://127.0.0.1:{server.port}"


def tls_session(pki: DevPki, party: str | None) -> requests.Session:
    """A requests session presenting ``party``'s certificate (or none) and trusting the dev PKI."""
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace our trust anchor
    session.verify = str(pki.trust_bundle)
    if party is not None:
        files = pki.party(party)
        session.cert = (str(files.chain), str(files.key))
    return session


@pytest.fixture(scope="session")
def school_session(pki: DevPki) -> Iterator[requests.Session]:
    session = tls_session(pki, "school-25LX")
    yield session
    session.close()


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parents[1]


SBB_NS = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
VASTSTELLEN_ACTION = f"{SBB_NS}:VaststellenLeerbedrijf"
SIGNED_PATH = "/sbb-erkenningen/2W-be-S"


def vaststellen_payload(naam: str = "Bakkerij De Vries", postcode: str = "1012 AB") -> bytes:
    return (f'<sbb:VaststellenLeerbedrijf xmlns:sbb="{SBB_NS}"><sbb:Naam>{naam}</sbb:Naam>'
            f"<sbb:Postcode>{postcode}</sbb:Postcode></sbb:VaststellenLeerbedrijf>").encode()


@pytest.fixture(scope="session")
def builder_for(pki: DevPki, base_url: str):  # type: ignore[no-untyped-def]
    """``builder_for("school-25LX")`` crafts requests signed with that party's key."""
    from ketenserver.testing import RequestBuilder

    def make(party: str, path: str = SIGNED_PATH, *, signed: bool = True) -> RequestBuilder:
        files = pki.party(party)
        built = RequestBuilder.from_files(files.cert, files.key, base_url + path, files.oin)
        if not signed:
            built.signer = None
        return built

    return make


@pytest.fixture(scope="session")
def post(base_url: str, school_session: requests.Session):  # type: ignore[no-untyped-def]
    """POST raw bytes to an endpoint over mutual TLS (as school 25LX unless a session is given)."""

    def send(data: bytes, path: str = SIGNED_PATH, *, session: requests.Session | None = None,
             soap_action: str | None = None) -> requests.Response:
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        if soap_action is not None:
            headers["SOAPAction"] = f'"{soap_action}"'
        return (session or school_session).post(base_url + path, data=data, headers=headers, timeout=30)

    return send


@pytest.fixture(scope="session")
def payload():  # type: ignore[no-untyped-def]
    """``payload(naam=..., postcode=...)``: a VaststellenLeerbedrijf request element."""
    return vaststellen_payload


@pytest.fixture(scope="session")
def tls_for(pki: DevPki) -> Iterator[object]:
    """``tls_for("school-30AB")``: a requests session presenting that party's certificate."""
    opened: list[requests.Session] = []

    def make(party: str | None) -> requests.Session:
        opened.append(tls_session(pki, party))
        return opened[-1]

    yield make
    for session in opened:
        session.close()
