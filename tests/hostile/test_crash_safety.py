"""Crash safety (issue 5): a server process killed with SIGKILL in the middle of a load run.

Several threads register placement agreements against a real ``ketenserver serve`` process,
each request with a MessageID of its own and a student number of its own. After some replies the
process is killed outright (no shutdown, no cleanup) while requests are in flight, and a new
process is started on the same database. Then:

* every registration that got a success reply is in the database, with its stored reply;
* an agreement exists exactly when its stored reply does (both commit in one transaction);
* retrying every request with its MessageID (a fresh signature, as a client does) answers the
  answered ones with their original reply, an interrupted one that had committed with the reply
  it never delivered, and one that had not with a single fresh registration;
* afterwards every request has exactly one agreement and one stored reply: nothing twice.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketenclient import BpvOvereenkomst, Credentials, SbbErkenningenClient
from ketenserver.exchange.storage import StoredReply
from ketenserver.pki import DevPki
from ketenserver.recognitions import domain
from ketenserver.recognitions.bpv_storage import AgreementModel
from ketenserver.settings import ENV_PREFIX, Settings
from ketenserver.testing import free_port, log_tail
from tests import factories

LEERBEDRIJF_ID, CREBO = "100000001", "25173"  # demo company, recognised for 25173 since 2018, open-ended
SCHOOL = "school-25LX"
THREADS = 4
ANSWERED_BEFORE_KILL = 40
START = domain.dutch_date(dt.datetime.now(dt.UTC)) + dt.timedelta(days=7)
END = START + dt.timedelta(days=180)


@dataclass
class Registration:
    """One request of the load run: known before it is sent, so an unanswered one can be retried."""

    message_id: str
    student: str
    reply: BpvOvereenkomst | None = None
    failure: BaseException | None = None


# -- the server process ------------------------------------------------------------------------


def _tail(log: Path) -> str:
    return log_tail(log) or "(no server output)"


def _wait_for(condition: Callable[[], bool], *, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; server output:\n{_tail(log)}")
        time.sleep(0.05)


@contextmanager
def _server(settings: Settings, port: int, log: Path, tls: requests.Session) -> Iterator[subprocess.Popen[bytes]]:
    """``ketenserver serve`` in a process of its own, answering on ``port`` before this yields.

    The process is always gone when the block is left: stopped if it still runs, reaped if killed.
    """
    command = [sys.executable, "-m", "ketenserver.cli", "--database-url", settings.effective_database_url,
               "--pki-dir", str(settings.pki_dir), "--data-dir", str(log.parent),
               "serve", "--port", str(port), "--workers", "1"]
    # Settings come from the command line and these two alone, whatever the caller's environment says.
    ignored = {f"{ENV_PREFIX}CONFIG"} | {ENV_PREFIX + field.name.upper() for field in fields(Settings)}
    environment = {name: value for name, value in os.environ.items() if name not in ignored}
    environment.update(KETENSERVER_RECOGNITIONS_DELIVERY_INTERVAL="0", KETENSERVER_LOG_LEVEL="WARNING")
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                   env=environment, cwd=log.parent)
    try:
        wsdl = f"https://127.0.0.1:{port}/sbb-erkenningen/2W-be-S?wsdl"

        def serving() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"the server exited with {process.returncode}:\n{_tail(log)}")
            try:
                return tls.get(wsdl, timeout=5).status_code == 200
            except requests.RequestException:  # not listening yet, or too busy starting to answer
                return False

        _wait_for(serving, timeout=20, what=f"the server on port {port}", log=log)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
        process.wait(timeout=10)


# -- the clients -------------------------------------------------------------------------------


def _register(client: SbbErkenningenClient, registration: Registration) -> BpvOvereenkomst:
    return client.registreren_bpv_overeenkomst(registration.student, LEERBEDRIJF_ID, CREBO, START, END, "BOL",
                                               message_id=registration.message_id)


def _load(client: SbbErkenningenClient, prefix: str, made: list[Registration], lock: threading.Lock,
          deadline: float) -> None:
    """Register one agreement after another until a call fails (the server is gone) or time is up."""
    while time.monotonic() < deadline:
        with lock:
            registration = Registration(f"urn:uuid:{uuid.uuid4()}", f"{prefix}{len(made):04d}")
            made.append(registration)
        try:
            registration.reply = _register(client, registration)
        except Exception as error:  # kept for the test to judge: only transport errors are expected
            registration.failure = error
            return


def _answered(made: list[Registration], lock: threading.Lock) -> int:
    with lock:
        return sum(registration.reply is not None for registration in made)


@contextmanager
def _clients(endpoint: str, credentials: Credentials, count: int) -> Iterator[list[SbbErkenningenClient]]:
    with ExitStack() as stack:
        yield [stack.enter_context(SbbErkenningenClient(endpoint, credentials, timeout=10)) for _ in range(count)]


def _retry_all(clients: list[SbbErkenningenClient], made: list[Registration]) -> dict[str, BpvOvereenkomst]:
    """Every registration sent again with its MessageID, spread over the clients' threads."""
    shares = [made[i::len(clients)] for i in range(len(clients))]
    with ThreadPoolExecutor(len(clients)) as pool:
        done = pool.map(lambda client, share: [(r.message_id, _register(client, r)) for r in share],
                        clients, shares, timeout=60)
        return {message_id: reply for answers in done for message_id, reply in answers}


# -- the database ------------------------------------------------------------------------------


def _stored(engine: Engine, prefix: str, oin: str, made: list[Registration]
            ) -> tuple[dict[str, list[AgreementModel]], set[str]]:
    """Agreements by student number, and the MessageIDs with a stored reply, of this run."""
    with Session(engine) as session:
        agreements = session.scalars(select(AgreementModel).where(AgreementModel.student_number.startswith(prefix))
                                     .order_by(AgreementModel.id)).all()
        replied = session.scalars(select(StoredReply.message_id).where(
            StoredReply.organisation_oin == oin,
            StoredReply.message_id.in_([r.message_id for r in made]))).all()
    by_student: dict[str, list[AgreementModel]] = defaultdict(list)
    for agreement in agreements:
        by_student[agreement.student_number].append(agreement)
    return by_student, set(replied)


def _as_reply(agreement: AgreementModel) -> tuple[object, ...]:
    return (agreement.id, agreement.student_number, agreement.leerbedrijf_id, agreement.crebo,
            agreement.start_date, agreement.planned_end_date, agreement.learning_path)


def _fields(reply: BpvOvereenkomst) -> tuple[object, ...]:
    return (reply.overeenkomst_id, reply.studentnummer, reply.leerbedrijf_id, reply.crebo, reply.begindatum,
            reply.geplande_einddatum, reply.leerweg)


# -- the test ----------------------------------------------------------------------------------


@pytest.fixture
def tls(pki: DevPki) -> Iterator[requests.Session]:
    """The school's TLS session, for probing whether a server process answers yet."""
    files = pki.party(SCHOOL)
    with requests.Session() as session:
        session.trust_env = False
        session.verify = str(pki.trust_bundle)
        session.cert = (str(files.chain), str(files.key))
        yield session


@pytest.mark.slow
def test_a_killed_server_keeps_every_answered_registration_and_stores_nothing_twice(
        engine: Engine, settings: Settings, pki: DevPki, tls: requests.Session, tmp_path: Path) -> None:
    began = time.monotonic()
    files = pki.party(SCHOOL)
    credentials = factories.credentials(pki, SCHOOL)
    port = free_port()
    endpoint = f"https://127.0.0.1:{port}/sbb-erkenningen/2W-be-S"
    prefix = f"CS{uuid.uuid4().hex[:8]}-"  # this run's student numbers: 15 characters of the 20 allowed
    made: list[Registration] = []
    lock = threading.Lock()

    with _server(settings, port, tmp_path / "first.log", tls) as first, \
            _clients(endpoint, credentials, THREADS) as clients:
        assert clients[0].natrekken_erkenning(LEERBEDRIJF_ID, CREBO, START).erkend
        deadline = time.monotonic() + 30
        threads = [threading.Thread(target=_load, args=(client, prefix, made, lock, deadline),
                                    name=f"load-{i}", daemon=True) for i, client in enumerate(clients)]
        for thread in threads:
            thread.start()
        _wait_for(lambda: _answered(made, lock) >= ANSWERED_BEFORE_KILL or not any(t.is_alive() for t in threads),
                  timeout=15, what=f"{ANSWERED_BEFORE_KILL} replies", log=tmp_path / "first.log")
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
        for thread in threads:
            thread.join(timeout=20)
        assert not any(thread.is_alive() for thread in threads)
    load_done = time.monotonic()

    answered = [r for r in made if r.reply is not None]
    unanswered = [r for r in made if r.reply is None]
    # Each thread ran until its call failed, and only transport errors may end a call: no fault.
    assert all(isinstance(r.failure, requests.RequestException) for r in unanswered), \
        [repr(r.failure) for r in unanswered]
    assert len(unanswered) == THREADS
    assert len(answered) >= ANSWERED_BEFORE_KILL

    with _server(settings, port, tmp_path / "second.log", tls), _clients(endpoint, credentials, THREADS) as clients:
        by_student, replied = _stored(engine, prefix, files.oin, made)
        for registration in answered:
            assert registration.reply is not None
            assert [_as_reply(a) for a in by_student[registration.student]] == [_fields(registration.reply)]
            assert registration.message_id in replied
        for registration in unanswered:  # agreement and stored reply commit together, or neither
            assert len(by_student[registration.student]) == (registration.message_id in replied)
        committed = {r.message_id: _as_reply(by_student[r.student][0]) for r in unanswered if r.message_id in replied}
        known_ids = {a.id for agreements in by_student.values() for a in agreements}

        again = _retry_all(clients, made)
        for registration in made:
            reply = again[registration.message_id]
            if registration.reply is not None:
                assert reply == registration.reply
            elif registration.message_id in committed:
                assert _fields(reply) == committed[registration.message_id]  # the reply the kill swallowed
            else:
                assert reply.overeenkomst_id not in known_ids  # never done: done now
        assert _retry_all(clients[:1], unanswered) == {r.message_id: again[r.message_id] for r in unanswered}

        by_student, replied = _stored(engine, prefix, files.oin, made)
        assert replied == {r.message_id for r in made}
        assert sorted(by_student) == sorted(r.student for r in made)
        for registration in made:
            assert [_as_reply(a) for a in by_student[registration.student]] == \
                [_fields(again[registration.message_id])]

    print(f"\ncrash safety ({engine.dialect.name}): {len(made)} registrations, {len(answered)} answered before "
          f"the kill, {len(unanswered)} unanswered of which {len(committed)} had committed; "
          f"{sum('refused' in str(r.failure) for r in unanswered)} refused at connect; "
          f"load {load_done - began:.1f} s, all {time.monotonic() - began:.1f} s")
