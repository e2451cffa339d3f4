"""Preparing a database for the sandbox and for tests: schema, demo organisations, demo data."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketenserver.db import make_session_factory
from ketenserver.exchange import storage
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


def prepare_database(engine: Engine, *, companies: int, say: Callable[[str], object] = lambda _: None) -> None:
    """Upgrade the schema, register the demo parties and let each feature seed (idempotent)."""
    from ketenserver.features import FEATURES

    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        register_parties(session, DEMO_PARTIES)
    for feature in FEATURES:
        if feature.seed is not None:
            with sessions.begin() as session:
                count = feature.seed(session, 0, companies=companies)
            say(f"  {feature.key}: {count} demo records" if count else f"  {feature.key}: demo data present")
