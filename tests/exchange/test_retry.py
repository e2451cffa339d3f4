"""A retry (same MessageID, freshly signed) of a state-changing request gets the original reply,
and the work is done once, also when two retries race. Shown in-process on the pipeline with a
stand-in operation whose "work" is a database row."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from io import BytesIO

import pytest
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketencore import names as ns
from ketencore.profiles import DIGIKOPPELING_2W_BE_S
from ketenserver.contracts import WsdlOperation
from ketenserver.exchange.pipeline import Endpoint
from ketenserver.exchange.storage import JournalEntry, SeenSignature
from ketenserver.testing import RequestBuilder, fault_code

NS = "urn:test:retry"
SCHEMA = etree.XMLSchema(etree.fromstring(f"""
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}" elementFormDefault="qualified">
  <xs:element name="Register"><xs:complexType><xs:sequence>
    <xs:element name="Wat" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="Annuleer"><xs:complexType><xs:sequence>
    <xs:element name="Wat" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="RegisterResponse"><xs:complexType><xs:sequence>
    <xs:element name="Nummer" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
</xs:schema>""".encode()))
ACTION = f"{NS}:Register"


class WorkCounter:
    """A stand-in for a feature's operations: each call adds a row (its work) and answers with a fresh number."""

    def __init__(self) -> None:
        self.calls = 0
        self.barrier: threading.Barrier | None = None

    def __call__(self, payload, call):
        self.calls += 1
        number = uuid.uuid4().hex
        call.session.add(SeenSignature(digest=f"work-{number}", expires_at=datetime(2999, 1, 1, tzinfo=UTC)))
        call.session.flush()
        if self.barrier is not None:
            self.barrier.wait(timeout=10)  # both racers have done their work before either commits
        return etree.fromstring(f'<r:RegisterResponse xmlns:r="{NS}"><r:Nummer>{number}</r:Nummer>'
                                "</r:RegisterResponse>")


@pytest.fixture
def counter():
    return WorkCounter()


@pytest.fixture
def endpoint(counter):
    operation = WsdlOperation(name="Register", input_element=f"{{{NS}}}Register",
                              output_element=f"{{{NS}}}RegisterResponse", action=ACTION,
                              output_action=f"{NS}:RegisterResponse", soap_action=ACTION)
    cancel = WsdlOperation(name="Annuleer", input_element=f"{{{NS}}}Annuleer",
                           output_element=f"{{{NS}}}RegisterResponse", action=f"{NS}:Annuleer",
                           output_action=f"{NS}:AnnuleerResponse", soap_action=f"{NS}:Annuleer")
    return Endpoint("retry-test", DIGIKOPPELING_2W_BE_S, {op.input_element: op for op in (operation, cancel)},
                    frozenset({"Register", "Annuleer"}), SCHEMA, counter)


@pytest.fixture
def send(app, endpoint, pki):
    school = pki.party("school-25LX")
    tls_pem = school.cert.read_text()
    builder = RequestBuilder.from_files(school.cert, school.key, "https://localhost/retry-test/2W-be-S", school.oin)

    def post(message_id: str | None = None, operation: str = "Register", wat: str = "x") -> tuple[str, bytes]:
        data = builder.build(f'<r:{operation} xmlns:r="{NS}"><r:Wat>{wat}</r:Wat></r:{operation}>'.encode(),
                             action=f"{NS}:{operation}", message_id=message_id).bytes()
        environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(data)), "wsgi.input": BytesIO(data),
                   "CONTENT_TYPE": "text/xml; charset=utf-8", "SSL_CLIENT_CERT": tls_pem}
        status: list[str] = []
        body = b"".join(app.pipeline.handle(endpoint, environ, lambda s, h: status.append(s)))
        return status[0], body

    return post


def _work_rows(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(SeenSignature)
                              .where(SeenSignature.digest.like("work-%")))


def _nummer(body: bytes) -> str:
    return etree.fromstring(body).findtext(f".//{{{NS}}}Nummer")


def test_retry_returns_the_original_reply_without_doing_the_work_again(send, counter, engine):
    before = _work_rows(engine)
    message_id = f"urn:uuid:{uuid.uuid4()}"
    status, first = send(message_id)
    assert status.startswith("200"), first
    status, again = send(message_id)
    assert status.startswith("200")
    assert _nummer(again) == _nummer(first)
    assert counter.calls == 1 and _work_rows(engine) == before + 1
    _, other = send()  # a new MessageID is new work
    assert _nummer(other) != _nummer(first) and counter.calls == 2


def test_another_message_under_a_used_message_id_is_refused_and_does_no_work(send, counter, engine):
    """Issue 10, finding 6: it once got the stale reply, and its sender believed it was registered."""
    message_id = f"urn:uuid:{uuid.uuid4()}"
    status, first = send(message_id, wat="eerste melding")
    assert status.startswith("200"), first
    before = _work_rows(engine)
    status, other = send(message_id, wat="tweede melding")
    assert status.startswith("500") and fault_code(other) == "0011"
    assert b"already used for another Register message" in other and _nummer(other) is None
    assert counter.calls == 1 and _work_rows(engine) == before
    with Session(engine) as session:
        outcomes = session.execute(select(JournalEntry.outcome, JournalEntry.fault_code)
                                   .where(JournalEntry.message_id == message_id).order_by(JournalEntry.id)).all()
    assert [tuple(row) for row in outcomes] == [("accepted", None), ("refused", "0011")]
    _, again = send(message_id, wat="eerste melding")  # the true retry still gets the original reply
    assert _nummer(again) == _nummer(first) and counter.calls == 1


def test_state_changing_request_requires_from(send, app, endpoint, pki):
    school = pki.party("school-25LX")
    builder = RequestBuilder.from_files(school.cert, school.key, "https://localhost/retry-test/2W-be-S", school.oin)
    built = builder.build(f'<r:Register xmlns:r="{NS}"><r:Wat>x</r:Wat></r:Register>'.encode(), action=ACTION,
                          sign=("Body", "Timestamp", "To", "Action", "MessageID"))
    built.header.remove(built.wsa("From"))
    data = built.bytes()
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(data)), "wsgi.input": BytesIO(data),
               "CONTENT_TYPE": "text/xml; charset=utf-8", "SSL_CLIENT_CERT": school.cert.read_text()}
    body = b"".join(app.pipeline.handle(endpoint, environ, lambda s, h: None))
    assert fault_code(body) == "0011"


def test_racing_retries_do_the_work_once(send, counter, engine, database_url):
    if not database_url.startswith("sqlite"):
        # Both do their work before either commits; the reply table's key decides. (SQLite
        # serialises writers, so there the second waits for the first and finds its reply.)
        counter.barrier = threading.Barrier(2)
    before = _work_rows(engine)
    message_id = f"urn:uuid:{uuid.uuid4()}"
    results: list[tuple[str, bytes]] = []
    threads = [threading.Thread(target=lambda: results.append(send(message_id))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2 and all(status.startswith("200") for status, _ in results)
    assert _nummer(results[0][1]) == _nummer(results[1][1])
    assert _work_rows(engine) == before + 1  # the loser's work was rolled back


def test_a_message_id_cannot_be_reused_for_another_operation(send, counter):
    message_id = f"urn:uuid:{uuid.uuid4()}"
    assert send(message_id)[0].startswith("200")
    status, body = send(message_id, operation="Annuleer")
    assert status.startswith("500") and fault_code(body) == "0011"
    assert counter.calls == 1


def test_database_failure_mid_request_is_service_unavailable_and_leaves_nothing(app, endpoint, counter, engine,
                                                                                 pki):
    from sqlalchemy.exc import OperationalError

    from ketenserver.exchange.storage import StoredReply

    def failing(payload, call):
        counter(payload, call)  # does its work (a row) ...
        raise OperationalError("INSERT ...", {}, Exception("server closed the connection"))  # ... then the DB dies

    broken = Endpoint(endpoint.feature_key, endpoint.profile, endpoint.operations, endpoint.state_changing,
                      endpoint.schema, failing)
    school = pki.party("school-25LX")
    builder = RequestBuilder.from_files(school.cert, school.key, "https://localhost/retry-test/2W-be-S", school.oin)
    built = builder.build(f'<r:Register xmlns:r="{NS}"><r:Wat>x</r:Wat></r:Register>'.encode(), action=ACTION)
    data = built.bytes()
    before = _work_rows(engine)
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(data)), "wsgi.input": BytesIO(data),
               "CONTENT_TYPE": "text/xml; charset=utf-8", "SSL_CLIENT_CERT": school.cert.read_text()}
    status: list[str] = []
    body = b"".join(app.pipeline.handle(broken, environ, lambda s, h: status.append(s)))
    assert status[0].startswith("500") and fault_code(body) == "0051"
    assert b"server closed" not in body and b"INSERT" not in body
    assert _work_rows(engine) == before  # the work was rolled back
    with Session(engine) as session:
        assert session.get(StoredReply, (school.oin, built.message_id)) is None


def test_unexpected_service_output_is_a_generic_server_fault(app, endpoint, pki):
    def broken(payload, call):
        # not valid against the XSD: a bug in the service, never the caller's fault
        return etree.fromstring(f'<r:Onbekend xmlns:r="{NS}"/>')

    bad = Endpoint(endpoint.feature_key, endpoint.profile, endpoint.operations, endpoint.state_changing,
                   endpoint.schema, broken)
    school = pki.party("school-25LX")
    builder = RequestBuilder.from_files(school.cert, school.key, "https://localhost/retry-test/2W-be-S", school.oin)
    data = builder.build(f'<r:Register xmlns:r="{NS}"><r:Wat>x</r:Wat></r:Register>'.encode(), action=ACTION).bytes()
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(data)), "wsgi.input": BytesIO(data),
               "CONTENT_TYPE": "text/xml; charset=utf-8", "SSL_CLIENT_CERT": school.cert.read_text()}
    body = b"".join(app.pipeline.handle(bad, environ, lambda s, h: None))
    root = etree.fromstring(body)
    assert fault_code(body) == "0500"
    assert root.findtext(f".//{{{ns.SOAP_ENV}}}Fault/faultcode") == "soapenv:Server"
    faultstring = root.findtext(f".//{{{ns.SOAP_ENV}}}Fault/faultstring")
    assert "journal" in faultstring and "Onbekend" not in faultstring


def _journal_of(engine, message_id: str) -> list[tuple[str, str | None]]:
    with Session(engine) as session:
        return [tuple(row) for row in session.execute(
            select(JournalEntry.outcome, JournalEntry.fault_code).where(JournalEntry.message_id == message_id)
            .order_by(JournalEntry.id))]


def test_an_accepted_change_is_journaled_once_in_its_own_transaction(send, engine):
    message_id = f"urn:uuid:{uuid.uuid4()}"
    status, _ = send(message_id)
    assert status.startswith("200") and _journal_of(engine, message_id) == [("accepted", None)]


def test_a_change_whose_journal_entry_cannot_be_written_is_not_stored_either(send, counter, engine, app,
                                                                             monkeypatch):
    """Both or neither: the work, its stored reply and its journal entry commit together."""
    from sqlalchemy.exc import OperationalError

    from ketenserver.exchange.journal import Journal
    from ketenserver.exchange.storage import StoredReply

    def failing(*_: object, **__: object) -> None:
        raise OperationalError("INSERT INTO journal_entries ...", {}, Exception("disk I/O error"))

    before = _work_rows(engine)
    message_id = f"urn:uuid:{uuid.uuid4()}"
    with monkeypatch.context() as patched:
        patched.setattr(Journal, "add", failing)
        status, body = send(message_id)
    assert status.startswith("500") and fault_code(body) == "0051" and b"disk I/O" not in body
    assert counter.calls == 1 and _work_rows(engine) == before  # the work was done, and rolled back
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(StoredReply)
                              .where(StoredReply.message_id == message_id)) == 0
    assert _journal_of(engine, message_id) == [("refused", "0051")]  # the refusal, journaled on its own
    status, again = send(message_id)  # the retry the fault asks for does the work, once
    assert status.startswith("200") and _nummer(again) is not None
    assert counter.calls == 2 and _work_rows(engine) == before + 1
    assert _journal_of(engine, message_id) == [("refused", "0051"), ("accepted", None)]
