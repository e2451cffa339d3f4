"""Scenarios: a tester makes the server misbehave on purpose, to see whether the vendor's software copes.

A scenario is a TOML file of rules; each rule picks calls of one operation (``"*"``: any), the next
``times`` of them (absent: every one) or only those whose Body holds an element with a given value,
and makes them answer a chosen way::

    # 0051-then-ok.toml: the next registration fails once; the client must retry with the same MessageID
    [[rule]]
    operation = "RegistrerenBpvOvereenkomst"
    times = 1
    fault = "unavailable"

    [[rule]]
    operation = "NatrekkenErkenning"
    match = { LeerbedrijfId = "100000001" }
    fault = "business"
    code = "SBB-1005"

Kinds (``fault``):

- ``unavailable``: the signed SOAP fault 0051 (nothing is processed or stored);
- ``http-503``: an HTTP 503 with no SOAP body at all, as a proxy in front of the service answers;
- ``delay``: ``delay_ms`` (or a uniform draw between ``delay_ms`` and ``delay_max_ms``) before the
  call is processed as usual;
- ``business``: the service's own rule ``code`` refuses the call (a fault, or a MAGDA
  Uitzondering), with ``message`` and ``field`` when given.

Rules are stored per tenant (``scenario_rules``; until tenants exist, the one world is the tenant
``default``) and tried in the order they were loaded; the first that matches answers. Loading,
listing and clearing: ``ketenserver scenario load FILE|list|clear [NAME]``. A serving process
reads the rules again at most a second after they change. Every injected answer is marked in the
journal (``journal.injected``: scenario and kind).
"""

from __future__ import annotations

import json
import random
import threading
import time
import tomllib
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree
from sqlalchemy import DateTime, Integer, String, Text, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from ketencore.errors import RuleError
from ketencore.faults import FaultSpec
from ketenserver.db import Base

DEFAULT_TENANT = "default"
KINDS = ("unavailable", "http-503", "delay", "business")
REFRESH_SECONDS = 1.0
_KEYS = {"operation", "times", "match", "fault", "delay_ms", "delay_max_ms", "code", "message", "field"}


class ScenarioRule(Base):
    """One rule of a loaded scenario; ``remaining`` counts down the calls it still answers (None: all)."""

    __tablename__ = "scenario_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(40), index=True)
    scenario: Mapped[str] = mapped_column(String(100))
    operation: Mapped[str] = mapped_column(String(100))
    match: Mapped[str | None] = mapped_column(Text)
    """JSON object: element local name -> value, all of which the Body must hold."""
    remaining: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    params: Mapped[str] = mapped_column(Text)
    """JSON object: delay_ms, delay_max_ms, code, message, field."""
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Rule:
    scenario: str
    operation: str
    kind: str
    times: int | None = None
    match: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None

    @property
    def label(self) -> str:
        """How the journal marks what this rule injected: ``scenario:kind``."""
        return f"{self.scenario}:{self.kind}"[:100]


class ScenarioError(ValueError):
    """A scenario file that cannot be loaded; the message names the rule and the key."""


def parse(text: str, name: str, *, codes: Iterable[str] = ()) -> list[Rule]:
    """The rules of scenario ``name`` in TOML ``text``; ``codes``: the business codes it may inject."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{name}: not TOML: {error}") from None
    unknown_tables = set(document) - {"rule"}
    if unknown_tables or not isinstance(document.get("rule"), list) or not document["rule"]:
        raise ScenarioError(f"{name}: a scenario is a list of [[rule]] tables and nothing else")
    known = set(codes)
    return [_rule(name, number, table, known) for number, table in enumerate(document["rule"], start=1)]


def _rule(name: str, number: int, table: dict[str, Any], codes: set[str]) -> Rule:
    where = f"{name}, rule {number}"
    unknown = set(table) - _KEYS
    if unknown:
        raise ScenarioError(f"{where}: unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(_KEYS))})")
    operation, kind = table.get("operation"), table.get("fault")
    if not isinstance(operation, str) or not operation:
        raise ScenarioError(f"{where}: operation names the operation (or \"*\" for any)")
    if kind not in KINDS:
        raise ScenarioError(f"{where}: fault is one of {', '.join(KINDS)}")
    times = table.get("times")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise ScenarioError(f"{where}: times is a whole number of calls, at least 1")
    match = table.get("match", {})
    if not isinstance(match, dict) or not all(isinstance(v, str | int) for v in match.values()):
        raise ScenarioError(f"{where}: match is a table of element names and their values")
    params: dict[str, Any] = {key: table[key] for key in ("delay_ms", "delay_max_ms", "code", "message", "field")
                              if key in table}
    if kind == "delay":
        low, high = params.get("delay_ms"), params.get("delay_max_ms", params.get("delay_ms"))
        if not isinstance(low, int) or not isinstance(high, int) or not 0 <= low <= high <= 120_000:
            raise ScenarioError(f"{where}: a delay has delay_ms (and delay_max_ms at least as large), 0 to 120000")
    if kind == "business" and params.get("code") not in codes:
        raise ScenarioError(f"{where}: code must be a business code of the service ({params.get('code')!r} is not)")
    return Rule(name, operation, kind, times, {str(k): str(v) for k, v in match.items()}, params)


# ------------------------------------------------------------------------------------- storage
def load(session: Session, rules: Iterable[Rule], *, tenant: str = DEFAULT_TENANT,
         now: datetime | None = None) -> int:
    """Store the rules (a scenario loaded again replaces its earlier rules); how many were stored."""
    rules = list(rules)
    for scenario in {rule.scenario for rule in rules}:
        clear(session, tenant=tenant, scenario=scenario)
    moment = now or datetime.now(UTC)
    session.add_all(ScenarioRule(tenant=tenant, scenario=r.scenario, operation=r.operation,
                                 match=json.dumps(dict(r.match)) if r.match else None, remaining=r.times,
                                 kind=r.kind, params=json.dumps(dict(r.params)), loaded_at=moment) for r in rules)
    session.flush()
    return len(rules)


def listed(session: Session, *, tenant: str = DEFAULT_TENANT) -> list[Rule]:
    rows = session.scalars(select(ScenarioRule).where(ScenarioRule.tenant == tenant).order_by(ScenarioRule.id))
    return [Rule(r.scenario, r.operation, r.kind, r.remaining, json.loads(r.match) if r.match else {},
                 json.loads(r.params), r.id) for r in rows]


def clear(session: Session, *, tenant: str = DEFAULT_TENANT, scenario: str | None = None) -> int:
    """Remove a tenant's rules (of one scenario, or all); how many."""
    query = delete(ScenarioRule).where(ScenarioRule.tenant == tenant)
    if scenario is not None:
        query = query.where(ScenarioRule.scenario == scenario)
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------- runtime
@dataclass(frozen=True)
class Injection:
    rule: Rule

    def delay_seconds(self, rng: random.Random) -> float:
        low = int(self.rule.params.get("delay_ms", 0))
        high = int(self.rule.params.get("delay_max_ms", low))
        return rng.uniform(low, high) / 1000

    def business_error(self, specs: Mapping[str, FaultSpec]) -> RuleError:
        spec = specs[str(self.rule.params["code"])]
        injected = type("InjectedRule", (RuleError,), {"spec": spec})
        error: RuleError = injected(str(self.rule.params.get("message") or spec.title),
                                    field=self.rule.params.get("field"))
        return error


class Scenarios:
    """The rules a serving process answers by: read again at most every ``REFRESH_SECONDS``."""

    def __init__(self, sessions: sessionmaker[Session], *, writes: Callable[[], Any],
                 clock: Callable[[], float] = time.monotonic, tenant: str = DEFAULT_TENANT) -> None:
        self._sessions = sessions
        self._writes = writes
        self._clock = clock
        self._tenant = tenant
        self._rules: list[Rule] = []
        self._read_at = float("-inf")
        self._lock = threading.Lock()
        self.rng = random.Random()  # noqa: S311 - the spread of an injected delay, not a secret

    def refresh(self) -> None:
        """Read the rules now (a test after loading; a serving process does it on its own)."""
        with self._sessions() as session:
            rules = listed(session, tenant=self._tenant)
        with self._lock:
            self._rules, self._read_at = rules, self._clock()

    def pick(self, operation: str, payload: etree._Element, *, codes: Container[str] = ()) -> Injection | None:
        """The first rule that answers this call, its count taken (in a transaction of its own, so a
        refused call still used it up), or None. ``codes``: the business codes of the called
        service; a business rule with another service's code (``operation = "*"``) passes it by."""
        if self._clock() - self._read_at >= REFRESH_SECONDS:
            self.refresh()
        for rule in self._rules:
            if rule.operation not in ("*", operation) or not _matches(rule.match, payload):
                continue
            if rule.kind == "business" and rule.params.get("code") not in codes:
                continue
            if rule.times is None or self._take(rule):
                return Injection(rule)
        return None

    def _take(self, rule: Rule) -> bool:
        with self._writes(), self._sessions.begin() as session:
            taken = session.execute(update(ScenarioRule).where(ScenarioRule.id == rule.id, ScenarioRule.remaining > 0)
                                    .values(remaining=ScenarioRule.remaining - 1)).rowcount  # type: ignore[attr-defined]
        if not taken:
            self._read_at = float("-inf")  # used up (here or in another process): read again next time
        return bool(taken)


def _matches(match: Mapping[str, str], payload: etree._Element) -> bool:
    if not match:
        return True
    values: dict[str, set[str]] = {}
    for element in payload.iter():
        if isinstance(element.tag, str) and element.text:
            values.setdefault(etree.QName(element).localname, set()).add(element.text.strip())
    return all(value in values.get(name, set()) for name, value in match.items())


# ------------------------------------------------------------------------------------- command
def add_command(sub: Any) -> None:
    scenario = sub.add_parser("scenario", help="scenarios: make the server misbehave on purpose (a tester's tool)")
    scenario.add_argument("--tenant", default=DEFAULT_TENANT,
                          help="the tenant whose calls the scenario answers (until tenants exist: default)")
    actions = scenario.add_subparsers(dest="scenario_command", required=True)
    loading = actions.add_parser("load", help="load a scenario file (TOML); loading it again replaces it")
    loading.add_argument("file", help="the scenario, e.g. scenarios/0051-then-ok.toml; its name is the file's stem")
    actions.add_parser("list", help="the loaded rules, in the order they are tried, with the calls they have left")
    clearing = actions.add_parser("clear", help="remove a scenario's rules, or all of them")
    clearing.add_argument("name", nargs="?", help="the scenario (a file's stem); all when left out")
    scenario.set_defaults(func=_run)


def _run(args: Any) -> int:
    from pathlib import Path

    from ketenserver.cli import engine_for, settings_from
    from ketenserver.db import make_session_factory
    from ketenserver.features import FEATURES

    if args.tenant != DEFAULT_TENANT:
        raise ValueError(f"tenant {args.tenant!r} does not exist: this server has the one tenant {DEFAULT_TENANT!r}")
    engine = engine_for(settings_from(args))
    try:
        with make_session_factory(engine).begin() as session:
            if args.scenario_command == "load":
                path = Path(args.file)
                rules = parse(path.read_text(encoding="utf-8"), path.stem,
                              codes=[spec.code for feature in FEATURES for spec in feature.faults])
                print(f"{path.stem}: {_count(load(session, rules, tenant=args.tenant), 'rule')} loaded for tenant "
                      f"{args.tenant} (a serving process answers by them within {REFRESH_SECONDS:.0f} s)")
            elif args.scenario_command == "list":
                for rule in listed(session, tenant=args.tenant):
                    left = "every call" if rule.times is None else f"{_count(rule.times, 'call')} left"
                    where = "".join(f" {name}={value}" for name, value in rule.match.items())
                    print(f"{rule.scenario}: {rule.operation}{where} -> {rule.kind} "
                          f"{json.dumps(dict(rule.params)) if rule.params else ''}({left})")
            else:
                print(f"{_count(clear(session, tenant=args.tenant, scenario=args.name), 'rule')} removed")
    finally:
        engine.dispose()
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
