"""Preparing a database for the sandbox and for tests: schema, demo organisations, demo data."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TextIO

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketenserver.db import make_session_factory
from ketenserver.exchange import storage
from ketenserver.feature import Feature
from ketenserver.migrate import upgrade
from ketenserver.pki import DEMO_PARTIES, Party


def register_parties(session: Session, parties: Iterable[Party]) -> None:
    """Register the parties; every vendor among them may act for every school among them."""
    parties = list(parties)
    for party in parties:
        storage.register_organisation(session, oin=party.oin, name=party.name, kind=party.kind,
                                      brin=party.brin, kvk_number=party.kvk)
    session.flush()
    for vendor in (p for p in parties if p.kind == "vendor"):
        for school in (p for p in parties if p.kind == "school"):
            storage.grant_mandate(session, intermediary_oin=vendor.oin, organisation_oin=school.oin)


PROGRESS_FROM = 10_000
"""Seeds of at least this many records show their progress (below it they take a second or two)."""
BAR_WIDTH = 30


class ProgressLine:
    """The progress of one feature's seed, as ``progress(done, total)`` of :attr:`Feature.seed`.

    On a terminal (*stream*) one bar redrawn in place with a carriage return; otherwise a plain
    line through *say* at each tenth, so logs and pipes get a few lines, not thousands.
    """

    def __init__(self, label: str, say: Callable[[str], object], *, stream: TextIO | None = None) -> None:
        self.label = label
        self.say = say
        self.stream = stream
        self._tenths = -1

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        filled = BAR_WIDTH * done // total
        line = (f"  {self.label}: [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {100 * done // total:3d}%"
                f"  {done:,} of {total:,}")
        if self.stream is not None:
            self.stream.write(f"\r{line}" + ("\n" if done >= total else ""))
            self.stream.flush()
        elif done * 10 // total > self._tenths:
            self._tenths = done * 10 // total
            self.say(line)


def _terminal(say: Callable[[str], object]) -> TextIO | None:
    """Standard output when *say* prints to a terminal there: only then may a line be redrawn."""
    return sys.stdout if say is print and sys.stdout.isatty() else None


def prepare_database(engine: Engine, *, companies: int, say: Callable[[str], object] = lambda _: None,
                     features: Iterable[Feature] | None = None) -> None:
    """Upgrade the schema, register the demo parties and let each feature seed (idempotent).

    A long seed shows its progress (:class:`ProgressLine`): a bar on the terminal when *say* is
    :func:`print` to one, else lines through *say*.
    """
    if features is None:
        from ketenserver.features import FEATURES

        features = FEATURES
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        register_parties(session, DEMO_PARTIES)
    for feature in features:
        if feature.seed is not None:
            with sessions.begin() as session:
                progress = ProgressLine(feature.key, say, stream=_terminal(say))
                count = feature.seed(session, 0, companies=companies, progress=progress)
            say(f"  {feature.key}: {count} demo records" if count else f"  {feature.key}: demo data present")
