"""Work a server process does besides answering requests (pushing SBB mutations, ...).

A feature contributes its jobs (:attr:`ketenserver.feature.Feature.jobs`); the app factory
builds it, and a serving process runs each job's pass every few seconds on a daemon thread
(:class:`BackgroundRunner`). Tests and commands call a job's ``run_once`` directly instead.
Jobs must be safe to run in several processes at once (they claim work in the database).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from ketencore.trust import TrustStore
from ketenserver.exchange.journal import Journal
from ketenserver.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackgroundContext:
    """What the app factory hands a feature's job factory."""

    settings: Settings
    sessions: sessionmaker[Session]
    writes: Callable[[], AbstractContextManager[object]]
    journal: Journal
    trust: TrustStore
    clock: Callable[[], datetime]


class BackgroundJob(Protocol):
    def run_once(self) -> object:
        """One pass of the job's work; returns what it did (for commands and tests)."""
        ...

    def close(self) -> None: ...


class BackgroundRunner:
    """Runs a job every *interval* seconds on a daemon thread until stopped."""

    def __init__(self, job: Callable[[], object], interval: float, name: str) -> None:
        self._job = job
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._job()
            except Exception:  # e.g. the database briefly away: try again next interval
                log.exception("background job %s failed; retrying in %s s", self._thread.name, self._interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
