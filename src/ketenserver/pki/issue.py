"""Keys, certificates and the CRL of the development PKI, strict RFC 5280, in memory only.

Nothing here touches a file: :mod:`ketenserver.pki.layout` writes what these functions make.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from ketenserver.pki.names import IDENTIFIER_URNS, _name

# PKIoverheid requires RSA 2048 at least (4096 for the roots and CAs); 2048 everywhere keeps the
# whole generation well under a few seconds, which matters because test sessions create it.
_KEY_BITS = 2048
_CA_VALIDITY = dt.timedelta(days=3650)
_LEAF_VALIDITY = dt.timedelta(days=730)
# Backdating tolerates a peer whose clock runs a little behind ours.
_BACKDATE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class _Issuer:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=not ca,  # RSA key transport (2W-be-SE) and RSA TLS key exchange
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _aki(issuer: _Issuer) -> x509.AuthorityKeyIdentifier:
    ski = issuer.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _certificate(
    issuer: _Issuer | None,
    subject: x509.Name,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    extensions: Iterable[tuple[x509.ExtensionType, bool]],
) -> _Issuer:
    """A new key and its certificate; self-signed when ``issuer`` is None."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        # A certificate must not outlive its CA: RFC 5280 allows it, many relying parties don't.
        .not_valid_after(min(not_after, issuer.cert.not_valid_after_utc) if issuer else not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:  # required on every non-root by cryptography's verifier
        builder = builder.add_extension(_aki(issuer), critical=False)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return _Issuer(builder.sign(issuer.key if issuer else key, hashes.SHA256()), key)


def _ca(cn: str, *, issuer: _Issuer | None, path_length: int | None) -> _Issuer:
    now = _now()
    return _certificate(
        issuer, _name(cn, "DEV-ONLY ketenserver"),
        not_before=now - _BACKDATE, not_after=now + _CA_VALIDITY,
        extensions=[
            (x509.BasicConstraints(ca=True, path_length=path_length), True),
            (_key_usage(ca=True), True),
        ],
    )


def _leaf(
    issuer: _Issuer,
    subject: x509.Name,
    sans: list[x509.GeneralName],
    usages: list[x509.ObjectIdentifier],
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> _Issuer:
    return _certificate(
        issuer, subject, not_before=not_before, not_after=not_after,
        extensions=[
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_key_usage(ca=False), True),
            (x509.ExtendedKeyUsage(usages), False),
            (x509.SubjectAlternativeName(sans), False),
        ],
    )


def _client_leaf(
    issuer: _Issuer, oin: str, name: str, *, not_before: dt.datetime, not_after: dt.datetime,
    endpoint: bool = False, country: str = "NL",
) -> _Issuer:
    """A client certificate naming ``oin`` (for ``country="BE"`` a KBO number) in serialNumber."""
    # cryptography's default end-entity policy demands a SAN even for client certificates; a
    # URN naming the identifier satisfies it and shows it to tools that only read SANs.
    san: list[x509.GeneralName] = [x509.UniformResourceIdentifier(f"{IDENTIFIER_URNS[country]}{oin}")]
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH]
    if endpoint:
        # A demo organisation also serves SOAP itself (a school's mutation receiver), on this
        # machine: like a PKIoverheid services certificate, one certificate for both roles.
        san += _LOCALHOST
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    return _leaf(
        issuer, _name(name, name, oin, country=country), san, usages,
        not_before=not_before, not_after=not_after,
    )


_LOCALHOST: tuple[x509.GeneralName, ...] = (
    x509.DNSName("localhost"),
    x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
    x509.IPAddress(ipaddress.IPv6Address("::1")),
)


def _crl(issuer: _Issuer, revoked: Iterable[x509.Certificate]) -> x509.CertificateRevocationList:
    now = _now()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now - _BACKDATE)
        .next_update(now + dt.timedelta(days=365))
        .add_extension(_aki(issuer), critical=False)
        .add_extension(x509.CRLNumber(1), critical=False)  # RFC 5280 5.2.3: required
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now - _BACKDATE)
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
    return builder.sign(issuer.key, hashes.SHA256())

