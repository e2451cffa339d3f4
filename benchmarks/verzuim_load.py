"""Load test: DUO Verzuimloket, IndienenVerzuimmelding through the whole secure pipeline.

The requirement: "10,000 reports from 8 concurrent clients through the whole secure pipeline, 5%
of them deliberately sent twice, on SQLite and on PostgreSQL: afterwards exactly 10,000 reports
exist, every client got a report number for each of its reports, and the throughput and p50/p99
latency are reported."

Per backend (SQLite, then PostgreSQL; ``--backend`` picks one):

1. a scratch database (:func:`ketenserver.testing.scratch_database`) prepared as ``ketenserver
   seed`` does, and ``ketenserver serve`` in a subprocess on a free port with the dev PKI, one
   process per core (``--workers``): mutual TLS, WS-Security, XSD validation, the counter, the
   journal and a signed reply, as a vendor meets it;
2. ``--reports`` distinct reports of demo school 25LX (vestiging 01), one student each
   (``valid_bsn(i)``), living all over the Netherlands (so that many municipalities get reports),
   Verzuimsoort DRIE_DAGEN over three school days in the recent past, every tenth with a small PDF;
3. ``--duplicates`` of them (5%) are sent twice, each second copy by another client than the
   first: half as an exact retry (same MessageID, fresh Timestamp and signature; the server must
   answer with the stored original reply) and half as the same report under a new MessageID (the
   server must refuse it with VZL-1015 naming the existing Meldingnummer). Half of each kind go
   out at the same moment as their first copy (both clients meet at a two-party barrier before
   sending, so the race is exercised every time, whichever copy wins); the other half 1-50
   requests later;
4. ``--clients`` keep-alive mutual-TLS clients send them. Requests are signed before the clock
   starts (signing is the client's cost), in batches of ``--batch`` requests, each signed just
   before it is sent: the server accepts a Timestamp up to 300 s old, and a batch takes far less
   (the oldest age at sending is printed). Throughput is requests (and distinct reports) per second
   of sending wall time, which includes the moments a client waits at a barrier for its partner;
   latency is per request, from writing it to having read the reply. Untimed read-only requests
   (SynchroniserenVerzuimmeldingen) warm up every server process first;
5. then the checks: the database holds exactly one report per distinct report, with exactly the
   numbers the clients were given and change numbers 1..N without gaps; every copy of a report
   names the same Meldingnummer (registration, retry reply and VZL-1015 alike) and no two
   reports share one; an exact retry got the original reply unchanged; every municipality is the
   one of the student's postcode; no other faults. A failed check makes the exit status 1.

    python benchmarks/verzuim_load.py [--reports 10000] [--clients 8] [--duplicates 0.05] [--workers 2]
                                      [--backend both|sqlite|postgresql] [--database-url URL] [--batch 2500]

``--database-url`` is the PostgreSQL server (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``);
a database of its own is created there and dropped afterwards. By default both backends run, SQLite
first; when the PostgreSQL server does not answer it is skipped with a message (exit status 2 only if
``--backend postgresql`` asked for it). Prints requests and reports per second and p50/p99 latency per
request, overall and per kind of answer, for each backend.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import http.client
import json
import math
import os
import random
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from lxml.builder import ElementMaker

from ketencore.wsse import new_message_id
from ketenserver.pki import DevPki, PartyFiles, school_oin
from ketenserver.testing import RequestBuilder, free_port, scratch_database, valid_bsn, wait_for_port

NS = "urn:ketenserver:duo:verzuimloket:1"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
ACTION = f"{NS}:IndienenVerzuimmelding"
WARMUP_ACTION = f"{NS}:SynchroniserenVerzuimmeldingen"
PATH = "/duo-verzuimloket/2W-be-S"
BRIN = "25LX"
SCHOOL = school_oin(BRIN)
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
FIRST, RETRY, RESEND = "first", "retry", "resend"
LATER_ROWS = 50
"""A later second copy goes out 1 to this many requests (of its client) after the first."""
NUMBER_IN_FAULT = re.compile(r"Meldingnummer ([0-9]{10,14})")
E = ElementMaker(namespace=NS, nsmap={None: NS})

ADDRESSES = (  # (street, postcode, place): PC4 areas of many municipalities, north to south
    ("Grote Markt", "9711 LV", "Groningen"), ("Nieuwestad", "8911 CM", "Leeuwarden"),
    ("Brink", "9401 HS", "Assen"), ("Diezerstraat", "8011 RH", "Zwolle"), ("Oude Markt", "7511 GA", "Enschede"),
    ("Brink", "7411 BR", "Deventer"), ("Korenmarkt", "6811 GV", "Arnhem"), ("Grote Markt", "6511 KB", "Nijmegen"),
    ("Stadhuisplein", "1315 HR", "Almere"), ("Damrak", "1012 LG", "Amsterdam"),
    ("Grote Markt", "2011 RD", "Haarlem"), ("Breestraat", "2311 CH", "Leiden"), ("Spui", "2511 BL", "Den Haag"),
    ("Coolsingel", "3011 AD", "Rotterdam"), ("Oudegracht", "3511 AB", "Utrecht"),
    ("Langstraat", "3811 AA", "Amersfoort"), ("Markt", "5211 JV", "'s-Hertogenbosch"),
    ("Grote Markt", "4811 XR", "Breda"), ("Heuvelring", "5038 CL", "Tilburg"),
    ("Stratumseind", "5611 EN", "Eindhoven"), ("Markt", "5911 HG", "Venlo"), ("Vrijthof", "6211 LD", "Maastricht"),
    ("Markt", "4331 LK", "Middelburg"), ("Dorpsstraat", "1761 AB", "Anna Paulowna"),
)
GIVEN_NAMES = ("Sanne", "Daan", "Emma", "Mohamed", "Lotte", "Bram", "Yasmin", "Sem", "Fleur", "Thijs", "Noor",
               "Jesse", "Aylin", "Luuk", "Julia", "Milan", "Ilse", "Ömer", "Zoë", "Ruben")
SURNAMES = ((None, "Jansen"), ("de", "Vries"), ("van den", "Berg"), (None, "Bakker"), ("van", "Dijk"),
            (None, "Visser"), (None, "Yılmaz"), ("de", "Boer"), (None, "El Amrani"), ("van der", "Meer"),
            (None, "Smit"), (None, "Mulder"), ("de", "Groot"), (None, "Hendriks"))
LEVELS = (("MBO niveau 2", "BOL", True), ("MBO niveau 3", "BBL", False), ("MBO niveau 4", "BOL", True),
          ("MBO niveau 1", "BOL", True))
REASONS = (None, "Vermoedelijk problemen thuis; ouders melden de leerling niet ziek.",
           "Leerling zegt ziek te zijn, maar is niet ziek gemeld.", "Mogelijk bijbaan onder schooltijd.")


# --- The reports and their schedule -----------------------------------------------------------


@dataclass(frozen=True)
class Report:
    index: int
    payload: bytes
    postcode: str


@dataclass
class Send:
    """One request of the run: a report's first copy, an exact retry, or a resend under a new MessageID."""

    report: int
    copy: str
    message_id: str
    together: threading.Barrier | None = None
    """Shared with the other copy of the report when both go out at the same moment."""
    body: bytes = b""
    latency: float = 0.0
    status: int = 0
    response: bytes = b""


def _pdf(index: int) -> bytes:
    """A small, well-formed one-page PDF naming the student's absence overview."""
    text = f"BT /F1 10 Tf 20 50 Td (Verzuimoverzicht leerling {index}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text)]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _optional(name: str, value: str | None) -> list[etree._Element]:
    return [] if value is None else [getattr(E, name)(value)]


def make_report(index: int, today: dt.date, rng: random.Random) -> Report:
    """Report *index*: a distinct student, three school days (Mon-Wed to Wed-Fri) 3-60 days ago."""
    street, postcode, place = ADDRESSES[index % len(ADDRESSES)]
    end = today - dt.timedelta(days=3 + index % 58)
    while end.weekday() not in (2, 3, 4):
        end -= dt.timedelta(days=1)
    start = end - dt.timedelta(days=2)
    birth = dt.date(start.year - rng.randint(13, 19), 1, 1) + dt.timedelta(days=rng.randrange(365))
    year = start.year if start.month >= 8 else start.year - 1
    prefix, surname = SURNAMES[index % len(SURNAMES)]
    level, path, full_time = LEVELS[index % len(LEVELS)]
    attachments = [E.Bijlagen(E.Bijlage(E.Bestandsnaam(f"verzuimoverzicht-{index}.pdf"),
                                        E.Inhoud(base64.b64encode(_pdf(index)).decode())))] if index % 10 == 0 else []
    element = E.IndienenVerzuimmelding(
        E.Leerling(E.Bsn(valid_bsn(index)), E.Voornamen(GIVEN_NAMES[index % len(GIVEN_NAMES)]),
                   *_optional("Voorvoegsel", prefix), E.Achternaam(surname), E.Geboortedatum(birth.isoformat()),
                   E.Woonadres(E.Straat(street), E.Huisnummer(str(1 + index % 250)),
                               *_optional("HuisnummerToevoeging", "A" if index % 7 == 0 else None),
                               E.Postcode(postcode), E.Plaats(place))),
        E.School(E.Brin(BRIN), E.Vestigingsnummer("01")),
        E.Schooljaar(f"{year}-{year + 1}"), E.Niveau(level), E.Leerweg(path), E.Voltijd(str(full_time).lower()),
        E.Verzuimsoort("DRIE_DAGEN"),
        E.Periode(E.Begindatum(start.isoformat()), E.Einddatum(end.isoformat())),
        *_optional("VermoedelijkeReden", REASONS[index % len(REASONS)]),
        E.Melder(E.Email("verzuim@school-25lx.example.nl"), E.Rol("Verzuimcoördinator"),
                 E.Contactpersoon("Joke Bakker"), E.Telefoon("030 123 4567")),
        E.AlleLessenVerzuimd("true"),
        *attachments,
    )
    return Report(index, etree.tostring(element, encoding="utf-8"), postcode)


def schedule(count: int, duplicates: int, clients: int, rng: random.Random) -> list[list[Send | None]]:
    """Rows of one request per client; each row is sent about together (see the module docstring).

    Second copies are placed first, each in another client's column than its first copy: in the
    same row (with a barrier) or 1-LATER_ROWS rows later; then the other reports fill the free
    cells in order, so that only the last row has empty cells.
    """
    rows = -(-(count + duplicates) // clients)
    if clients < 2 or rows < 3:
        raise SystemExit("need at least 2 clients and 3 requests per client")
    grid: list[list[Send | None]] = [[None] * clients for _ in range(rows)]

    def free(row: int, other_than: int = -1) -> list[int]:
        return [c for c in range(clients) if grid[row][c] is None and c != other_than]

    doubled = rng.sample(range(count), duplicates)
    for n, index in enumerate(doubled):
        copy, together = (RETRY, RESEND)[n % 2], n % 4 < 2
        first = Send(index, FIRST, new_message_id())
        second = Send(index, copy, first.message_id if copy == RETRY else new_message_id())
        while True:
            row = rng.randrange(rows - 1) if together else rng.randrange(rows - 2)
            later = row if together else min(row + rng.randint(1, LATER_ROWS), rows - 2)
            columns = free(row)
            if not columns:
                continue
            column = rng.choice(columns)
            others = free(later, other_than=column)
            if others:
                break
        if together:
            first.together = second.together = threading.Barrier(2)
        grid[row][column], grid[later][rng.choice(others)] = first, second
    taken = set(doubled)
    singles = iter(i for i in range(count) if i not in taken)
    for cells in grid:
        for column in range(clients):
            if cells[column] is None:
                single = next(singles, None)
                cells[column] = None if single is None else Send(single, FIRST, new_message_id())
    return grid


# --- Driving -------------------------------------------------------------------------------------


class Progress:
    """Requests answered (a line every *every*), and barrier waits that timed out."""

    def __init__(self, total: int, every: int = 1000) -> None:
        self.total, self.every, self.done, self.broken = total, every, 0, 0
        self._lock = threading.Lock()
        self._started = time.perf_counter()

    def tick(self, *, broken: bool = False) -> None:
        with self._lock:
            self.done += 1
            self.broken += broken
            if self.done % self.every == 0 or self.done == self.total:
                rate = self.done / (time.perf_counter() - self._started)
                print(f"    sent {self.done:>6}/{self.total} ({rate:.0f} req/s incl. signing pauses)", flush=True)


def _connect(port: int, context: ssl.SSLContext) -> http.client.HTTPSConnection:
    connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=120)
    connection.connect()  # the handshake stays out of the first request's latency
    return connection


def drive(port: int, context: ssl.SSLContext, columns: list[list[Send]], progress: Progress | None) -> float:
    """Each column by one keep-alive client thread; returns the wall time from first to last request."""
    connections = [_connect(port, context) for _ in columns]

    def worker(connection: http.client.HTTPSConnection, queue: list[Send]) -> None:
        for send in queue:
            broken = False
            if send.together is not None:
                try:
                    send.together.wait(timeout=60)
                except threading.BrokenBarrierError:
                    broken = True
            started = time.perf_counter()
            try:
                connection.request("POST", PATH, body=send.body, headers={"Content-Type": "text/xml; charset=utf-8"})
                response = connection.getresponse()
                send.response, send.status = response.read(), response.status
            except (OSError, http.client.HTTPException) as error:
                send.response, send.status = repr(error).encode(), -1
                connection.close()
                connection = _connect(port, context)
            send.latency = time.perf_counter() - started
            if progress is not None:
                progress.tick(broken=broken)
        connection.close()

    threads = [threading.Thread(target=worker, args=pair) for pair in zip(connections, columns, strict=True)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def fresh_clock() -> Callable[[], dt.datetime]:
    """Creation times for Timestamps: now, but each at least 1 ms after the last, so that an exact
    retry never carries the same signature as its original (the server refuses that as a replay)."""
    last = [dt.datetime.min.replace(tzinfo=dt.UTC)]

    def created() -> dt.datetime:
        last[0] = max(dt.datetime.now(dt.UTC), last[0] + dt.timedelta(milliseconds=1))
        return last[0]

    return created


# --- Answers and checks --------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    kind: str
    """``registered``, ``retried`` (a registration answer to an exact retry), a fault code, or ``error``."""
    number: str | None = None
    content: tuple[tuple[str, str], ...] = ()
    """Every element and text of the reply payload, to compare a retry's reply with the original's."""
    municipality: str | None = None
    text: str = ""


def read_answer(send: Send) -> Answer:
    if send.status <= 0:
        return Answer("error", text=send.response.decode(errors="replace"))
    try:
        body = etree.fromstring(send.response, etree.XMLParser(resolve_entities=False, no_network=True))[-1]
        payload = body[0]
    except (etree.XMLSyntaxError, IndexError):
        return Answer("error", text=f"HTTP {send.status}, unreadable reply")
    if payload.tag == f"{{{SOAP}}}Fault":
        faultstring = payload.findtext("faultstring") or ""
        found = NUMBER_IN_FAULT.search(faultstring)
        return Answer(faultstring.split(":", 1)[0], found.group(1) if found else None, text=faultstring)
    if payload.tag != f"{{{NS}}}IndienenVerzuimmeldingResponse":
        return Answer("error", text=f"unexpected reply {payload.tag}")
    content = tuple((etree.QName(e).localname, (e.text or "").strip()) for e in payload.iter())
    kind = "retried" if send.copy == RETRY else "registered"
    return Answer(kind, payload.findtext(f"{{{NS}}}Meldingnummer"), content,
                  payload.findtext(f"{{{NS}}}Gemeente/{{{NS}}}Code"))


def check_answers(reports: list[Report], sends: list[Send], answers: dict[int, Answer]
                  ) -> tuple[list[str], Counter[str]]:
    """What the clients were told: one number per report, the same in every copy's answer.

    Wrong answers are grouped by what was sent and what came back, with one example each.
    """
    from ketenserver.absence.municipalities import municipality_for_postcode

    expected = {FIRST: ["registered"], RETRY: ["registered", "retried"], RESEND: ["VZL-1015", "registered"]}
    problems: list[str] = []
    wrong: dict[str, list[str]] = {}
    by_report: dict[int, list[Send]] = {}
    for send in sends:
        by_report.setdefault(send.report, []).append(send)
    numbers: dict[str, int] = {}
    municipalities: Counter[str] = Counter()
    for index, copies in sorted(by_report.items()):
        told = [answers[id(s)] for s in copies]
        kinds = sorted(a.kind for a in told)
        pair = next((s.copy for s in copies if s.copy != FIRST), FIRST)
        if kinds != expected[pair] or len(copies) != len(expected[pair]):
            sent = pair if pair == FIRST else f"{pair}, sent {'together' if copies[0].together else 'apart'}"
            what = f"{sent}: answered {' + '.join(kinds)} (expected {' + '.join(expected[pair])})"
            example = "; ".join(f"{s.copy} -> {a.text[:160] or f'{a.kind} {a.number}'}"
                                for s, a in zip(copies, told, strict=True))
            wrong.setdefault(what, []).append(f"report {index}: {example}")
        named = {a.number for a in told}
        if len(named) != 1 or None in named:
            problems.append(f"report {index}: not one Meldingnummer for all copies: {sorted(map(str, named))}")
            continue
        number = named.pop()
        assert number is not None
        if number in numbers:
            problems.append(f"reports {numbers[number]} and {index} were both given Meldingnummer {number}")
        numbers[number] = index
        registered = [a for a in told if a.kind in ("registered", "retried")]
        if len({a.content for a in registered}) > 1:
            problems.append(f"report {index}: the retry's reply differs from the original reply")
        expected_code = municipality_for_postcode(reports[index].postcode).code
        if registered and registered[0].municipality != expected_code:
            problems.append(f"report {index}: municipality {registered[0].municipality}, expected {expected_code}")
        municipalities[(registered[0].municipality if registered else None) or "?"] += 1
    problems += [f"{len(examples)} x {what}; e.g. {examples[0]}" for what, examples in wrong.items()]
    missing = len(reports) - len(by_report)
    if missing:
        problems.append(f"{missing} reports were never sent")
    return problems, municipalities


def check_database(url: str, numbers: set[str], count: int) -> tuple[list[str], int]:
    """The reports the counter holds for the school: exactly the numbers told, change numbers 1..N."""
    from sqlalchemy import select

    from ketenserver.absence.storage import ReportRow, School, format_meldingnummer
    from ketenserver.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(ReportRow.registered_year, ReportRow.id, ReportRow.change_number)
                                      .where(ReportRow.organisation_oin == SCHOOL)).all()
            last = connection.scalar(select(School.last_change).where(School.organisation_oin == SCHOOL))
    finally:
        engine.dispose()
    stored = {format_meldingnummer(year, serial) for year, serial, _ in rows}
    problems = []
    if len(rows) != count:
        problems.append(f"the database holds {len(rows)} reports of the school, expected {count}")
    if stored != numbers:
        problems.append(f"stored numbers and the numbers told differ: {len(stored - numbers)} stored only, "
                        f"{len(numbers - stored)} told only")
    changes = sorted(change for _, _, change in rows)
    if changes != list(range(1, count + 1)) or last != count:
        problems.append(f"change numbers are not 1..{count} (last_change {last}, {len(set(changes))} distinct)")
    return problems, len(rows)


# --- One backend ----------------------------------------------------------------------------------


@contextlib.contextmanager
def serving(url: str, workdir: Path, pki_dir: Path, workers: int, label: str) -> Iterator[int]:
    """``ketenserver serve`` on a free port over *url*, its log in *workdir*; yields the port."""
    port = free_port()
    log = workdir / f"server-{label}.log"
    environment = {**os.environ, "KETENSERVER_LOG_LEVEL": "WARNING"}
    with log.open("wb") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "ketenserver", "--pki-dir", str(pki_dir), "--data-dir", str(workdir / "data"),
             "--database-url", url, "serve", "--port", str(port), "--workers", str(workers)],
            stdout=subprocess.DEVNULL, stderr=stderr, env=environment)
        try:
            wait_for_port(port, process=server, timeout=90)
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)


@dataclass
class Result:
    label: str
    requests: int = 0
    reports: int = 0
    elapsed: float = 0.0
    signing: float = 0.0
    stored: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def pick(q: float) -> float:  # nearest rank
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000

    return f"p50 {pick(0.50):7.1f} ms  p99 {pick(0.99):7.1f} ms"


def run(label: str, server_url: str | None, args: argparse.Namespace, pki: DevPki, workdir: Path) -> Result:
    """One backend: prepare a scratch database, serve it, send everything, check, print."""
    from ketenserver.cli import prepare
    from ketenserver.recognitions.domain import dutch_date
    from ketenserver.settings import Settings

    result = Result(label)
    rng = random.Random(args.seed)
    today = dutch_date(dt.datetime.now(dt.UTC))
    duplicates = round(args.reports * args.duplicates)
    print(f"\n== {label}: {args.reports} reports + {duplicates} sent twice, {args.clients} clients, "
          f"{args.workers} server process(es)", flush=True)
    reports = [make_report(i, today, rng) for i in range(args.reports)]
    grid = schedule(args.reports, duplicates, args.clients, rng)
    sends = [send for row in grid for send in row if send is not None]
    with scratch_database(server_url, "verzuim_load") as url:
        print(f"  preparing {url.split('@')[-1]} ...", flush=True)
        prepare(Settings(data_dir=workdir / "data", pki_dir=pki.directory, database_url=url), companies=200,
                say=lambda _: None)
        with serving(url, workdir, pki.directory, args.workers, label) as port:
            send_all(port, pki, grid, reports, args, result)
        answers = {id(send): read_answer(send) for send in sends}
        problems, municipalities = check_answers(reports, sends, answers)
        numbers = {a.number for a in answers.values() if a.number is not None}
        db_problems, result.stored = check_database(url, numbers, args.reports)
        result.problems += problems + db_problems
    result.requests, result.reports = len(sends), args.reports
    for send in sends:
        result.latencies.setdefault(answers[id(send)].kind, []).append(send.latency)
    _print_result(result, sends, municipalities, workdir / f"server-{label}.log")
    return result


def send_all(port: int, pki: DevPki, grid: list[list[Send | None]], reports: list[Report],
             args: argparse.Namespace, result: Result) -> None:
    """Warm up (untimed), then per batch of rows: sign (untimed), send (timed)."""
    school: PartyFiles = pki.party(f"school-{BRIN}")
    builder = RequestBuilder.from_files(school.cert, school.key, f"https://localhost:{port}{PATH}", school.oin)
    context = ssl.create_default_context(cafile=str(pki.trust_bundle))
    context.load_cert_chain(str(school.chain), str(school.key))
    created = fresh_clock()
    warmup = [Send(-1, "warmup", "", body=builder.build(
        E.SynchroniserenVerzuimmeldingen(E.PaginaGrootte("1")), action=WARMUP_ACTION, created=created()).bytes())
        for _ in range(args.clients * 10)]
    drive(port, context, [warmup[c::args.clients] for c in range(args.clients)], None)
    if any(s.status != 200 for s in warmup):
        result.problems.append(f"warm-up: {sum(s.status != 200 for s in warmup)} requests failed")
    progress = Progress(sum(1 for row in grid for send in row if send is not None))
    rows_per_batch = max(1, args.batch // args.clients)
    oldest = 0.0
    for first_row in range(0, len(grid), rows_per_batch):
        rows = grid[first_row:first_row + rows_per_batch]
        batch = [send for row in rows for send in row if send is not None]
        signing_started = time.perf_counter()
        for n, send in enumerate(batch, start=1):
            send.body = builder.build(reports[send.report].payload, action=ACTION, message_id=send.message_id,
                                      created=created()).bytes()
            if n % 1000 == 0:
                print(f"    signed {n}/{len(batch)} of this batch", flush=True)
        signed = time.perf_counter()
        result.signing += signed - signing_started
        print(f"  batch of {len(batch)} signed in {signed - signing_started:.1f} s; sending", flush=True)
        columns = [[s for s in (row[c] for row in rows) if s is not None] for c in range(args.clients)]
        result.elapsed += drive(port, context, columns, progress)
        oldest = max(oldest, time.perf_counter() - signing_started)
    print(f"  oldest Timestamp when sent: {oldest:.0f} s (the server accepts 300 s)")
    if progress.broken:
        result.problems.append(f"{progress.broken} barrier waits timed out (pairs not sent together)")


def _print_result(result: Result, sends: list[Send], municipalities: Counter[str], log: Path) -> None:
    copies = Counter(send.copy for send in sends)
    together = sum(1 for send in sends if send.together is not None and send.copy != FIRST)
    print(f"  sent {result.requests} requests: {copies[FIRST]} first copies, {copies[RETRY]} exact retries, "
          f"{copies[RESEND]} resends under a new MessageID ({together} of these at the same moment as their first)")
    every = [latency for values in result.latencies.values() for latency in values]
    print(f"  sending took {result.elapsed:.1f} s (signing {result.signing:.1f} s, untimed): "
          f"{result.requests / result.elapsed:.1f} requests/s, {result.reports / result.elapsed:.1f} reports/s; "
          f"{_percentiles(every)}")
    print("  by answer (registered: reply to a first copy; retried: reply to an exact retry):")
    for kind, values in sorted(result.latencies.items()):
        print(f"    {kind:<11} {len(values):>6}  {_percentiles(values)}")
    top = ", ".join(f"{code} {n}" for code, n in municipalities.most_common(5))
    print(f"  {len(municipalities)} municipalities received reports (most: {top})")
    print(f"  database: {result.stored} reports of school {BRIN}")
    for what, n in _server_errors(log).most_common():
        print(f"  server log: {n} x {what}")
    for problem in result.problems[:20]:
        print(f"  FAILED: {problem}")
    if len(result.problems) > 20:
        print(f"  ... and {len(result.problems) - 20} more failures")
    print(f"  {result.label}: {'all checks passed' if not result.problems else 'CHECKS FAILED'}", flush=True)


def _server_errors(log: Path) -> Counter[str]:
    """Error entries of the server's JSON log by logger and message; other tracebacks (shutdown) apart."""
    found: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            if line.startswith("Traceback"):
                found["traceback outside the JSON log (stderr)"] += 1
            continue
        if isinstance(entry, dict) and entry.get("level") in ("ERROR", "CRITICAL"):
            found[f"{entry['level']} {entry.get('logger')}: {str(entry.get('message'))[:120]}"] += 1
    return found


def _postgres_answers(url: str) -> str | None:
    """None when the PostgreSQL server at *url* accepts a connection, else why not."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None
    except DBAPIError as error:
        return str(error.orig).splitlines()[0]
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=10_000, help="distinct reports (default 10000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients (default 8)")
    parser.add_argument("--duplicates", type=float, default=0.05, help="share sent twice (default 0.05)")
    parser.add_argument("--workers", type=int, default=2, help="server processes (default: 2 = cores here)")
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--database-url", default=POSTGRES, help=f"the PostgreSQL server (default {POSTGRES})")
    parser.add_argument("--batch", type=int, default=2500, help="requests signed per batch (default 2500)")
    parser.add_argument("--seed", type=int, default=4, help="random seed of the schedule and the students")
    args = parser.parse_args()
    if not 0 <= args.duplicates <= 1 or args.reports >= 10**7:
        parser.error("--duplicates is a share from 0 to 1; --reports at most 9,999,999")
    from ketenserver.pki import init_dev_pki
    from ketenserver.server import _interrupt

    signal.signal(signal.SIGTERM, _interrupt)  # stop the server too when this script is stopped
    workdir = Path(tempfile.mkdtemp(prefix="ketenserver-verzuim-load-"))
    print(f"working in {workdir}", flush=True)
    pki = init_dev_pki(workdir / "certs")
    results: list[Result] = []
    status = 0
    if args.backend in ("both", "sqlite"):
        results.append(run("sqlite", None, args, pki, workdir))
    if args.backend in ("both", "postgresql"):
        why = _postgres_answers(args.database_url)
        if why is None:
            results.append(run("postgresql", args.database_url, args, pki, workdir))
        else:
            print(f"\n== postgresql: SKIPPED, no answer from {args.database_url}: {why}")
            status = 2 if args.backend == "postgresql" else 0
    print("\nbackend     requests  reports  seconds  requests/s  reports/s   latency per request"
          "         stored  checks")
    for r in results:
        every = [latency for values in r.latencies.values() for latency in values]
        print(f"{r.label:<11} {r.requests:>8} {r.reports:>8} {r.elapsed:>8.1f} {r.requests / r.elapsed:>11.1f} "
              f"{r.reports / r.elapsed:>10.1f}   {_percentiles(every)}  {r.stored:>6}  "
              f"{'passed' if not r.problems else 'FAILED'}")
    return 1 if any(r.problems for r in results) else status


if __name__ == "__main__":
    sys.exit(main())
