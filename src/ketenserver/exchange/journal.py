"""The journal: every exchange recorded, accepted or refused, with its raw bytes (capped)."""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from sqlalchemy.orm import Session, sessionmaker

from ketenserver.exchange.storage import add_journal_entry, add_seen_signature, purge_journal
from ketenserver.logs import current_request_id, new_request_id

log = logging.getLogger(__name__)


def describe(certificate: x509.Certificate | None) -> str | None:
    """A certificate's identity for the journal: subject, issuer and serial; never key material."""
    if certificate is None:
        return None
    return _described(certificate)


@functools.lru_cache(maxsize=256)
def _described(certificate: x509.Certificate) -> str:
    """Once per certificate: the same few parties send every message."""
    return (f"{certificate.subject.rfc4514_string()} (issuer {certificate.issuer.rfc4514_string()}, "
            f"serial {certificate.serial_number:x})")[:500]


@dataclass
class Exchange:
    """What the pipeline learns about one request while handling it (one per request)."""

    arrived_at: datetime
    endpoint: str
    profile: str | None = None
    request_id: str = field(default_factory=lambda: current_request_id() or new_request_id())
    """Carried by every log line about the exchange (:func:`ketenserver.logs.request_scope`)."""
    request: bytes = b""
    request_size: int = 0
    tls_oin: str | None = None
    tls_subject: str | None = None
    signer_oin: str | None = None
    signer_subject: str | None = None
    organisation_oin: str | None = None
    operation: str | None = None
    message_id: str | None = None
    outcome: str = "refused"
    verdict: str = ""
    fault_code: str | None = None
    response: bytes = b""
    seen: tuple[str, datetime] | None = None
    """A signature (digest, memory expiry) to remember with the journal entry: read-only operations."""
    injected: str | None = None
    """``scenario:kind`` when a loaded scenario chose the answer."""


class Journal:
    def __init__(self, sessions: sessionmaker[Session], *, body_cap: int,
                 writes: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext) -> None:
        self._sessions = sessions
        self._cap = body_cap
        self._writes = writes

    def entry(self, exchange: Exchange, duration_ms: float) -> dict[str, object]:
        """The journal row of an exchange: its names and codes, and its messages up to the cap."""
        return {
            "request_id": exchange.request_id,
            "arrived_at": exchange.arrived_at,
            "duration_ms": duration_ms,
            "endpoint": exchange.endpoint[:200],
            "profile": exchange.profile,
            "tls_oin": exchange.tls_oin,
            "tls_subject": exchange.tls_subject,
            "signer_oin": exchange.signer_oin,
            "signer_subject": exchange.signer_subject,
            "organisation_oin": exchange.organisation_oin,
            "operation": exchange.operation,
            "message_id": exchange.message_id[:300] if exchange.message_id else None,
            "outcome": exchange.outcome,
            "verdict": exchange.verdict[:500],
            "fault_code": exchange.fault_code,
            "injected": exchange.injected,
            "request_size": exchange.request_size,
            "request": exchange.request[: self._cap],
            "response_size": len(exchange.response),
            "response": exchange.response[: self._cap],
            "body_cap": self._cap,
        }

    def add(self, session: Session, exchange: Exchange, duration_ms: float, *,
            remember: tuple[str, datetime] | None = None) -> None:
        """Add the entry (and, with ``remember``, the signature to the replay memory) to *session*'s
        transaction: the caller commits it with the exchange's own work, so both are stored or
        neither. A signature seen before raises IntegrityError at the latest on commit."""
        if remember is not None:
            add_seen_signature(session, *remember)
        add_journal_entry(session, self.entry(exchange, duration_ms))

    def record(self, exchange: Exchange, duration_ms: float) -> None:
        """Journal the exchange in a transaction of its own: a refusal (nothing else to commit), a
        delivery attempt, or an answer that changed because its commit failed."""
        try:
            with self._writes(), self._sessions() as session:
                add_journal_entry(session, self.entry(exchange, duration_ms))
                session.commit()
        except Exception:  # the answer is already decided; losing a journal line must not change it
            log.exception("could not write journal entry for %s", exchange.endpoint)


class JournalRetention:
    """Removes journal entries older than ``retention_days`` (a background job of a serving process).

    The journal keeps raw messages, personal data included, for testers; this bounds how long. A
    serving process may call :meth:`run_once` as often as it likes: it purges at most once every
    ``every`` seconds. Safe in several processes at once (a delete of rows already gone removes
    nothing).
    """

    def __init__(self, sessions: sessionmaker[Session], *, retention_days: float, clock: Callable[[], datetime],
                 writes: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
                 every: float = 600.0, batch_size: int = 1000) -> None:
        self._sessions = sessions
        self._retention = timedelta(days=retention_days)
        self._clock = clock
        self._writes = writes
        self._every = every
        self._batch_size = batch_size
        self._next_run = float("-inf")

    def run_once(self) -> int:
        """Purge what is past the retention period; returns how many entries were removed."""
        if self._retention <= timedelta(0) or time.monotonic() < self._next_run:
            return 0
        self._next_run = time.monotonic() + self._every
        before = self._clock() - self._retention
        with self._sessions() as session:
            removed = purge_journal(session, before=before, batch_size=self._batch_size, writes=self._writes)
        if removed:
            log.info("journal retention removed %d entries that arrived before %s", removed,
                     before.isoformat(timespec="seconds"), extra={"removed": removed})
        return removed

    def close(self) -> None:
        """Nothing to release (the sessions belong to the app)."""
