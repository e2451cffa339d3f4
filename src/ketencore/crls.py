"""Certificate revocation lists: read from files or fetched from URLs, checked, refreshed.

A serving process holds one installed CRL per issuing CA. :class:`CrlRefresher` reads the
configured files and fetches the configured URLs at start-up and then every
``crl_refresh_interval`` seconds. A CRL is installed only when

1. a CA of the trust bundle signed it, and it is current (:meth:`TrustStore.check_crl`), and
2. it is not older than the one installed for the same CA (CRL number, then last update), so
   an old CRL served again cannot un-revoke a certificate.

A CRL that fails is not installed: the previous one of its CA stays, and a warning names the
source and the reason. When the installed set changes, the trust store's CRLs are swapped
(message signatures; its cache of accepted certificates is emptied) and ``on_change`` receives
the new set: the TLS server builds a new context from it, so the next handshake uses it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ketencore.trust import InvalidCrl, TrustStore, parse_crl

__all__ = ["MAX_CRL_BYTES", "CrlRefresh", "CrlRefresher", "CrlUnavailable", "fetch_crl"]

log = logging.getLogger(__name__)

MAX_CRL_BYTES = 32 * 1024 * 1024
"""The largest CRL fetched; PKIoverheid's largest CRLs are a few megabytes."""
FETCH_TIMEOUT = 10.0
"""Seconds to connect, per read, and for the whole download of one CRL."""

CRL = x509.CertificateRevocationList


class CrlUnavailable(OSError):
    """A CRL could not be fetched (address, HTTP status, size, time); the message says why."""


def fetch_crl(url: str, *, timeout: float = FETCH_TIMEOUT, max_bytes: int = MAX_CRL_BYTES) -> bytes:
    """Download a CRL (PEM or DER) over http(s), at most ``max_bytes`` and ``timeout`` seconds.

    Proxies and CA bundles from the environment are ignored (``trust_env`` off), as everywhere in
    ketenserver: a CRL is authenticated by its signature, not by the connection.
    """
    if urlsplit(url).scheme not in ("http", "https"):
        raise CrlUnavailable(f"{url} is not an http(s) address")
    deadline = time.monotonic() + timeout
    with requests.Session() as session:
        session.trust_env = False
        session.max_redirects = 3
        try:
            with session.get(url, timeout=timeout, stream=True) as response:
                if response.status_code != 200:
                    raise CrlUnavailable(f"{url} answered HTTP {response.status_code}")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise CrlUnavailable(f"{url} announces {declared} bytes; the limit is {max_bytes}")
                data = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    data += chunk
                    if len(data) > max_bytes:
                        raise CrlUnavailable(f"{url} sent more than {max_bytes} bytes")
                    if time.monotonic() > deadline:
                        raise CrlUnavailable(f"{url} did not deliver the CRL within {timeout:g} s")
        except requests.RequestException as error:
            raise CrlUnavailable(f"{url} could not be fetched ({type(error).__name__})") from error
    return bytes(data)


@dataclass(frozen=True)
class CrlRefresh:
    """What one pass of :meth:`CrlRefresher.refresh_once` did."""

    installed: tuple[str, ...] = ()
    """Sources (file path or URL) whose CRL was installed: new, or newer than the one before."""
    refused: tuple[tuple[str, str], ...] = ()
    """``(source, reason)`` of every CRL that was not installed; its CA kept the previous one."""

    @property
    def changed(self) -> bool:
        return bool(self.installed)


def _age(crl: CRL) -> tuple[int, dt.datetime]:
    try:
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        number = -1
    return number, crl.last_update_utc


class CrlRefresher:
    """Keeps the CRLs of ``store`` (and, through ``on_change``, of the TLS server) up to date.

    ``refresh_once`` is safe to call from several threads (one pass runs at a time); a serving
    process calls it at start-up and then on a :class:`ketenserver.background.BackgroundRunner`.
    """

    def __init__(
        self,
        store: TrustStore,
        *,
        files: Sequence[Path] = (),
        urls: Sequence[str] = (),
        fetch: Callable[[str], bytes] = fetch_crl,
        on_change: Callable[[tuple[CRL, ...]], None] | None = None,
    ) -> None:
        self._store = store
        self._files = tuple(Path(f) for f in files)
        self._urls = tuple(urls)
        self._fetch = fetch
        self._on_change = on_change
        self._installed: dict[bytes, CRL] = {}  # by the DER issuer name
        self._lock = threading.Lock()

    @property
    def crls(self) -> tuple[CRL, ...]:
        """The installed CRLs, one per CA."""
        return tuple(self._installed.values())

    def revokes(self, cert: x509.Certificate) -> bool:
        """Whether an installed CRL of the certificate's issuer lists it."""
        crl = self._installed.get(cert.issuer.public_bytes())
        return crl is not None and crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None

    def refresh_once(self) -> CrlRefresh:
        """Read every source once; install what is valid and newer; report the rest."""
        with self._lock:
            installed: list[str] = []
            refused: list[tuple[str, str]] = []
            for source, read in self._sources():
                try:
                    if self._consider(parse_crl(read())):
                        installed.append(source)
                except (OSError, ValueError) as error:  # InvalidCrl, CrlUnavailable, unparsable
                    reason = str(error) if isinstance(error, InvalidCrl | CrlUnavailable) else (
                        f"{type(error).__name__}: {error}")
                    refused.append((source, reason))
                    log.warning("CRL from %s not installed, the previous one stays: %s", source, reason)
            if installed:
                crls = self.crls
                self._store.replace_crls(crls)
                log.info("CRLs installed from %s", ", ".join(installed))
                if self._on_change is not None:
                    self._on_change(crls)
            return CrlRefresh(tuple(installed), tuple(refused))

    def _sources(self) -> Iterator[tuple[str, Callable[[], bytes]]]:
        for path in self._files:
            yield str(path), path.read_bytes
        for url in self._urls:
            yield url, partial(self._fetch, url)

    def _consider(self, crl: CRL) -> bool:
        """Install ``crl`` when it is valid and newer than its CA's; False when it is the same."""
        self._store.check_crl(crl)
        key = crl.issuer.public_bytes()
        current = self._installed.get(key)
        if current is not None:
            if current.public_bytes(serialization.Encoding.DER) == crl.public_bytes(serialization.Encoding.DER):
                return False
            if _age(crl) < _age(current):
                raise InvalidCrl(f"the CRL of {crl.issuer.rfc4514_string()} (number {_age(crl)[0]}) is older "
                                 f"than the installed one (number {_age(current)[0]})")
        self._installed[key] = crl
        return True
