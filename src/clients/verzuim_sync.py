"""A school's own copy of its absence reports and the municipalities' replies, kept in SQLite.

DUO's counter hands out every change of a school's data after a cursor
(``SynchroniserenVerzuimmeldingen``) and every municipality reply after a cursor
(``OphalenTerugmeldingen``). :class:`VerzuimSynchroniser` follows both and keeps a mirror in a
SQLite file of the school's choosing, so that the school system reads its reports locally and
asks the counter only for what changed::

    from ketenclient import VerzuimloketClient, VerzuimSynchroniser

    with VerzuimloketClient("https://host/duo-verzuimloket/2W-be-S", credentials) as loket, \\
            VerzuimSynchroniser(loket, "/var/lib/school/verzuimloket.sqlite") as spiegel:
        result = spiegel.synchronise()          # e.g. every few minutes, from a scheduler
        print(result.verzuimmeldingen, "reports and", result.terugmeldingen, "replies received")
        melding = spiegel.verzuimmelding("2026000042")
        for reply in spiegel.terugmeldingen("2026000042"):
            print(reply.status, reply.behandelaar.naam, reply.toelichting)

The file holds three tables: ``verzuimmeldingen`` (one row per Meldingnummer: the whole report
as JSON in ``gegevens`` plus columns to query on: status, wijzigingsvolgnummer,
vorig_meldingnummer, verzuimsoort, begindatum, einddatum, gemeentecode), ``terugmeldingen`` (one
row per Volgnummer: meldingnummer, status, the handler, toelichting, tijdstip) and ``cursors``
(how far each of the two streams has been stored). The school may read them with its own SQL;
writing is this class's.

**Resuming.** Each page is stored together with the cursor that follows it in *one* SQLite
transaction. A run that stops half-way (a crash, a lost connection, a fault from the counter)
has stored whole pages and the cursor belonging to the last of them, nothing else; the next
:meth:`~VerzuimSynchroniser.synchronise` asks again from that cursor. A page fetched but not
stored is simply fetched again, and rows are written by key (Meldingnummer, Volgnummer), so
nothing is lost and nothing is doubled. A report is only ever replaced by a version with the
same or a higher Wijzigingsvolgnummer, and a cursor only moves forward, so two runs at once (two
processes on one file) cannot put an older state back.

**Clean-up.** The counter removes a report closed for longer than its clean-up period
(schoning), with its replies, and does not report the removal. The mirror keeps both: the
school's own copy is the one that remains.

One file belongs to one school at one counter: a cursor means nothing at another. Should the
counter refuse the stored cursor (``VZL-1018``, e.g. after the test server's database was reset),
start a new file. A synchroniser is used from one thread at a time; close it (or use ``with``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import sqlite3
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from .credentials import PathLike
from .errors import KetenClientError
from .verzuim_models import Behandelaar, Pagina, Terugmelding, Verzuimmelding

__all__ = ["Synchronisatie", "VerzuimSynchroniser", "Verzuimbron", "melding_naar_json", "melding_uit_json"]

T = TypeVar("T")

SCHEMA_VERSION = 1
"""Kept in ``PRAGMA user_version``; a file of another version is refused, never rewritten."""

MELDINGEN, TERUGMELDINGEN = "verzuimmeldingen", "terugmeldingen"
"""The two streams, as named in the ``cursors`` table."""

_SCHEMA = (
    """CREATE TABLE verzuimmeldingen (
        meldingnummer TEXT PRIMARY KEY,
        wijzigingsvolgnummer INTEGER NOT NULL,
        status TEXT NOT NULL,
        vorig_meldingnummer TEXT,
        verzuimsoort TEXT NOT NULL,
        begindatum TEXT NOT NULL,
        einddatum TEXT NOT NULL,
        gemeentecode TEXT NOT NULL,
        gegevens TEXT NOT NULL
    )""",
    "CREATE INDEX ix_verzuimmeldingen_status ON verzuimmeldingen (status)",
    """CREATE TABLE terugmeldingen (
        volgnummer INTEGER PRIMARY KEY,
        meldingnummer TEXT NOT NULL,
        status TEXT NOT NULL,
        behandelaar_naam TEXT NOT NULL,
        behandelaar_telefoon TEXT NOT NULL,
        behandelaar_email TEXT NOT NULL,
        toelichting TEXT NOT NULL,
        tijdstip TEXT NOT NULL
    )""",
    "CREATE INDEX ix_terugmeldingen_meldingnummer ON terugmeldingen (meldingnummer)",
    "CREATE TABLE cursors (stroom TEXT PRIMARY KEY, cursor INTEGER NOT NULL)",
    "INSERT INTO cursors (stroom, cursor) VALUES ('verzuimmeldingen', 0), ('terugmeldingen', 0)",
    "PRAGMA user_version = 1",  # SCHEMA_VERSION
)

_UPSERT_MELDING = """
    INSERT INTO verzuimmeldingen (meldingnummer, wijzigingsvolgnummer, status, vorig_meldingnummer, verzuimsoort,
                                  begindatum, einddatum, gemeentecode, gegevens)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (meldingnummer) DO UPDATE SET
        wijzigingsvolgnummer = excluded.wijzigingsvolgnummer, status = excluded.status,
        vorig_meldingnummer = excluded.vorig_meldingnummer, verzuimsoort = excluded.verzuimsoort,
        begindatum = excluded.begindatum, einddatum = excluded.einddatum, gemeentecode = excluded.gemeentecode,
        gegevens = excluded.gegevens
    WHERE excluded.wijzigingsvolgnummer >= verzuimmeldingen.wijzigingsvolgnummer
"""

_UPSERT_TERUGMELDING = """
    INSERT INTO terugmeldingen (volgnummer, meldingnummer, status, behandelaar_naam, behandelaar_telefoon,
                                behandelaar_email, toelichting, tijdstip)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (volgnummer) DO UPDATE SET
        meldingnummer = excluded.meldingnummer, status = excluded.status,
        behandelaar_naam = excluded.behandelaar_naam, behandelaar_telefoon = excluded.behandelaar_telefoon,
        behandelaar_email = excluded.behandelaar_email, toelichting = excluded.toelichting,
        tijdstip = excluded.tijdstip
"""


class Verzuimbron(Protocol):
    """What the synchroniser needs of a client: :class:`~ketenclient.VerzuimloketClient` is one."""

    def synchroniseren_verzuimmeldingen(self, cursor: int = 0, pagina_grootte: int | None = None
                                        ) -> Pagina[Verzuimmelding]: ...

    def ophalen_terugmeldingen(self, cursor: int = 0, pagina_grootte: int | None = None
                               ) -> Pagina[Terugmelding]: ...


@dataclass(frozen=True)
class Synchronisatie:
    """What one :meth:`VerzuimSynchroniser.synchronise` run received and stored."""

    verzuimmeldingen: int
    """Report versions received (a report changed during the run may come twice; it is stored once)."""
    terugmeldingen: int
    """Replies received."""
    cursor_verzuimmeldingen: int
    cursor_terugmeldingen: int
    """Where the next run continues."""


# -- JSON of the report dataclasses: dates as ISO 8601, tuples as lists, the type hints guide the way back


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_to_json(item) for item in value]
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _from_json(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin is types.UnionType or origin is typing.Union:
        (inner,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _from_json(inner, value)
    if origin is tuple:
        item_kind = typing.get_args(kind)[0]
        return tuple(_from_json(item_kind, item) for item in value)
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if kind is dt.date:
        return dt.date.fromisoformat(value)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        return kind(**{name: _from_json(hints[name], item) for name, item in value.items() if name in hints})
    return value


def melding_naar_json(melding: Verzuimmelding) -> str:
    """The JSON text stored in ``verzuimmeldingen.gegevens``."""
    return json.dumps(_to_json(melding), ensure_ascii=False, sort_keys=True)


def melding_uit_json(text: str) -> Verzuimmelding:
    """The report back from :func:`melding_naar_json`'s text."""
    melding: Verzuimmelding = _from_json(Verzuimmelding, json.loads(text))
    return melding


class VerzuimSynchroniser:
    """Keeps the SQLite file at *pad* in step with the counter, through *loket* (see the module).

    ``pagina_grootte`` (1 to 500) is how many items each request asks for, and so how many are
    stored per transaction.
    """

    def __init__(self, loket: Verzuimbron, pad: PathLike, *, pagina_grootte: int = 100) -> None:
        if not 1 <= pagina_grootte <= 500:
            raise ValueError("pagina_grootte is 1 to 500")
        self._loket = loket
        self._pagina_grootte = pagina_grootte
        # Autocommit mode: every transaction below is begun and ended explicitly.
        self._db = sqlite3.connect(pad, isolation_level=None)
        try:
            self._prepare()
        except BaseException:
            self._db.close()
            raise

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")  # the write lock at once: another writer waits, never interleaves
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _prepare(self) -> None:
        with self._transaction():
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version == 0:
                if self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                    raise KetenClientError("This SQLite file holds other tables: give a file of its own "
                                           "for the Verzuimloket mirror.")
                for statement in _SCHEMA:
                    self._db.execute(statement)
            elif version != SCHEMA_VERSION:
                raise KetenClientError(f"The mirror has schema version {version}; this ketenclient knows "
                                       f"{SCHEMA_VERSION}.")

    # -- synchronising ----------------------------------------------------------------------------

    def synchronise(self) -> Synchronisatie:
        """Fetch and store everything changed since the last run (both streams, page by page).

        Faults and connection errors propagate; what was stored before them stays stored, and
        the next run continues from there.
        """
        meldingen = self._follow(MELDINGEN, self._loket.synchroniseren_verzuimmeldingen, self._store_meldingen)
        terugmeldingen = self._follow(TERUGMELDINGEN, self._loket.ophalen_terugmeldingen,
                                      self._store_terugmeldingen)
        cursors = self.cursors()
        return Synchronisatie(meldingen, terugmeldingen, cursors[MELDINGEN], cursors[TERUGMELDINGEN])

    def _follow(self, stroom: str, fetch: Callable[[int, int | None], Pagina[T]],
                store: Callable[[Sequence[T]], None]) -> int:
        received = 0
        cursor = self.cursors()[stroom]
        while True:
            page = fetch(cursor, self._pagina_grootte)
            with self._transaction():  # the page and its cursor together, or neither
                store(page.items)
                self._db.execute("UPDATE cursors SET cursor = max(cursor, ?) WHERE stroom = ?", (page.cursor, stroom))
            received += len(page.items)
            if not page.meer or page.cursor == cursor:
                return received
            cursor = page.cursor

    def _store_meldingen(self, meldingen: Sequence[Verzuimmelding]) -> None:
        self._db.executemany(_UPSERT_MELDING, [
            (m.meldingnummer, m.wijzigingsvolgnummer, m.status, m.vorig_meldingnummer, m.verzuimsoort,
             m.periode.begindatum.isoformat(), m.periode.einddatum.isoformat(), m.gemeente.code,
             melding_naar_json(m))
            for m in meldingen
        ])

    def _store_terugmeldingen(self, terugmeldingen: Sequence[Terugmelding]) -> None:
        self._db.executemany(_UPSERT_TERUGMELDING, [
            (t.volgnummer, t.meldingnummer, t.status, t.behandelaar.naam, t.behandelaar.telefoon,
             t.behandelaar.email, t.toelichting, t.tijdstip.isoformat())
            for t in terugmeldingen
        ])

    # -- reading the mirror -----------------------------------------------------------------------

    def cursors(self) -> dict[str, int]:
        """How far each stream is stored: ``{"verzuimmeldingen": n, "terugmeldingen": m}``."""
        return {stroom: int(cursor) for stroom, cursor in self._db.execute("SELECT stroom, cursor FROM cursors")}

    def verzuimmelding(self, meldingnummer: str) -> Verzuimmelding | None:
        """The stored report, as last received; None when never received."""
        row = self._db.execute("SELECT gegevens FROM verzuimmeldingen WHERE meldingnummer = ?",
                               (meldingnummer,)).fetchone()
        return None if row is None else melding_uit_json(row[0])

    def verzuimmeldingen(self) -> tuple[Verzuimmelding, ...]:
        """Every stored report, by Meldingnummer (also those the counter has since cleaned up)."""
        rows = self._db.execute("SELECT gegevens FROM verzuimmeldingen ORDER BY meldingnummer")
        return tuple(melding_uit_json(text) for (text,) in rows)

    def terugmeldingen(self, meldingnummer: str | None = None) -> tuple[Terugmelding, ...]:
        """Every stored reply in order of Volgnummer, or only those to report *meldingnummer*."""
        query = ("SELECT volgnummer, meldingnummer, status, behandelaar_naam, behandelaar_telefoon, "
                 "behandelaar_email, toelichting, tijdstip FROM terugmeldingen")
        rows = (self._db.execute(query + " ORDER BY volgnummer") if meldingnummer is None else
                self._db.execute(query + " WHERE meldingnummer = ? ORDER BY volgnummer", (meldingnummer,)))
        return tuple(Terugmelding(int(nr), melding, status, Behandelaar(naam, telefoon, email), toelichting,
                                  dt.datetime.fromisoformat(tijdstip))
                     for nr, melding, status, naam, telefoon, email, toelichting, tijdstip in rows)

    def close(self) -> None:
        """Close the SQLite file (not the client)."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
