"""``ketenserver certs check``: the state of every configured certificate and CRL, ahead of trouble.

Reports, per certificate file, its subject, OIN, expiry and whether the trust store accepts it
(expired, revoked, unknown issuer, ...), and per CRL when it must be renewed. Anything that
expires within ``warn_days`` is flagged, so a tester renews it before a run fails on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from ketencore.trust import TrustStore, UntrustedCertificate, oin_of, parse_crl


@dataclass(frozen=True)
class State:
    path: Path
    subject: str
    oin: str | None
    expires: dt.datetime
    verdict: str
    """ok, expires-soon, expired, ca-not-trusted, or the trust store's reason (revoked, unknown-issuer, ...)."""

    @property
    def healthy(self) -> bool:
        return self.verdict == "ok"


def _first_certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificates(path.read_bytes())[0]


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def inspect_certificates(store: TrustStore, paths: Iterable[Path], *, now: dt.datetime, warn_days: int
                         ) -> list[State]:
    states = []
    for path in paths:
        certificate = _first_certificate(path)
        expires = certificate.not_valid_after_utc
        if expires <= now:
            verdict = "expired"
        elif _is_ca(certificate):
            verdict = "ok" if store.holds(certificate) else "ca-not-trusted"
        else:
            try:
                store.verify(certificate, at=now)
                verdict = "ok"
            except UntrustedCertificate as error:
                verdict = error.reason
        if verdict == "ok" and expires - now < dt.timedelta(days=warn_days):
            verdict = "expires-soon"
        states.append(State(path, certificate.subject.rfc4514_string(), oin_of(certificate), expires, verdict))
    return states


def inspect_crls(paths: Sequence[Path], *, now: dt.datetime, warn_days: int) -> list[State]:
    states = []
    for path in paths:
        crl = parse_crl(path.read_bytes())  # PEM or DER, as the server reads them
        next_update = crl.next_update_utc or now
        verdict = ("expired" if next_update <= now else
                   "expires-soon" if next_update - now < dt.timedelta(days=warn_days) else "ok")
        states.append(State(path, f"CRL of {crl.issuer.rfc4514_string()}", None, next_update, verdict))
    return states


def report(states: Iterable[State], now: dt.datetime) -> str:
    lines = [f"{'verdict':<15} {'expires':<11} {'days':>5}  {'OIN':<20}  file"]
    for state in states:
        days = (state.expires - now).days
        lines.append(f"{state.verdict:<15} {state.expires:%Y-%m-%d} {days:>5}  {state.oin or '-':<20}  "
                     f"{state.path.name}")
    return "\n".join(lines)
