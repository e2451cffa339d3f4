"""The composition root: :func:`create_app` builds the WSGI application from settings.

Nothing is created at import time; every engine, key and spyne application is made here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ketencore.trust import TrustStore
from ketencore.wsse import MessageSigner
from ketenserver import contracts
from ketenserver.background import BackgroundContext, BackgroundJob, BackgroundRunner
from ketenserver.db import make_engine, make_session_factory, write_serialiser
from ketenserver.exchange.journal import Journal, JournalRetention
from ketenserver.exchange.pipeline import Clock, Endpoint, Pipeline, StartResponse
from ketenserver.feature import Feature
from ketenserver.settings import Settings
from ketenserver.soap import SpyneOperations
from ketenserver.spyne_compat import load_spyne

_SCHEMA_NAME = re.compile(r"^[A-Za-z0-9._-]+\.xsd$")
RETENTION_JOB = "journal-retention"
RETENTION_INTERVAL = 60.0


def feature_operations(feature: Feature) -> SpyneOperations:
    """The feature's spyne services, dispatched in process behind the pipeline."""
    load_spyne()  # before the feature imports its services (Python 3.12+ needs the shim first)
    namespace = contracts.operations(feature.key)[0].input_element.split("}")[0][1:]
    return SpyneOperations(feature.services(), namespace=namespace, name=feature.key)


@dataclass
class KetenApp:
    """The WSGI application: published contracts on GET, the secure pipeline on POST."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    pipeline: Pipeline
    endpoints: dict[str, Endpoint]
    features: tuple[Feature, ...]
    """The features this app serves (a subset of :data:`ketenserver.features.FEATURES`)."""
    jobs: dict[str, BackgroundJob]
    """Each background job by name; :meth:`start_background` runs them."""
    intervals: dict[str, float]
    """Seconds between two passes of each job (0: never on its own)."""
    published: frozenset[str]
    """Contract names served at ``/wsdl/<name>.wsdl``."""
    background_context: BackgroundContext
    """What the jobs were built from (a test builds another job with its own clock from it)."""
    runners: list[BackgroundRunner] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        method = environ.get("REQUEST_METHOD", "GET")
        endpoint = self.endpoints.get(path.rstrip("/"))
        if endpoint is not None and method == "POST":
            return self.pipeline.handle(endpoint, environ, start_response)
        if method not in ("GET", "HEAD"):
            return _plain(start_response, "405 Method Not Allowed", "Use POST for SOAP and GET for contracts.\n")
        query = environ.get("QUERY_STRING", "").lower()
        if endpoint is not None and query in ("wsdl", "wsdl="):
            address = f"{self.base_url(environ)}{endpoint.path}"
            return _xml(start_response, contracts.published_wsdl(endpoint.feature_key, endpoint.profile.name, address))
        if path.startswith("/xsd/") and _SCHEMA_NAME.match(path[5:]):
            try:
                return _xml(start_response, contracts.xsd_path(path[5:]).read_bytes())
            except contracts.ContractError:
                pass
        if path.startswith("/wsdl/") and path.endswith(".wsdl") and path[6:-5] in self.published:
            return _xml(start_response, contracts.wsdl_path(path[6:-5]).read_bytes())
        if path in ("", "/"):
            return _plain(start_response, "200 OK", self.index(environ))
        return _plain(start_response, "404 Not Found", "No such service or contract; see / for the list.\n")

    def index(self, environ: dict[str, Any]) -> str:
        base = self.base_url(environ)
        lines = ["ketenserver: chain test server (development use only)", ""]
        for endpoint in self.endpoints.values():
            lines.append(f"{endpoint.feature_key:<20} {endpoint.profile.name:<8} {base}{endpoint.path}?wsdl")
        return "\n".join(lines) + "\n"

    def base_url(self, environ: dict[str, Any]) -> str:
        """The address clients reach this server at, as the served WSDLs and the index name it.

        ``public_url`` when set (a server behind a proxy). Otherwise the request's Host header, but
        only when it names this server: a name it is known by (its ``host`` setting, ``localhost``,
        ``127.0.0.1``, ``::1``, the machine's host name) and the port it listens on. Any other Host
        (a forged ``Host: evil.example``, a name of somebody else's) gets the configured address,
        ``https://<host>:<port>``, so that a WSDL never sends clients elsewhere."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        listening = _port(environ.get("SERVER_PORT")) or self.settings.port or 443
        scheme = "https" if environ.get("wsgi.url_scheme", "https") == "https" else "http"
        host, port = _host_and_port(environ.get("HTTP_HOST", ""), default_port=443 if scheme == "https" else 80)
        if host is not None and port == listening and host in _own_names(self.settings.host):
            return f"{scheme}://{_netloc(host, port)}"
        configured = self.settings.host if self.settings.host not in _WILDCARDS else socket.gethostname()
        return f"https://{_netloc(configured.lower(), listening)}"

    def start_background(self) -> None:
        """Run each job every so many seconds as its interval says (never when it is 0); the journal
        retention runs every minute (it purges at most every ten)."""
        if self.runners:
            return
        for name, job in self.jobs.items():
            interval = self.intervals[name]
            if interval > 0:
                runner = BackgroundRunner(job.run_once, interval, name=f"{name}-background")
                runner.start()
                self.runners.append(runner)

    def close(self) -> None:
        for runner in self.runners:
            runner.stop()
        for job in self.jobs.values():
            job.close()
        self.engine.dispose()


_WILDCARDS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 (names, not a bind)


def _own_names(configured: str) -> frozenset[str]:
    names = {"localhost", "127.0.0.1", "::1", socket.gethostname().lower()}
    if configured not in _WILDCARDS:
        names.add(configured.lower())
    return frozenset(names)


def _port(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) <= 5 else None


def _host_and_port(header: str, *, default_port: int) -> tuple[str | None, int | None]:
    """A Host header as a lower-case host (IPv6 without its brackets) and a port; None when malformed."""
    header = header.strip().lower()
    if header.startswith("["):
        host, bracket, rest = header[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None, None
        port_text = rest[1:]
    else:
        host, _, port_text = header.partition(":")
    if not host:
        return None, None
    return host, _port(port_text) if port_text else default_port


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    data = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


def _xml(start_response: StartResponse, data: bytes) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


def token_key(server_key_pem: bytes) -> bytes:
    """The key of the server's opaque tokens (search page tokens), derived from its private key.

    Deterministic, so every server process (``--workers``) and a restart accept each other's
    tokens; a new server key invalidates them, which only costs a client a fresh first page.
    """
    return hmac.new(server_key_pem, b"ketenserver page tokens", hashlib.sha256).digest()


def create_app(settings: Settings, *, features: Iterable[Feature] | None = None, clock: Clock | None = None,
               engine: Engine | None = None) -> KetenApp:
    """Build the server from settings, serving ``features`` (default: every registered one).

    The database must have been upgraded (``ketenserver db upgrade``)."""
    if features is None:
        from ketenserver.features import FEATURES

        features = FEATURES
    features = tuple(features)
    engine = engine or make_engine(settings.effective_database_url)
    sessions = make_session_factory(engine)
    writes = write_serialiser(engine)
    clock = clock or (lambda: datetime.now(UTC))
    trust = TrustStore.from_files(settings.trust_bundle_path, settings.crl_paths, clock=clock)
    server_key = settings.server_key_path.read_bytes()
    signer = MessageSigner.from_pem(server_key, settings.server_cert_path.read_bytes())
    journal = Journal(sessions, body_cap=settings.journal_body_cap, writes=writes)
    pipeline = Pipeline(
        sessions=sessions, trust=trust, signer=signer, journal=journal, writes=writes,
        max_request_bytes=settings.max_request_bytes,
        timestamp_max_age=settings.timestamp_max_age, timestamp_max_skew=settings.timestamp_max_skew,
        clock=clock, token_key=token_key(server_key), request_read_timeout=settings.request_read_timeout,
        settings=settings,
    )
    endpoints: dict[str, Endpoint] = {}
    for feature in features:
        operations = {op.input_element: op for op in contracts.operations(feature.key)}
        dispatch = feature_operations(feature).call
        own_signer = None
        if feature.reply_signer is not None:
            chain, key = feature.reply_signer(settings)
            missing = [str(path) for path in (chain, key) if not path.is_file()]
            if missing:
                raise FileNotFoundError(f"{feature.key} signs its replies with a certificate of its own, and "
                                        f"{' and '.join(missing)} is missing: set its signing settings or "
                                        "create the development PKI (ketenserver certs init)")
            own_signer = MessageSigner.from_pem(key.read_bytes(), chain.read_bytes())
        for profile in feature.profiles:
            endpoint = Endpoint(feature.key, profile, operations, feature.state_changing,
                                contracts.schema_for(feature.key), dispatch, feature.reference,
                                feature.refusal, own_signer)
            endpoints[endpoint.path] = endpoint
    from ketenserver.scenarios import Scenarios

    pipeline.scenarios = Scenarios(sessions, writes=writes)
    pipeline.business_specs = {feature.key: {spec.code: spec for spec in feature.faults} for feature in features}
    context = BackgroundContext(settings, sessions, writes, journal, trust, clock)
    jobs: dict[str, BackgroundJob] = {}
    intervals: dict[str, float] = {}
    for feature in features:
        for job in feature.jobs:
            jobs[job.name], intervals[job.name] = job.make(context), float(job.interval(settings))
    if settings.journal_retention_days > 0:
        jobs[RETENTION_JOB] = JournalRetention(sessions, retention_days=settings.journal_retention_days,
                                               clock=clock, writes=writes)
        intervals[RETENTION_JOB] = RETENTION_INTERVAL
    published = frozenset(name for feature in features for name in (feature.key, *feature.published))
    return KetenApp(settings, engine, sessions, pipeline, endpoints, features, jobs, intervals, published, context)
