"""Trust decisions about X.509 certificates: WS-Security tokens and TLS peers.

A certificate arriving in a ``wsse:BinarySecurityToken`` (or presented in a TLS handshake) is
accepted only when all of these hold, checked in this order so that the refusal names the
first real problem:

1. the validity dates include the verification time (WT004)      -> ``expired``/``not-yet-valid``
2. it chains to a trusted root through the configured CAs,
   under RFC 5280 / web-PKI rules with clientAuth usage          -> ``unknown-issuer``/``bad-usage``
3. a current, correctly signed CRL of its issuer exists
   and does not list it (WT004)                                  -> ``crl-missing``/``crl-stale``/
                                                                    ``revoked``
4. it carries an OIN in the subject's serialNumber (PKI001)      -> ``no-oin``

Only the leaf is checked against a CRL, like OpenSSL's ``VERIFY_CRL_CHECK_LEAF`` on the TLS
side, so both paths reach the same verdict; :mod:`ketencore.crls` keeps the CRLs of both
current (:meth:`TrustStore.replace_crls`, a new :func:`server_ssl_context`). Whether the OIN may
do what it asks is not decided here: that is the registry's job (an intermediary may sign for a
school).
"""

from __future__ import annotations

import datetime as dt
import ssl
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPublicKeyTypes,
    CertificatePublicKeyTypes,
)
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

__all__ = [
    "InvalidCrl",
    "Reason",
    "TrustStore",
    "UntrustedCertificate",
    "client_ssl_context",
    "oin_of",
    "parse_crl",
    "server_ssl_context",
]

Reason = Literal[
    "expired",
    "not-yet-valid",
    "revoked",
    "unknown-issuer",
    "no-oin",
    "bad-usage",
    "crl-stale",
    "crl-missing",
]

_MIN_RSA_BITS = 2048  # NCSC / PKIoverheid minimum
_MAX_PATH = 8  # a loop guard for the diagnostic path walk; real chains have 2-4 links
_CRL_FUTURE_SKEW = dt.timedelta(minutes=5)  # a CA clock a little ahead is not a forged CRL


class UntrustedCertificate(Exception):
    """A certificate was refused; ``reason`` is a stable code, the message is for humans.

    The message never contains library text, so it may be shown to the peer in a fault.
    """

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.message = message


class InvalidCrl(ValueError):
    """A CRL that must not be installed (forged, expired, a delta CRL, ...); the message says why."""


def oin_of(cert: x509.Certificate) -> str | None:
    """The OIN in the subject's serialNumber attribute (PKI001), or None when absent or empty.

    The format is not checked: PKI-Onderwijs certificates may carry an HRN in the same field,
    and the registry decides which identifiers it knows.
    """
    attributes = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if not attributes:
        return None
    value = attributes[0].value
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return text.strip() or None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _is_issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _describe(cert: x509.Certificate) -> str:
    oin = oin_of(cert)
    return f"certificate of OIN {oin}" if oin else "certificate"


@dataclass(frozen=True)
class _CacheEntry:
    oin: str
    stored_at: dt.datetime


class TrustStore:
    """Trusted roots, intermediate CAs and CRLs, with a short-lived cache of accepted certs.

    The same certificate arrives with every request, so an accepted one is remembered for
    ``cache_ttl`` seconds (keyed on its SHA-256 fingerprint). Dates are re-checked on every
    hit, so a cached certificate stops being accepted the moment it expires. Refusals are not
    cached: they are rare, and a fresh CRL may be configured between attempts.
    """

    def __init__(
        self,
        roots: Sequence[x509.Certificate],
        intermediates: Sequence[x509.Certificate] = (),
        crls: Sequence[x509.CertificateRevocationList] = (),
        *,
        cache_ttl: float = 60.0,
        cache_size: int = 1024,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        if not roots:
            raise ValueError("a trust store needs at least one trusted root certificate")
        self._roots = list(roots)
        self._intermediates = list(intermediates)
        self._crls = list(crls)
        self._store = Store(self._roots)
        # Identity comes from the subject serialNumber, not from a SAN, and PKIoverheid and
        # PKI-Onderwijs organisation certificates do not all carry one; cryptography's default
        # end-entity policy would demand it. Every other web-PKI rule stays in force.
        self._ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
            x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
        )
        self._ttl = dt.timedelta(seconds=cache_ttl)
        self._cache_size = cache_size
        self._clock = clock
        self._cache: dict[bytes, _CacheEntry] = {}
        self._lock = threading.Lock()  # one store serves every request thread
        self._crl_generation = 0  # bumped by replace_crls: a verdict from older CRLs is not cached

    def holds(self, cert: x509.Certificate) -> bool:
        """Whether this exact certificate is one of the store's roots or intermediates."""
        return cert in self._roots or cert in self._intermediates

    @property
    def crls(self) -> tuple[x509.CertificateRevocationList, ...]:
        return tuple(self._crls)

    def replace_crls(self, crls: Sequence[x509.CertificateRevocationList]) -> None:
        """Check revocation against these CRLs from now on (a refresh; see :mod:`ketencore.crls`).

        The cache of accepted certificates is emptied, so a certificate the new CRLs list is
        refused at its next use rather than when its cache entry would have expired.
        """
        with self._lock:
            self._crls = list(crls)
            self._crl_generation += 1
            self._cache.clear()

    def check_crl(self, crl: x509.CertificateRevocationList, *, at: dt.datetime | None = None) -> None:
        """Raise :class:`InvalidCrl` unless a CA of this store signed ``crl`` and it is current.

        Current: issued (last update) not in the future, its next update not passed. Only
        complete CRLs count; a delta CRL would un-revoke everything it does not repeat.
        """
        when = at or self._clock()
        issuer = crl.issuer.rfc4514_string()
        if any(isinstance(e.value, x509.DeltaCRLIndicator) for e in crl.extensions):
            raise InvalidCrl(f"the CRL of {issuer} is a delta CRL; only complete CRLs are installed")
        authority = next((ca for ca in (*self._roots, *self._intermediates)
                          if ca.subject == crl.issuer and _crl_signed_by(crl, ca.public_key())), None)
        if authority is None:
            raise InvalidCrl(f"the CRL naming {issuer} is not signed by a CA of the trust bundle")
        try:
            if not authority.extensions.get_extension_for_class(x509.KeyUsage).value.crl_sign:
                raise InvalidCrl(f"the CA {issuer} may not sign CRLs (key usage)")
        except x509.ExtensionNotFound:
            pass
        if crl.next_update_utc is None:
            raise InvalidCrl(f"the CRL of {issuer} has no next update (RFC 5280 5.1.2.5)")
        if crl.next_update_utc <= when:
            raise InvalidCrl(f"the CRL of {issuer} expired: its next update was "
                             f"{crl.next_update_utc:%Y-%m-%d %H:%M} UTC")
        if crl.last_update_utc > when + _CRL_FUTURE_SKEW:
            raise InvalidCrl(f"the CRL of {issuer} is dated in the future "
                             f"({crl.last_update_utc:%Y-%m-%d %H:%M} UTC)")

    @classmethod
    def from_files(
        cls,
        bundle: Path,
        crls: Sequence[Path],
        *,
        cache_ttl: float = 60.0,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> TrustStore:
        """Load a PEM bundle of roots (self-signed) and intermediates, plus PEM or DER CRLs."""
        certs = x509.load_pem_x509_certificates(Path(bundle).read_bytes())
        roots = [c for c in certs if _is_issued_by(c, c)]
        intermediates = [c for c in certs if not _is_issued_by(c, c)]
        loaded = [_load_crl(Path(path)) for path in crls]
        return cls(roots, intermediates, loaded, cache_ttl=cache_ttl, clock=clock)

    def verify(self, cert: x509.Certificate, *, at: dt.datetime | None = None) -> str:
        """Return the certificate's OIN, or raise :class:`UntrustedCertificate`.

        ``at`` verifies at another moment (naive means UTC) and bypasses the cache.
        """
        when = self._clock() if at is None else at
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        _check_dates(cert, when)  # cheap, and done on cache hits too
        key = cert.fingerprint(hashes.SHA256())
        if at is None:
            cached = self._cached(key, when)
            if cached is not None:
                return cached
        generation = self._crl_generation
        oin = self._verify_uncached(cert, when)
        if at is None:
            self._remember(key, oin, when, generation)
        return oin

    # ----------------------------------------------------------------------------- internals
    def _cached(self, key: bytes, now: dt.datetime) -> str | None:
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                return None
            # Both bounds: a wall clock set backwards must not stretch an entry's life.
            if entry.stored_at <= now < entry.stored_at + self._ttl:
                return entry.oin
            del self._cache[key]
            return None

    def _remember(self, key: bytes, oin: str, now: dt.datetime, generation: int | None = None) -> None:
        with self._lock:
            if generation is not None and generation != self._crl_generation:
                return  # verified against CRLs that were replaced meanwhile
            self._cache.pop(key, None)
            while len(self._cache) >= self._cache_size:
                del self._cache[next(iter(self._cache))]  # oldest insertion first
            self._cache[key] = _CacheEntry(oin, now)

    def _verify_uncached(self, cert: x509.Certificate, when: dt.datetime) -> str:
        issuer = self._verify_chain(cert, when)
        self._check_revocation(cert, issuer, when)
        oin = oin_of(cert)
        if oin is None:
            raise UntrustedCertificate(
                "no-oin", "the certificate carries no OIN in the subject serialNumber (PKI001)"
            )
        public_key = cert.public_key()
        if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size < _MIN_RSA_BITS:
            raise UntrustedCertificate(
                "bad-usage",
                f"the {_describe(cert)} has an RSA key of {public_key.key_size} bits; "
                f"at least {_MIN_RSA_BITS} are required",
            )
        return oin

    def _verify_chain(self, cert: x509.Certificate, when: dt.datetime) -> x509.Certificate:
        """Verify the chain and return the leaf's issuer."""
        verifier = (
            PolicyBuilder()
            .store(self._store)
            .time(when)
            .extension_policies(
                ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=self._ee_policy
            )
            .build_client_verifier()
        )
        try:
            chain = verifier.verify(cert, self._intermediates).chain
        except VerificationError:
            raise self._explain_chain_failure(cert, when) from None
        if len(chain) < 2:  # a trusted root presented as a leaf
            raise UntrustedCertificate("bad-usage", "a CA certificate cannot identify a party")
        return chain[1]

    def _explain_chain_failure(
        self, cert: x509.Certificate, when: dt.datetime
    ) -> UntrustedCertificate:
        """Name the reason for a refusal without parsing the verifier's message.

        Walk the issuer path by name and signature alone: no path means an unknown issuer;
        an expired CA on the path means expired; otherwise the certificates are there but
        break a profile rule (key usage, EKU without clientAuth, missing extensions).
        """
        path = self._issuer_path(cert)
        if path is None:
            return UntrustedCertificate(
                "unknown-issuer",
                f"the {_describe(cert)} was not issued by a trusted certificate authority",
            )
        for ca in path:
            try:
                _check_dates(ca, when)
            except UntrustedCertificate as exc:
                return UntrustedCertificate(exc.reason, "a CA certificate in the chain " + (
                    "expired" if exc.reason == "expired" else "is not yet valid"))
        return UntrustedCertificate(
            "bad-usage",
            f"the {_describe(cert)} is not fit for client authentication or signing "
            "(key usage, extended key usage or required extensions)",
        )

    def _issuer_path(self, cert: x509.Certificate) -> list[x509.Certificate] | None:
        path: list[x509.Certificate] = []
        current = cert
        for _ in range(_MAX_PATH):
            root = next((r for r in self._roots if _is_issued_by(current, r)), None)
            if root is not None:
                return [*path, root]
            step = next(
                (
                    c
                    for c in self._intermediates
                    if c not in path and c != current and _is_issued_by(current, c)
                ),
                None,
            )
            if step is None:
                return None
            path.append(step)
            current = step
        return None

    def _check_revocation(
        self, cert: x509.Certificate, issuer: x509.Certificate, when: dt.datetime
    ) -> None:
        issuer_key = issuer.public_key()
        # Only a CRL signed by the issuer itself counts: anyone can write a CRL with the right
        # issuer name, so a forged one must neither revoke nor clear anything.
        usable = [
            crl
            for crl in self._crls
            if crl.issuer == issuer.subject and _crl_signed_by(crl, issuer_key)
        ]
        if not usable:
            raise UntrustedCertificate(
                "crl-missing",
                "no revocation list of the issuing CA is available, so revocation cannot be "
                "checked (WT004)",
            )
        current = [crl for crl in usable if crl.next_update_utc and when <= crl.next_update_utc]
        if not current:
            raise UntrustedCertificate(
                "crl-stale",
                "the revocation list of the issuing CA is past its next update, so revocation "
                "cannot be checked (WT004)",
            )
        for crl in current:
            # Listed means refused, whatever the revocation date: a key compromise is often
            # found after the fact.
            if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
                raise UntrustedCertificate("revoked", f"the {_describe(cert)} has been revoked")


def _crl_signed_by(crl: x509.CertificateRevocationList, key: CertificatePublicKeyTypes) -> bool:
    try:
        return crl.is_signature_valid(cast(CertificateIssuerPublicKeyTypes, key))
    except (TypeError, ValueError):  # key type that cannot sign CRLs
        return False


def _check_dates(cert: x509.Certificate, when: dt.datetime) -> None:
    if when > cert.not_valid_after_utc:
        raise UntrustedCertificate(
            "expired",
            f"the {_describe(cert)} expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC",
        )
    if when < cert.not_valid_before_utc:
        raise UntrustedCertificate(
            "not-yet-valid",
            f"the {_describe(cert)} is not valid before "
            f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC",
        )


def _load_crl(path: Path) -> x509.CertificateRevocationList:
    return parse_crl(path.read_bytes())


def parse_crl(data: bytes) -> x509.CertificateRevocationList:
    """A CRL in PEM or DER; ``ValueError`` when it is neither."""
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_crl(data)
    return x509.load_der_x509_crl(data)


# -------------------------------------------------------------------------------------- TLS
def server_ssl_context(
    *,
    cert: Path,
    key: Path,
    client_trust_bundle: Path,
    crls: Sequence[Path | x509.CertificateRevocationList],
) -> ssl.SSLContext:
    """TLS server context for two-way TLS: TLS 1.2+ (WT001), client certificate required.

    ``cert`` may be a chain file (leaf first). ``crls`` are files (PEM or DER) or loaded CRLs;
    with ``VERIFY_CRL_CHECK_LEAF`` OpenSSL refuses any client whose issuer has no CRL loaded, so
    at least one CRL is required here rather than every handshake failing later. The context
    holds the CRLs it was built with: a refresh builds a new one.
    """
    if not crls:
        raise ValueError("mutual TLS needs the CRL of every client-issuing CA (WT004); none given")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _harden(context)
    context.load_cert_chain(certfile=str(cert), keyfile=str(key))
    context.load_verify_locations(cafile=str(client_trust_bundle))
    _load_crls(context, [c if isinstance(c, x509.CertificateRevocationList) else _load_crl(Path(c))
                         for c in crls])
    context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_ssl_context(
    *,
    trust_bundle: Path,
    cert: Path | None = None,
    key: Path | None = None,
    crls: Sequence[Path] = (),
) -> ssl.SSLContext:
    """TLS client context: TLS 1.2+, server certificate and host name verified.

    ``cert`` (optionally with ``key``; without it the key must be in the cert file) is the
    client certificate for two-way TLS. With ``crls`` the server's certificate is also checked
    for revocation.
    """
    if key is not None and cert is None:
        raise ValueError("a client key was given without its certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED + check_hostname
    _harden(context)
    context.load_verify_locations(cafile=str(trust_bundle))
    for crl in crls:
        context.load_verify_locations(cafile=str(crl))
    if crls:
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    if cert is not None:
        context.load_cert_chain(certfile=str(cert), keyfile=None if key is None else str(key))
    return context


def _load_crls(context: ssl.SSLContext, crls: Sequence[x509.CertificateRevocationList]) -> None:
    # The ssl module loads CRLs only from a PEM file (cadata takes certificates alone).
    with tempfile.TemporaryDirectory(prefix="ketenserver-crls-") as folder:
        path = Path(folder) / "crls.pem"
        path.write_bytes(b"".join(crl.public_bytes(serialization.Encoding.PEM) for crl in crls))
        context.load_verify_locations(cafile=str(path))


def _harden(context: ssl.SSLContext) -> None:
    # No fallback below TLS 1.2 (WT001). Python's default cipher list already keeps only
    # forward-secret AEAD suites at security level 2, so it is not narrowed further here.
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    # RFC 5280 strictness, as Python 3.13's defaults do; the dev PKI is built to pass it.
    context.verify_flags |= ssl.VERIFY_X509_STRICT
