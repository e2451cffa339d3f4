"""Settings: frozen dataclasses, read from a TOML file and/or ``KETENSERVER_*`` variables.

:class:`Settings` holds the server's own; each feature brings a dataclass of its own (with a
``SECTION`` name), read from the ``[ketenserver.<section>]`` table and ``KETENSERVER_<SECTION>_<NAME>``
variables, and reached with :meth:`Settings.of`. Precedence: defaults < TOML file (``--config`` or
``KETENSERVER_CONFIG``) < environment. Every setting that weakens security says so in its name and
docstring.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

ENV_PREFIX = "KETENSERVER_"
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("ketenserver-data")
    """Where the default SQLite database lives."""
    database_url: str = ""
    """Any SQLAlchemy URL; empty means ``sqlite:///<data_dir>/ketenserver.sqlite3``."""
    pki_dir: Path = Path("certs-dev")
    """Development PKI (``ketenserver certs init``); supplies the defaults of the five paths below."""
    server_cert: Path | None = None
    server_key: Path | None = None
    trust_bundle: Path | None = None
    """Roots and intermediates that client and signer certificates must chain to."""
    crl_files: tuple[Path, ...] = ()
    """CRL files (PEM or DER), re-read every ``crl_refresh_interval`` seconds; the development PKI's
    CRL when neither these nor ``crl_urls`` are set."""
    crl_urls: tuple[str, ...] = ()
    """http(s) addresses of CRLs (PEM or DER), fetched at start-up and every ``crl_refresh_interval``
    seconds. A CRL is installed only when a CA of the trust bundle signed it and it is not past its
    next update; otherwise the previous one stays and a warning is logged."""
    crl_refresh_interval: float = 300.0
    """Seconds between CRL refreshes in each serving process; 0 reads them at start-up only."""
    request_read_timeout: float = 20.0
    """Seconds a client has for one request once it starts sending it (TLS handshake of a new
    connection, request line, headers and body together); a slower body is refused with fault 0001,
    slower headers with HTTP 408."""
    handshake_timeout: float = 5.0
    """Seconds a new connection has, from its accept, to complete the TLS handshake; a slower or
    silent one is closed. Waiting for it costs no request thread."""
    socket_timeout: int = 30
    """Seconds one socket read or write may wait, and an idle kept-alive connection stays open."""
    host: str = "127.0.0.1"
    port: int = 8443
    public_url: str | None = None
    """The base URL clients use when the server is behind a proxy (``https://keten.example.nl``): the
    soap:address of every served WSDL and the index page name it. Unset, they name the request's
    Host only when that is this server's own (``host``, localhost, the machine's name, on the port
    it listens on), else ``https://<host>:<port>``; a forged Host header is never echoed."""
    workers: int = 0
    """Server processes sharing the port (SO_REUSEPORT); 0 (the default) means one per core. Python
    threads take turns on one core (the GIL), so the server scales by processes."""
    threads: int = 2
    """Request threads per process, besides the event loop that holds every connection and reads
    every request. Few on purpose: more threads in one process only pass the GIL back and forth
    (measured: 1 process x 16 threads spent a third of its CPU switching)."""
    shutdown_grace_seconds: float = 10.0
    """Seconds a stopping server (SIGTERM or SIGINT) gives the requests in flight to finish, after
    it stopped accepting connections; what still runs then is cut off. A second signal stops at once."""
    health_port: int = 0
    """A plain-HTTP port on ``host`` with ``GET /livez`` and ``GET /readyz`` (:mod:`ketenserver.health`)
    for a load balancer; 0 (the default) opens none. Whoever reaches it needs no certificate: it
    answers only ok/ready or why not, but bind it where only the load balancer can reach it."""
    max_request_bytes: int = 4 * 1024 * 1024
    """Requests larger than this are refused with fault 0101 before they are parsed."""
    large_request_bytes: int = 64 * 1024
    """A request body larger than this is a large one: it needs room in ``large_body_budget``."""
    large_body_budget: int = 16 * 1024 * 1024
    """Bytes of large request bodies the server reads and processes at once, shared evenly by its
    processes (each gets at least ``max_request_bytes``; a body counts with its Content-Length, a
    chunked one with ``max_request_bytes``). A large request that
    does not fit when its head arrives is refused at once, unread, with fault 0051 (HTTP 503: retry
    later); this bounds the memory that concurrent large messages take."""
    large_request_threads: int = 2
    """Threads that answer large requests (over ``large_request_bytes``), shared by the server's
    processes (at least one each), besides the ``threads`` that answer the others: small requests
    never queue behind large ones. Processing a
    3 MB message takes some 25 MB and much CPU; admitted large requests wait for a turn here."""
    journal_body_cap: int = 256 * 1024
    """Raw request/response bytes kept per journal entry; the cap is recorded with the entry."""
    journal_retention_days: int = 30
    """Serving processes remove journal entries older than this many days (they hold the raw
    messages, personal data included); 0 keeps them forever."""
    log_format: str = "json"
    """How serving processes log: ``json`` (one object per line) or ``text``; both mask personal data
    (:mod:`ketenserver.logs`)."""
    timestamp_max_age: int = 300
    """Seconds a wsu:Timestamp Created may lie in the past (WB002)."""
    timestamp_max_skew: int = 60
    """Seconds a wsu:Timestamp Created may lie in the future (clock skew)."""
    seed_companies: int = 3000
    """Companies the sandbox seeds."""
    log_level: str = "INFO"
    sections: Mapping[str, Any] = field(default_factory=dict)
    """Each feature's own settings by section name (``[ketenserver.<section>]``); :meth:`of` reads one."""

    def of(self, kind: type[T]) -> T:
        """A feature's settings (a frozen dataclass with a ``SECTION`` name): as loaded, else its defaults."""
        found = self.sections.get(kind.SECTION)  # type: ignore[attr-defined]
        return found if isinstance(found, kind) else kind()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ketenserver.sqlite3').resolve()}"

    @property
    def server_cert_path(self) -> Path:
        return self.server_cert or self.pki_dir / "DEV-ONLY-server-localhost.chain.pem"

    @property
    def server_key_path(self) -> Path:
        return self.server_key or self.pki_dir / "DEV-ONLY-server-localhost.key.pem"

    @property
    def trust_bundle_path(self) -> Path:
        return self.trust_bundle or self.pki_dir / "DEV-ONLY-trust-bundle.pem"

    @property
    def crl_paths(self) -> tuple[Path, ...]:
        if self.crl_files or self.crl_urls:  # configured CRLs replace the development PKI's
            return self.crl_files
        return (self.pki_dir / "DEV-ONLY-private-services-ca.crl.pem",)

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else (os.cpu_count() or 1)


def _coerce(kind: type, name: str, raw: Any) -> Any:
    text = str({f.name: f.type for f in fields(kind)}[name])
    if isinstance(raw, str):
        if "tuple[str" in text:  # addresses hold colons: separated by white space instead
            return tuple(raw.split())
        if "tuple" in text:
            return tuple(Path(p) for p in raw.split(os.pathsep) if p)
        if "Path" in text:
            return Path(raw)
        if text == "int":
            return int(raw)
        if text == "float":
            return float(raw)
    if "tuple" in text and isinstance(raw, list):
        return tuple(str(p) for p in raw) if "tuple[str" in text else tuple(Path(p) for p in raw)
    if "Path" in text and isinstance(raw, str):
        return Path(raw)
    return raw


def _values(kind: type, table: Mapping[str, Any], environ: Mapping[str, str], prefix: str, where: str
            ) -> dict[str, Any]:
    names = {f.name for f in fields(kind) if f.name != "sections"}
    unknown = set(table) - names
    if unknown:
        raise ValueError(f"unknown setting(s) in {where}: {', '.join(sorted(unknown))}")
    values = {k: _coerce(kind, k, v) for k, v in table.items()}
    for name in names:
        if prefix + name.upper() in environ:
            values[name] = _coerce(kind, name, environ[prefix + name.upper()])
    return values


def load_settings(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None, *,
    sections: Sequence[type] | None = None, **overrides: Any,
) -> Settings:
    """Defaults, then the TOML file, then the environment, then explicit overrides.

    ``sections`` are the features' settings classes (by default those of every registered feature);
    a ``[ketenserver.<section>]`` table or variable of another section is refused as unknown."""
    if sections is None:
        from ketenserver.features import FEATURES

        sections = tuple(feature.settings for feature in FEATURES if feature.settings is not None)
    environ = os.environ if environ is None else environ
    config_file = config_file or (Path(environ[ENV_PREFIX + "CONFIG"]) if ENV_PREFIX + "CONFIG" in environ else None)
    data: dict[str, Any] = {}
    if config_file is not None:
        with config_file.open("rb") as handle:
            data = tomllib.load(handle)
        data = data.get("ketenserver", data)
    by_section = {kind.SECTION: kind for kind in sections}  # type: ignore[attr-defined]
    tables = {name: value for name, value in data.items() if isinstance(value, dict)}
    unknown = set(tables) - set(by_section)
    if unknown:
        raise ValueError(f"unknown section(s) in {config_file}: {', '.join(sorted(unknown))}")
    own = {name: value for name, value in data.items() if name not in tables}
    values = _values(Settings, own, environ, ENV_PREFIX, str(config_file))
    values.update({k: v for k, v in overrides.items() if v is not None})
    loaded = {
        name: kind(**_values(kind, tables.get(name, {}), environ, f"{ENV_PREFIX}{name.upper()}_",
                             f"[ketenserver.{name}] of {config_file}"))
        for name, kind in by_section.items()
    }
    return replace(Settings(), sections=loaded, **values)
