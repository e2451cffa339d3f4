"""What tests, benchmarks and conformance scenarios share: signed WUS requests crafted by hand, a
free port and a server that answers on it, valid identifiers, a scratch database, sessions whose
commits are rolled back.

The client library (``ketenclient``) is what a school system uses; :class:`RequestBuilder` gives
testers full control instead: which parts are signed, the Timestamp's times, extra or missing
headers, and the tree itself to tamper with after signing.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from ketencore import names as ns
from ketencore.wsse import MessageSigner, new_message_id, utc_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session, sessionmaker

ALL_PARTS = ("Body", "Timestamp", "To", "From", "Action", "MessageID")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, *, process: subprocess.Popen[bytes] | None = None, timeout: float = 60,
                  log: Path | None = None) -> None:
    """Return once something accepts connections on 127.0.0.1:``port``; fail with the server's
    exit status (when ``process`` ended first) and the end of its ``log``, or after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} before it answered on port "
                               f"{port}{_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing answered on port {port} within {timeout:g} s{_tail(log)}")
        time.sleep(0.1)


def log_tail(log: Path | None, lines: int = 40) -> str:
    """The last *lines* lines of a server's output file ("" when there is none), for a failure message."""
    if log is None or not log.exists():
        return ""
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _tail(log: Path | None) -> str:
    text = log_tail(log)
    return "; its output ends:\n" + text if text else ""


@dataclass
class Built:
    root: etree._Element
    message_id: str
    signature_value: str | None

    @property
    def header(self) -> etree._Element:
        return self.root[0]

    @property
    def body(self) -> etree._Element:
        return self.root[1]

    @property
    def security(self) -> etree._Element:
        security = self.header.find(ns.SECURITY)
        assert security is not None
        return security

    def wsa(self, name: str) -> etree._Element:
        element = self.header.find(ns.qn(ns.WSA, name))
        assert element is not None
        return element

    def bytes(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="utf-8")


@dataclass
class RequestBuilder:
    signer: MessageSigner | None
    """None builds an unsigned request (profile 2W-be)."""
    endpoint: str
    oin: str

    @classmethod
    def from_files(cls, cert: Path, key: Path, endpoint: str, oin: str) -> RequestBuilder:
        return cls(MessageSigner.from_pem(key.read_bytes(), cert.read_bytes()), endpoint, oin)

    def build(
        self,
        payload: bytes | etree._Element,
        *,
        action: str,
        message_id: str | None = None,
        created: datetime | None = None,
        lifetime: int = 300,
        sign: Sequence[str] = ALL_PARTS,
        extra_headers: Iterable[etree._Element] = (),
    ) -> Built:
        root = etree.Element(ns.ENVELOPE, nsmap={"soapenv": ns.SOAP_ENV, "wsa": ns.WSA, "wsu": ns.WSU})
        header = etree.SubElement(root, ns.HEADER)
        body = etree.SubElement(root, ns.BODY)
        body.append(etree.fromstring(payload) if isinstance(payload, bytes) else payload)
        message_id = message_id or new_message_id()
        parts = {"Body": body}
        for name, value in (("To", self.endpoint), ("Action", action), ("MessageID", message_id)):
            element = etree.SubElement(header, ns.qn(ns.WSA, name))
            element.text = value
            parts[name] = element
        sender = etree.SubElement(header, ns.qn(ns.WSA, "From"))
        etree.SubElement(sender, ns.qn(ns.WSA, "Address")).text = f"{ns.WSA_ANONYMOUS}?oin={self.oin}"
        parts["From"] = sender
        for extra in extra_headers:
            header.append(extra)
        return Built(root, message_id, self._secure(root, header, parts, created, lifetime, sign))

    def _secure(self, root: etree._Element, header: etree._Element, parts: dict[str, etree._Element],
                created: datetime | None, lifetime: int, sign: Sequence[str]) -> str | None:
        """Add the Security header with its Timestamp and sign the ``sign`` parts (the Timestamp
        joins ``parts``); the signature value, or None for an unsigned builder."""
        if self.signer is None:
            return None
        security = etree.SubElement(header, ns.SECURITY, nsmap={"wsse": ns.WSSE})
        security.set(ns.qn(ns.SOAP_ENV, "mustUnderstand"), "1")
        moment = created or datetime.now(UTC)
        stamp = etree.SubElement(security, ns.TIMESTAMP)
        etree.SubElement(stamp, ns.qn(ns.WSU, "Created")).text = utc_text(moment)
        etree.SubElement(stamp, ns.qn(ns.WSU, "Expires")).text = utc_text(moment + timedelta(seconds=lifetime))
        parts["Timestamp"] = stamp
        return self.signer.sign(root, security, [parts[name] for name in sign])

    def build_magda(
        self,
        payload: bytes | etree._Element,
        *,
        created: datetime | None = None,
        lifetime: int = 300,
        sign: Sequence[str] = ("Body", "Timestamp"),
        extra_headers: Iterable[etree._Element] = (),
    ) -> Built:
        """A request as a MAGDA client writes it: no WS-Addressing, a Timestamp and a signature over
        Body and Timestamp (``sign`` chooses which of the two). The Built's message_id is empty:
        the message's identity is in the Body (its Referte)."""
        root = etree.Element(ns.ENVELOPE, nsmap={"soapenv": ns.SOAP_ENV, "wsu": ns.WSU})
        header = etree.SubElement(root, ns.HEADER)
        body = etree.SubElement(root, ns.BODY)
        body.append(etree.fromstring(payload) if isinstance(payload, bytes) else payload)
        for extra in extra_headers:
            header.append(extra)
        return Built(root, "", self._secure(root, header, {"Body": body}, created, lifetime, sign))


def fault_code(content: bytes) -> str | None:
    """The catalogue code of a fault response ("0111"), or None when it is no fault."""
    root = etree.fromstring(content)
    faultstring = root.findtext(f"{{{ns.SOAP_ENV}}}Body/{{{ns.SOAP_ENV}}}Fault/faultstring")
    return faultstring.split(":", 1)[0] if faultstring else None


def fault_text(content: bytes) -> str:
    """Everything a fault response says in words (faultstring and detail), for leak checks.

    Only the Fault: the signed headers around it hold base64 (token, signature) in which any
    short word turns up by chance now and then.
    """
    root = etree.fromstring(content)
    fault = root.find(f"{{{ns.SOAP_ENV}}}Body/{{{ns.SOAP_ENV}}}Fault")
    return "" if fault is None else " ".join(str(text) for text in fault.itertext())


@contextlib.contextmanager
def scratch_database(server_url: str | None, label: str) -> Iterator[str]:
    """The URL of a new, empty database that is removed afterwards (tests and benchmarks).

    Without *server_url* a SQLite file in a temporary directory; with a PostgreSQL server URL
    (``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) a database of its own there,
    named after *label*, dropped at the end even when connections are still open.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if not server_url:
        directory = Path(tempfile.mkdtemp(prefix=f"ketenserver-{label}-"))
        try:
            yield f"sqlite:///{directory / f'{label}.sqlite3'}"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    name = f"ketenserver_{label}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def rolled_back_sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions whose every commit is undone: all of them work in one transaction of one connection,
    rolled back when the block ends (a test's own data; ``db_session`` in ``tests/conftest.py``).

    SQLAlchemy's "joining a session into an external transaction" recipe: the outer transaction
    is begun on the connection, and each session opens a SAVEPOINT in it
    (``join_transaction_mode="create_savepoint"``), so code under test may call
    ``session.commit()`` (which releases the savepoint) and ``session.rollback()`` (which goes
    back to it) as it does in production.

    On SQLite the driver's legacy transaction control sends no BEGIN before a SAVEPOINT, so a
    released savepoint would stay committed whatever the outer rollback does. As SQLAlchemy's
    documentation prescribes ("Enabling Non-Legacy SQLite Transactional Modes"), the driver is
    told to leave transactions alone (``isolation_level = None``) and the connection emits BEGIN
    itself; both only on this one connection, restored before it goes back to the engine's pool,
    which the application under test shares.

    Hold no write through this connection while the server is asked to write: on SQLite the
    server would wait for this transaction's lock.
    """
    from sqlalchemy import event
    from sqlalchemy.orm import sessionmaker

    connection = engine.connect()
    driver: Any = None  # the sqlite3 connection, while its transaction control is taken over
    legacy_level: str | None = None
    if engine.dialect.name == "sqlite":
        import sqlite3

        legacy = getattr(sqlite3, "LEGACY_TRANSACTION_CONTROL", None)  # Python 3.12 and later
        dbapi_connection = connection.connection.driver_connection
        # A connection with PEP 249 transaction control (``autocommit=False``, Python 3.12 and
        # later) begins transactions itself and nests SAVEPOINTs correctly: nothing to change.
        if getattr(dbapi_connection, "autocommit", legacy) == legacy:
            driver = dbapi_connection
            legacy_level = driver.isolation_level
            driver.isolation_level = None
            event.listen(connection, "begin", _emit_begin)
    outer = connection.begin()
    try:
        yield sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    finally:
        if outer.is_active:
            outer.rollback()
        if driver is not None:
            event.remove(connection, "begin", _emit_begin)
            driver.isolation_level = legacy_level
        connection.close()


def _emit_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


# --- Students for absence reports ---------------------------------------------------------------


def _check_digit(first_eight: str, remainder: int) -> int | None:
    """The ninth digit that makes the weighted sum ≡ *remainder* (mod 11), if there is one."""
    total = sum((9 - i) * int(d) for i, d in enumerate(first_eight))
    digit = (total - remainder) % 11
    return digit if digit < 10 else None


def valid_bsn(seed: int) -> str:
    """A BSN passing the 11-test, the same for the same *seed* and different for different seeds
    (0 <= seed < 10**7): the first eight digits are ``2`` + the seed, or ``3`` + the seed when no
    check digit fits the first."""
    for prefix in (20_000_000 + seed, 30_000_000 + seed):
        digit = _check_digit(str(prefix), 0)
        if digit is not None:
            return f"{prefix}{digit}"
    raise ValueError(f"no BSN for seed {seed}")  # pragma: no cover (one of the two always fits)


def valid_onderwijsnummer(seed: int) -> str:
    """An onderwijsnummer (``10`` + 7 digits, weighted sum ≡ 5 mod 11) for 0 <= *seed* < 10**5."""
    for prefix in (10_000_000 + seed, 10_500_000 + seed):
        digit = _check_digit(str(prefix), 5)
        if digit is not None:
            return f"{prefix}{digit}"
    raise ValueError(f"no onderwijsnummer for seed {seed}")


@dataclass
class Operated:
    """What one in-process call of a feature's operations gave (:func:`operate`)."""

    status: str
    """``200 OK``, or ``500`` for a fault, as the pipeline would answer."""
    response: etree._Element
    """The response element, or the soap:Fault the pipeline would write."""
    outcome: dict[str, object]
    """``call``: the CallContext the operation got; ``error``: the domain error it raised, if it did;
    ``invalid``: the schema refusal, when the request never reached the operation."""


@dataclass(frozen=True)
class FeatureOperations:
    """A feature's operations as the server mounts them, with the XSD in front or not."""

    call: Callable[[etree._Element, Any], etree._Element]
    schema: etree.XMLSchema | None


def feature_operations(feature: Any, *, validate: bool = True) -> FeatureOperations:
    """For :func:`operate`: ``feature``'s operations, and its published XSD when ``validate``."""
    from ketenserver import app, contracts

    return FeatureOperations(app.feature_operations(feature).call,
                             contracts.schema_for(feature.key) if validate else None)


def operate(operations: Callable[[etree._Element, object], etree._Element], payload: etree._Element,
            call: object, *, schema: etree.XMLSchema | None = None) -> Operated:
    """Run a Body element through a feature's operations as the pipeline does (XSD first when
    ``schema`` is given, then the dispatch), without transport or message security."""
    from ketencore.errors import KetenError
    from ketencore.faults import fault_body, fault_for
    from ketencore.validation import validate_payload

    outcome: dict[str, object] = {"call": call}
    if schema is not None:
        try:
            validate_payload(schema, payload)
        except KetenError as error:
            outcome["invalid"] = error
            return Operated("500 Internal Server Error", fault_body(fault_for(error)), outcome)
    try:
        response = operations(payload, call)
    except KetenError as error:
        outcome["error"] = error
        return Operated("500 Internal Server Error", fault_body(fault_for(error)), outcome)
    return Operated("200 OK", response, outcome)
