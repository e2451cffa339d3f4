"""The secure pipeline: WSGI middleware that stands between the TLS socket and spyne.

For each POST to ``/<feature>/<profile>`` it

1. reads at most ``max_request_bytes`` and parses them with the hardened parser;
2. checks the envelope (one Body with one element, only WS-A and WS-Security headers), the
   SOAPAction and, in a profile with it, WS-Addressing (WS002, WA001; refused in one without),
   and maps Action and Body to a WSDL operation (profiles: :mod:`ketencore.profiles`);
3. in a signed profile (2W-be-S, MAGDA): Timestamp freshness (WB002), algorithms, that Body,
   Timestamp and every WS-A header are signed at their own places (WB004), the signature itself
   (libxmlsec1), the signer's certificate chain and CRL (WT004), that the signer is the TLS
   client or a registered intermediary for it, and that the signature was not seen before (replay);
4. validates the (signed copy of the) Body against the published XSD;
5. answers a retry of a state-changing request (same MessageID) with the stored reply, or hands
   the signed Body element (the verified tree itself: parsed once) to the operation;
6. validates the response against the XSD, adds what the profile wants (WS-A response headers,
   a Timestamp, a SignatureConfirmation) and signs it (faults too);
7. commits the unit of work and the exchange's journal entry in one transaction: an accepted
   exchange is stored with its journal entry or not at all, and a refusal, which stores nothing,
   is journaled on its own.

Anything unexpected becomes fault 0500; the log keeps the detail, the wire never does.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509
from lxml import etree
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ketencore import wsse
from ketencore.envelope import Envelope, check_no_addressing, check_request_addressing, read_envelope, write_reply
from ketencore.errors import ExchangeError, KetenError, RuleError
from ketencore.faults import Fault, FaultSpec, fault_body, fault_for, internal_error
from ketencore.profiles import Profile
from ketencore.trust import TrustStore, oin_of
from ketencore.validation import validate_payload
from ketencore.verify import SignerNotTrusted, verify_message
from ketencore.xmlparse import LIBXML, parse_trusted, parse_untrusted
from ketenserver.context import CallContext
from ketenserver.contracts import WsdlOperation
from ketenserver.exchange import storage
from ketenserver.exchange.journal import Exchange, Journal, describe
from ketenserver.logs import new_request_id, request_scope
from ketenserver.settings import Settings

if TYPE_CHECKING:
    from ketenserver.scenarios import Scenarios

log = logging.getLogger(__name__)

REGISTRY_TTL = 5.0
_READ_PIECE = 64 * 1024


def _replay() -> ExchangeError:
    return ExchangeError("0116", "This exact signed message was received before (replay). To retry, send the "
                         "same MessageID with a fresh Timestamp and signature.", field="SignatureValue")
Clock = Callable[[], datetime]
StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Endpoint:
    """One feature offered in one profile at ``/<feature>/<profile>``."""

    feature_key: str
    profile: Profile
    operations: dict[str, WsdlOperation]
    """By the Clark name of the request's Body element."""
    state_changing: frozenset[str]
    schema: etree.XMLSchema
    dispatch: Callable[[etree._Element, CallContext], etree._Element]
    """Runs the operation of a verified, validated Body element; returns the response element."""
    reference: Callable[[etree._Element], str] | None = None
    """In a profile without WS-Addressing: the message's own identity, read from the validated
    Body (MAGDA's Referte); it stands in for wsa:MessageID (retries, the journal)."""
    refusal: Callable[[RuleError, etree._Element], etree._Element] | None = None
    """Where a contract answers a broken rule inside a normal reply (MAGDA's Uitzondering) rather
    than as a SOAP fault: builds that reply from the error and the request's Body element. The
    work is rolled back all the same and nothing is stored for a retry (see :attr:`_Answer.in_reply`)."""
    signer: wsse.MessageSigner | None = None
    """Signs this endpoint's replies when the feature signs as an organisation of its own
    (:attr:`Feature.reply_signer`); else the server's certificate does."""

    def __post_init__(self) -> None:
        if not self.profile.addressing and self.reference is None:
            raise ValueError(f"{self.path}: profile {self.profile.name} has no wsa:MessageID, so the feature "
                             "must say where a message's reference is (Feature.reference)")

    @property
    def path(self) -> str:
        return f"/{self.feature_key}/{self.profile.name}"


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _unavailable() -> KetenError:
    return KetenError("0051", "The service is temporarily unavailable; nothing was stored. Retry later with "
                      "the same MessageID.")


def _discard(session: Session) -> None:
    """Roll back what the unit did; a connection that is gone has nothing left to roll back."""
    with contextlib.suppress(Exception):
        session.rollback()


@dataclass
class _Unit:
    """One exchange's unit of work: its session, and whether it holds the write lock yet (SQLite)."""

    session: Session
    held: contextlib.ExitStack
    """Releases what the unit holds when the exchange is done."""
    writing: bool = False

    def write(self, writes: Callable[[], AbstractContextManager[object]]) -> None:
        if not self.writing:
            self.held.enter_context(writes())
            self.writing = True


@dataclass
class _Answer:
    payload: etree._Element | None = None
    fault: Fault | None = None
    action: str | None = None
    confirm: str | None = None
    """The request's SignatureValue, echoed in a SignatureConfirmation (WB014)."""
    relates_to: str | None = None
    on_conflict: Callable[[], etree._Element | None] | None = None
    """For a state change: the stored reply of a concurrent retry whose commit came first."""
    in_reply: bool = False
    """The payload is a refusal written as a normal reply (:attr:`Endpoint.refusal`): a refusal all
    the same, so the unit of work is discarded and the exchange journaled on its own."""
    bare: bool = False
    """A scenario's HTTP 503 without a SOAP body: nothing is rendered, nothing is stored."""


def _refuse(exchange: Exchange, answer: _Answer, error: KetenError, verdict: str | None = None) -> None:
    """Answer with the fault of *error*; the journal's verdict is its faultstring unless given."""
    answer.payload, answer.fault = None, fault_for(error)
    exchange.outcome, exchange.fault_code = "refused", answer.fault.spec.code
    exchange.verdict = answer.fault.faultstring if verdict is None else verdict


def request_digest(payload: etree._Element) -> str:
    """What makes a retry the same message: its Body child in exclusive c14n (a fresh signature,
    Timestamp, Ids or envelope prefixes do not change it; any other byte of the Body does)."""
    with LIBXML:
        canonical = etree.tostring(payload, method="c14n", exclusive=True)
    return hashlib.sha256(canonical).hexdigest()


def _retried(stored: storage.StoredReply, operation: WsdlOperation, digest: str | None, exchange: Exchange,
             verdict: str, profile: Profile) -> etree._Element:
    """The stored reply for a retry; another message under a used MessageID (in a profile without
    WS-Addressing: the Body's own reference, MAGDA's Referte) is refused (0011)."""
    name, field = ("wsa:MessageID", "MessageID") if profile.addressing else ("Referte", "Referte")
    message_id = stored.message_id
    if stored.operation != operation.name:
        raise ExchangeError("0011", f"{name} {message_id} was already used for {stored.operation}; a "
                            "retry must repeat the same operation.", field=field)
    if stored.request_digest is not None and stored.request_digest != digest:
        raise ExchangeError("0011", f"{name} {message_id} was already used for another "
                            f"{operation.name} message: a retry must repeat the same Body. Send a new "
                            f"message with a new {field}.", field=field)
    exchange.outcome, exchange.verdict = "retried", verdict
    return parse_trusted(stored.body)


class Pipeline:
    def __init__(
        self,
        *,
        settings: Settings,
        sessions: sessionmaker[Session],
        trust: TrustStore,
        signer: wsse.MessageSigner,
        journal: Journal,
        max_request_bytes: int,
        timestamp_max_age: int,
        timestamp_max_skew: int,
        clock: Clock = lambda: datetime.now(UTC),
        writes: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
        token_key: bytes = b"",
        request_read_timeout: float | None = None,
    ) -> None:
        """``writes`` is held around every write transaction (see :func:`ketenserver.db.write_serialiser`).

        ``request_read_timeout``: seconds the body may take to arrive (the TLS server also bounds
        every socket read by it; here it bounds the read between chunks under any server).
        """
        self._sessions = sessions
        self._settings = settings
        self._trust = trust
        self._signer = signer
        self._journal = journal
        self._max_bytes = max_request_bytes
        self._max_age = timestamp_max_age
        self._max_skew = timestamp_max_skew
        self._clock = clock
        self._writes = writes
        self._token_key = token_key
        self._read_timeout = request_read_timeout
        self._tls_cache: dict[str, tuple[str | None, str | None]] = {}
        self._registry_cache: dict[tuple[str, str, str], tuple[bool, float]] = {}
        self._next_purge = datetime.min.replace(tzinfo=UTC)
        self.scenarios: Scenarios | None = None
        """The loaded scenarios that may answer a call instead (set by the app factory)."""
        self.business_specs: dict[str, dict[str, FaultSpec]] = {}
        """Each feature's business codes by code, for the answers a scenario injects."""

    # -- WSGI --------------------------------------------------------------------------------

    def handle(self, endpoint: Endpoint, environ: dict[str, Any], start_response: StartResponse
               ) -> list[bytes]:
        """Answer one request; every log line meanwhile carries its id, which the journal entry keeps."""
        with request_scope(new_request_id()) as request_id:
            return self._handle(endpoint, environ, start_response, request_id)

    def _handle(self, endpoint: Endpoint, environ: dict[str, Any], start_response: StartResponse,
                request_id: str) -> list[bytes]:
        started = time.perf_counter()
        exchange = Exchange(arrived_at=self._clock(), endpoint=endpoint.path, profile=endpoint.profile.name,
                            request_id=request_id)
        answer = _Answer()
        with contextlib.ExitStack() as held:
            unit = _Unit(held.enter_context(self._sessions()), held)
            self._answer(endpoint, environ, exchange, answer, unit)
            answer.relates_to = answer.relates_to or exchange.message_id
            exchange.response = b"" if answer.bare else self._render(endpoint, answer)
            refused = answer.fault is not None or answer.in_reply or answer.bare
            committed = not refused and self._commit(endpoint, unit, exchange, answer, started)
            if not committed:
                _discard(unit.session)  # a refusal leaves nothing behind
        if not committed:  # journaled on its own, once the unit's lock and session are released
            if not refused and not answer.bare:  # the commit failed and the answer changed (see _commit)
                exchange.response = self._render(endpoint, answer)
            self._journal.record(exchange, _since(started))
        if answer.bare:
            start_response("503 Service Unavailable", [("Content-Length", "0"), ("Retry-After", "1")])
            return [b""]
        body = exchange.response
        if log.isEnabledFor(logging.INFO):  # names and codes only: the journal entry has the messages
            log.info("%s %s %s", endpoint.path, exchange.operation or "-", exchange.outcome, extra={
                "operation": exchange.operation, "outcome": exchange.outcome, "fault_code": exchange.fault_code,
                "organisation_oin": exchange.organisation_oin, "tls_oin": exchange.tls_oin,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
        status = "500 Internal Server Error" if answer.fault else "200 OK"
        start_response(status, [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    def _answer(self, endpoint: Endpoint, environ: dict[str, Any], exchange: Exchange, answer: _Answer,
                unit: _Unit) -> None:
        """Fill in ``answer``: the operation's response, or the fault that names the rule broken."""
        try:
            self._process(endpoint, environ, exchange, answer, unit)
            if exchange.outcome == "refused" and not answer.in_reply:  # the default; "retried" stays
                exchange.outcome, exchange.verdict = "accepted", "accepted"
        except KetenError as error:
            _refuse(exchange, answer, error)
        except OperationalError:
            # The database went away mid-request: the unit of work is rolled back with its session.
            log.exception("database unavailable on %s (message %s)", endpoint.path, exchange.message_id)
            _refuse(exchange, answer, _unavailable(), "database unavailable (see server log)")
        except Exception:
            log.exception("unexpected error on %s (message %s)", endpoint.path, exchange.message_id)
            _refuse(exchange, answer, internal_error(), "internal error (see server log)")

    def _commit(self, endpoint: Endpoint, unit: _Unit, exchange: Exchange, answer: _Answer, started: float
                ) -> bool:
        """Commit the exchange's work and its journal entry together: both or neither.

        A read-only request's signature joins the replay memory in the same transaction. When the
        commit fails, nothing of it is stored and ``answer`` changes (False): a signature seen
        before makes it a replay after all (0116); a concurrent retry that committed its reply
        first is answered with that reply; a database gone is 0051. The caller then journals the
        new answer on its own.
        """
        session = unit.session
        try:
            unit.write(self._writes)
            self._journal.add(session, exchange, _since(started), remember=exchange.seen)
            session.commit()
            return True
        except IntegrityError:
            _discard(session)
            retried = answer.on_conflict() if exchange.seen is None and answer.on_conflict else None
            if retried is not None:
                answer.payload = retried
            elif exchange.seen is not None:
                _refuse(exchange, answer, _replay())
            else:
                log.exception("conflict on commit without a stored reply on %s", endpoint.path)
                _refuse(exchange, answer, internal_error(), "internal error (see server log)")
        except OperationalError:
            _discard(session)
            log.exception("database unavailable on commit on %s (message %s)", endpoint.path, exchange.message_id)
            _refuse(exchange, answer, _unavailable(), "database unavailable (see server log)")
        except Exception:
            _discard(session)
            log.exception("unexpected error on commit on %s (message %s)", endpoint.path, exchange.message_id)
            _refuse(exchange, answer, internal_error(), "internal error (see server log)")
        return False

    # -- inbound -----------------------------------------------------------------------------

    def _read(self, environ: dict[str, Any], exchange: Exchange) -> bytes:
        try:
            declared = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > self._max_bytes:
            exchange.request_size = declared
            raise ExchangeError("0101", f"The message is {declared} bytes; the limit is {self._max_bytes}.")
        if declared < 0:
            raise ExchangeError("0001", "The Content-Length is not a number of bytes.", field="Content-Length")
        if declared and environ.get("HTTP_TRANSFER_ENCODING"):
            # Two framings at once is how requests are smuggled past proxies (RFC 9112 6.3).
            raise ExchangeError("0001", "The message has both a Content-Length and a Transfer-Encoding.",
                                field="Transfer-Encoding")
        raw = self._read_body(environ["wsgi.input"], min(declared, self._max_bytes + 1) if declared
                              else self._max_bytes + 1, exchange)
        exchange.request, exchange.request_size = raw, len(raw)
        if len(raw) > self._max_bytes:
            raise ExchangeError("0101", f"The message exceeds the limit of {self._max_bytes} bytes.")
        if declared and len(raw) < declared:
            raise ExchangeError("0001", f"The message ended after {len(raw)} of the {declared} bytes its "
                                "Content-Length announced.", field="Content-Length")
        content_type = environ.get("CONTENT_TYPE", "").lower()
        if content_type.split(";", 1)[0].strip() != "text/xml":
            raise ExchangeError("0001", "The HTTP Content-Type must be text/xml (SOAP 1.1 over HTTP).",
                                field="Content-Type")
        if "charset=" in content_type and "charset=utf-8" not in content_type.replace('"', ""):
            raise ExchangeError("0009", "The Content-Type names a charset other than UTF-8 (WS006).")
        if environ.get("HTTP_CONTENT_ENCODING", "identity").lower() != "identity":
            raise ExchangeError("0001", "Compressed messages are not accepted (Content-Encoding); send the "
                                "envelope as plain text/xml.", field="Content-Encoding")
        return bytes(raw)

    def _read_body(self, stream: Any, limit: int, exchange: Exchange) -> bytes:
        """At most ``limit`` bytes, in pieces (no buffer of the full size while they trickle in)."""
        deadline = None if self._read_timeout is None else time.monotonic() + self._read_timeout
        pieces: list[bytes] = []
        size = 0
        try:
            while size < limit:
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError
                piece = stream.read(min(_READ_PIECE, limit - size))
                if not piece:
                    break
                pieces.append(piece)
                size += len(piece)
        except TimeoutError:
            exchange.request, exchange.request_size = b"".join(pieces), size
            within = f"within {self._read_timeout:g} s" if self._read_timeout is not None else "in time"
            raise ExchangeError("0001", f"The message did not arrive {within} ({size} bytes came); send it "
                                "at once.") from None
        except OSError as error:
            if error.errno == errno.EMSGSIZE:  # the server's reader: e.g. one chunk beyond the limit
                raise ExchangeError("0101", f"The message exceeds the limit of {self._max_bytes} bytes.") from None
            raise ExchangeError("0001", f"The message could not be read to its end after {size} bytes "
                                "(the connection failed).") from None
        except ValueError:  # the server's chunked decoder: a malformed chunk size or delimiter
            raise ExchangeError("0001", "The chunked transfer coding of the message is malformed.",
                                field="Transfer-Encoding") from None
        return b"".join(pieces)

    def _tls_identity(self, environ: dict[str, Any], exchange: Exchange) -> str:
        pem = environ.get("SSL_CLIENT_CERT")
        if not pem:  # the TLS layer requires a certificate; this guards a misconfigured deployment
            raise ExchangeError("0002", "No client certificate was presented on the TLS connection.")
        cached = self._tls_cache.get(pem)
        if cached is None:
            certificate = x509.load_pem_x509_certificate(pem.encode())
            cached = (describe(certificate), oin_of(certificate))
            if len(self._tls_cache) > 1024:
                self._tls_cache.clear()
            self._tls_cache[pem] = cached
        exchange.tls_subject, oin = cached
        exchange.tls_oin = oin
        if not oin:
            raise ExchangeError("0002", "The TLS client certificate carries no OIN in its subject serialNumber "
                                "(PKI001).", field="serialNumber")
        return oin

    def _operation(self, endpoint: Endpoint, envelope: Envelope, environ: dict[str, Any]) -> WsdlOperation:
        operation = endpoint.operations.get(envelope.payload.tag)
        if operation is None:
            name = etree.QName(envelope.payload).localname
            raise ExchangeError("0004", f"The Body element {name} is not an operation of this service.",
                                field=name)
        action = envelope.wsa("Action")
        if action is not None and action != operation.action:
            raise ExchangeError("0011", f"wsa:Action {action!r} does not belong to the Body's operation "
                                f"{operation.name} (expected {operation.action!r}).", field="Action")
        soap_action = environ.get("HTTP_SOAPACTION")
        if soap_action is not None and soap_action.strip('"') not in ("", action or operation.action):
            raise ExchangeError("0003", "The HTTP SOAPAction must be empty or equal wsa:Action (WS002).",
                                field="SOAPAction")
        return operation

    def _process(self, endpoint: Endpoint, environ: dict[str, Any], exchange: Exchange, answer: _Answer,
                 unit: _Unit) -> None:
        """Fill in ``answer``, doing the work in ``unit`` (which :meth:`_commit` commits with the
        journal entry). Its ``confirm`` is set as soon as the request's signature verified, so
        every reply after that point, a fault too, carries the SignatureConfirmation (WB014)."""
        tls_oin = self._tls_identity(environ, exchange)
        raw = self._read(environ, exchange)
        profile = endpoint.profile
        envelope = read_envelope(parse_untrusted(raw))
        if profile.addressing:
            exchange.message_id = envelope.wsa("MessageID")
        else:
            check_no_addressing(envelope, profile)
        operation = self._operation(endpoint, envelope, environ)
        exchange.operation = operation.name
        changes_state = operation.name in endpoint.state_changing
        if profile.addressing:
            check_request_addressing(envelope, endpoint_path=endpoint.path, requires_from=changes_state)
        now = self._clock()
        answer.action = operation.output_action
        organisation = tls_oin
        payload = envelope.payload
        if profile.signed:
            payload, organisation = self._verify(envelope, tls_oin, exchange, now, answer, profile,
                                                 remember_now=changes_state)
        exchange.organisation_oin = organisation
        # What was signed (exclusive C14N without comments) is what the operation reads: a comment
        # inside a value ("1012<!-- x --> AB") must not cut it short.
        etree.strip_tags(payload, etree.Comment)
        validate_payload(endpoint.schema, payload)
        if endpoint.reference is not None and not profile.addressing:
            exchange.message_id = endpoint.reference(payload)  # the XSD requires it: validated first
        if not self._registry(("organisation", organisation, "")):
            raise ExchangeError("0002", f"Organisation {organisation} is not registered for this exchange.",
                                field="OIN")
        if self.scenarios is not None and self._inject(endpoint, operation.name, payload, exchange, answer):
            return
        digest = request_digest(payload) if changes_state else None
        session = unit.session
        if changes_state:
            unit.write(self._writes)  # held until the work and its journal entry are committed
        message_id = exchange.message_id or ""
        if changes_state:
            stored = storage.stored_reply(session, organisation, message_id)
            if stored is not None:
                answer.payload = _retried(stored, operation, digest, exchange, "retry answered with the stored reply",
                                          profile)
                return
        # business time runs on the organisation's sandbox clock; security stayed on real time
        call = CallContext(session=session, organisation_oin=organisation, message_id=message_id,
                           now=storage.business_now(session, organisation, now), profile=profile.name,
                           token_key=self._token_key, settings=self._settings)
        try:
            answer.payload = endpoint.dispatch(payload, call)
        except KetenError as error:
            # A retry racing its original: the original held the rows first and committed its
            # reply with its work, so this one broke a rule (e.g. a duplicate). Answer the retry.
            stored = self._stored_after_refusal(session, organisation, message_id) if changes_state else None
            if stored is None or stored.operation != operation.name:
                if endpoint.refusal is None or not isinstance(error, RuleError):
                    raise
                answer.payload = self._refused_in_reply(endpoint, error, payload, exchange, answer)
                return
            answer.payload = _retried(stored, operation, digest, exchange,
                                      "concurrent retry answered with the stored reply", profile)
            return
        validate_payload(endpoint.schema, answer.payload, outbound=True)
        if changes_state:
            session.add(storage.StoredReply(
                organisation_oin=organisation, message_id=message_id, operation=operation.name,
                body=etree.tostring(answer.payload), created_at=now, request_digest=digest))

            def on_conflict() -> etree._Element | None:
                """A concurrent retry with the same MessageID committed first: answer with its reply."""
                stored = self._stored_after_refusal(session, organisation, message_id)
                if stored is None:
                    return None
                return _retried(stored, operation, digest, exchange, "concurrent retry answered with the stored reply",
                                endpoint.profile)

            answer.on_conflict = on_conflict

    @staticmethod
    def _refused_in_reply(endpoint: Endpoint, error: RuleError, payload: etree._Element, exchange: Exchange,
                          answer: _Answer) -> etree._Element:
        """The contract's own reply for a broken rule (:attr:`Endpoint.refusal`), journaled as refused."""
        assert endpoint.refusal is not None
        reply = endpoint.refusal(error, payload)
        validate_payload(endpoint.schema, reply, outbound=True)
        answer.in_reply = True
        exchange.outcome, exchange.fault_code = "refused", error.code
        exchange.verdict = f"{error.code}: {error.message}"
        return reply

    @staticmethod
    def _stored_after_refusal(session: Session, organisation: str, message_id: str) -> storage.StoredReply | None:
        session.rollback()  # a fresh transaction sees what the original committed
        return storage.stored_reply(session, organisation, message_id)

    def _verify(self, envelope: Envelope, tls_oin: str, exchange: Exchange, now: datetime, answer: _Answer,
                profile: Profile, *, remember_now: bool) -> tuple[etree._Element, str]:
        """Message security; returns the signed Body content and the organisation.

        Once the signature and its certificate verified, ``answer.confirm`` holds the
        SignatureValue: every reply from then on confirms it, whatever is refused next.

        The signature goes into the replay memory before the work when the operation changes
        state (``remember_now``); for a query it is remembered with the journal entry.
        """
        try:
            verified = verify_message(envelope, trust=self._trust, now=now, max_age=self._max_age,
                                      max_skew=self._max_skew, profile=profile)
        except SignerNotTrusted as error:
            exchange.signer_subject = describe(error.certificate)
            raise
        stamp = verified.timestamp
        exchange.signer_subject = describe(verified.certificate)
        signer_oin = verified.signer_oin
        exchange.signer_oin = signer_oin
        answer.confirm = verified.signature_value
        organisation = self._authorise(tls_oin, signer_oin)
        digest = hashlib.sha256(verified.signature_value.encode()).hexdigest()
        # Past Created + max_age the message is stale anyway, so that is as long as memory must last.
        expires = stamp.created + timedelta(seconds=self._max_age)
        self._forget_expired(now)
        if not remember_now:
            exchange.seen = (digest, expires)
        else:
            with self._writes(), self._sessions() as session:
                if not storage.remember_signature(session, digest, expires):
                    raise _replay()
        return verified.payload, organisation

    def _forget_expired(self, now: datetime) -> None:
        if now < self._next_purge:
            return
        self._next_purge = now + timedelta(seconds=60)
        with self._writes(), self._sessions() as session:
            storage.forget_expired_signatures(session, now)

    def _registry(self, key: tuple[str, str, str]) -> bool:
        """Registry look-ups, remembered for a few seconds: they are on every request's path.

        Changes made with ``ketenserver org`` take effect within :data:`REGISTRY_TTL` seconds.
        """
        now = time.monotonic()
        cached = self._registry_cache.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        with self._sessions() as session:
            if key[0] == "organisation":
                answer = storage.find_organisation(session, key[1]) is not None
            else:
                answer = storage.may_act_for(session, key[1], key[2])
        if len(self._registry_cache) > 4096:
            self._registry_cache.clear()
        self._registry_cache[key] = (answer, now + REGISTRY_TTL)
        return answer

    def _authorise(self, tls_oin: str, signer_oin: str) -> str:
        """The organisation the message is for; the pair must be registered unless it is one party."""
        if signer_oin == tls_oin:
            return tls_oin
        if self._registry(("mandate", signer_oin, tls_oin)):
            return tls_oin
        if self._registry(("mandate", tls_oin, signer_oin)):
            return signer_oin
        raise ExchangeError("0002", f"The signer {signer_oin} is neither the TLS client {tls_oin} nor an "
                            "intermediary registered to act for it.", field="BinarySecurityToken")

    # -- scenarios ---------------------------------------------------------------------------

    def _inject(self, endpoint: Endpoint, operation: str, payload: etree._Element, exchange: Exchange,
                answer: _Answer) -> bool:
        """Answer as a loaded scenario says (:mod:`ketenserver.scenarios`): True when the call ends
        here (a bare 503), after raising the injected fault, or False to go on (none, or a delay)."""
        assert self.scenarios is not None
        specs = self.business_specs.get(endpoint.feature_key, {})
        injection = self.scenarios.pick(operation, payload, codes=specs)
        if injection is None:
            return False
        exchange.injected = injection.rule.label
        kind = injection.rule.kind
        if kind == "delay":
            time.sleep(injection.delay_seconds(self.scenarios.rng))
            return False
        if kind == "http-503":
            answer.bare = True
            exchange.outcome, exchange.fault_code = "refused", "0051"
            exchange.verdict = "injected: HTTP 503 without a SOAP body"
            return True
        if kind == "unavailable":
            raise _unavailable()
        error = injection.business_error(specs)
        if endpoint.refusal is not None:
            answer.payload = self._refused_in_reply(endpoint, error, payload, exchange, answer)
            return True
        raise error

    # -- outbound ----------------------------------------------------------------------------

    def _render(self, endpoint: Endpoint, answer: _Answer) -> bytes:
        if answer.fault is not None:
            payload, action = fault_body(answer.fault), None
        else:
            assert answer.payload is not None
            payload, action = answer.payload, answer.action
        signer = (endpoint.signer or self._signer) if endpoint.profile.signed else None
        return write_reply(payload, action=action, relates_to=answer.relates_to, confirm=answer.confirm,
                           signer=signer, now=self._clock(), profile=endpoint.profile)
