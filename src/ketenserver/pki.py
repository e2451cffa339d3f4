"""Development PKI that imitates the PKIoverheid hierarchy (development and tests only).

Production Digikoppeling certificates chain up to the *Staat der Nederlanden Private Root CA*
through a "Private Services CA" and carry the organisation's OIN in the subject's serialNumber
attribute (PKI001). This module builds the same shape with :mod:`cryptography` alone, so tests
and a local server can run mutual TLS and WS-Security without any real certificate:

    DEV-ONLY Staat der Nederlanden Private Root CA - G1                    (self-signed root)
      └── DEV-ONLY Private Services CA - G1 (ketenserver)                  (pathlen 0, CRL issuer)
            ├── localhost server certificate (ketenserver's own test OIN)
            ├── one client certificate per demo party (schools, a hosting vendor)
            └── test certificates: expired, revoked, rogue (unregistered OIN)
    DEV-ONLY Foreign Root CA (ketenserver, NOT trusted)                     (self-signed)
      └── test-foreign: claims school 25LX's OIN

Every file name starts with ``DEV-ONLY-`` and every private key is written *unencrypted* on
purpose (tests and a dev server must start without a passphrase); that is exactly why none of
this may ever be used outside development. The certificates are strict RFC 5280 so that
:mod:`cryptography.x509.verification` (a web-PKI-strict verifier) and OpenSSL both accept them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "DEMO_PARTIES", "SERVER_OIN", "TEST_PARTIES", "DevPki", "Party", "PartyFiles", "init_dev_pki",
    "issue_test_certificate", "kvk_oin", "school_oin", "validate_oin",
]

PREFIX = "DEV-ONLY-"
SERVER_OIN = "00000099000000000001"
"""ketenserver's own OIN: a test OIN (prefix 00000099), never a real organisation."""

# X.520 caps a commonName at 64 characters, so the root's "(ketenserver)" marker lives in O.
ROOT_CN = "DEV-ONLY Staat der Nederlanden Private Root CA - G1"
INTERMEDIATE_CN = "DEV-ONLY Private Services CA - G1 (ketenserver)"
FOREIGN_ROOT_CN = "DEV-ONLY Foreign Root CA (ketenserver, NOT trusted)"

# PKIoverheid requires RSA 2048 at least (4096 for the roots and CAs); 2048 everywhere keeps the
# whole generation well under a few seconds, which matters because test sessions create it.
_KEY_BITS = 2048
_CA_VALIDITY = dt.timedelta(days=3650)
_LEAF_VALIDITY = dt.timedelta(days=730)
# Backdating tolerates a peer whose clock runs a little behind ours.
_BACKDATE = dt.timedelta(hours=1)

_OIN_RE = re.compile(r"[0-9]{8}[0-9A-Z]{12}")
_BRIN_RE = re.compile(r"[0-9A-Z]{4}")
_KVK_RE = re.compile(r"[0-9]{8}")


# --------------------------------------------------------------------------------------- OINs
def school_oin(brin: str) -> str:
    """OIN of a school: ``00000007000`` + BRIN (4 characters, upper case) + ``00000``."""
    code = brin.strip().upper()
    if not _BRIN_RE.fullmatch(code):
        raise ValueError(f"a BRIN code has 4 letters or digits, got {brin!r}")
    return f"00000007000{code}00000"


def kvk_oin(kvk: str) -> str:
    """OIN derived from a KvK number: ``00000003`` + 8-digit KvK number + ``0000``."""
    number = kvk.strip()
    if not _KVK_RE.fullmatch(number):
        raise ValueError(f"a KvK number has exactly 8 digits, got {kvk!r}")
    return f"00000003{number}0000"


def validate_oin(oin: str) -> str:
    """Return ``oin`` if it is 20 characters (8 digits, then 12 digits or capitals), else raise."""
    if not _OIN_RE.fullmatch(oin):
        raise ValueError(
            f"an OIN is 20 characters: an 8-digit prefix followed by 12 digits or capital "
            f"letters (e.g. 0000000700025LX00000), got {oin!r}"
        )
    return oin


# ------------------------------------------------------------------------------------ parties
@dataclass(frozen=True)
class Party:
    """An organisation that owns a development certificate."""

    key: str
    """Short file key, e.g. ``school-25LX``; the files are ``DEV-ONLY-<key>.*``."""
    oin: str
    """OIN placed in the certificate subject's serialNumber."""
    name: str
    """Organisation name (subject O and CN)."""
    kind: str
    """``school``, ``vendor``, ``company`` or ``government``."""
    brin: str | None = None
    kvk: str | None = None


DEMO_PARTIES: tuple[Party, ...] = (
    Party("school-25LX", school_oin("25LX"), "ROC Demo Noord", "school", brin="25LX"),
    Party("school-30AB", school_oin("30AB"), "Demo College Zuid", "school", brin="30AB"),
    # An intermediary that hosts school software and may sign on behalf of the schools.
    Party("vendor-hosting", kvk_oin("12345678"), "Demo Hosting B.V.", "vendor", kvk="12345678"),
)
"""Parties with a valid certificate, meant to be registered in the demo data."""

TEST_PARTIES: tuple[Party, ...] = (
    Party("test-expired", school_oin("41EX"), "Verlopen School", "school", brin="41EX"),
    Party("test-revoked", school_oin("42RV"), "Ingetrokken School", "school", brin="42RV"),
    Party("test-rogue", "00000099000000000666", "Rogue Test Party", "company"),
    # Same OIN as school 25LX, but from a CA nobody trusts: an impersonation attempt.
    Party("test-foreign", school_oin("25LX"), "ROC Demo Noord", "school", brin="25LX"),
)
"""Parties whose certificates must be refused (or, for test-rogue, not authorised)."""

_ALL_PARTIES = {p.key: p for p in DEMO_PARTIES + TEST_PARTIES}
# In PartyFiles field order, with what each file is (for the README).
_PARTY_SUFFIXES = (".crt.pem", ".key.pem", ".chain.pem", ".p12")
_PARTY_FILE_KINDS = ("certificate", "private key", "certificate + issuing CA", "PKCS#12, no password")


@dataclass(frozen=True)
class PartyFiles:
    """The files of one party's certificate."""

    cert: Path
    """Leaf certificate (PEM)."""
    key: Path
    """Private key, PEM PKCS#8, unencrypted, mode 0600."""
    chain: Path
    """Leaf followed by its issuing CA (PEM): what a TLS client presents."""
    p12: Path
    """PKCS#12 with key, leaf and issuing CA, *without a password* (load with password None)."""
    oin: str
    name: str


@dataclass(frozen=True)
class DevPki:
    """Paths of a development PKI directory (see :func:`init_dev_pki`)."""

    directory: Path
    root_cert: Path
    root_key: Path
    intermediate_cert: Path
    intermediate_key: Path
    trust_bundle: Path
    """Root + intermediate: the trust anchor for both the server and its clients."""
    crl: Path
    """CRL of the intermediate; lists test-revoked."""
    server_cert: Path
    server_key: Path
    server_chain: Path
    """Server leaf + intermediate, for TLS servers that should send the full chain."""
    foreign_root_cert: Path

    @classmethod
    def in_directory(cls, directory: Path) -> DevPki:
        """The paths inside ``directory``, whether or not the files exist yet."""
        d = Path(directory)
        return cls(
            directory=d,
            root_cert=d / f"{PREFIX}root-ca.crt.pem",
            root_key=d / f"{PREFIX}root-ca.key.pem",
            intermediate_cert=d / f"{PREFIX}private-services-ca.crt.pem",
            intermediate_key=d / f"{PREFIX}private-services-ca.key.pem",
            trust_bundle=d / f"{PREFIX}trust-bundle.pem",
            crl=d / f"{PREFIX}private-services-ca.crl.pem",
            server_cert=d / f"{PREFIX}server-localhost.crt.pem",
            server_key=d / f"{PREFIX}server-localhost.key.pem",
            server_chain=d / f"{PREFIX}server-localhost.chain.pem",
            foreign_root_cert=d / f"{PREFIX}foreign-root-ca.crt.pem",
        )

    def party(self, key: str) -> PartyFiles:
        """Files of a demo party (``school-25LX``...) or test certificate (``test-expired``...)."""
        try:
            party = _ALL_PARTIES[key]
        except KeyError:
            known = ", ".join(sorted(_ALL_PARTIES))
            raise KeyError(f"no development certificate {key!r}; known: {known}") from None
        return _party_files(self.directory, key, party.oin, party.name)

    def all_files(self) -> list[Path]:
        """Every file :func:`init_dev_pki` writes, README last."""
        files = [
            self.root_cert, self.root_key, self.intermediate_cert, self.intermediate_key,
            self.trust_bundle, self.crl, self.server_cert, self.server_key, self.server_chain,
            self.foreign_root_cert,
        ]
        for key in _ALL_PARTIES:
            pf = self.party(key)
            files += [pf.cert, pf.key, pf.chain, pf.p12]
        return [*files, self.directory / "README.md"]

    def is_complete(self) -> bool:
        return all(path.is_file() for path in self.all_files())


def _party_files(directory: Path, key: str, oin: str, name: str) -> PartyFiles:
    cert, private_key, chain, p12 = (directory / f"{PREFIX}{key}{end}" for end in _PARTY_SUFFIXES)
    return PartyFiles(cert, private_key, chain, p12, oin, name)


# ------------------------------------------------------------------------------- certificates
@dataclass(frozen=True)
class _Issuer:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _name(cn: str, org: str, oin: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
    ]
    if oin is not None:
        # PKI001: the OIN rides in the subject serialNumber, as in PKIoverheid certificates.
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, oin))
    return x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, cn)])


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
    endpoint: bool = False,
) -> _Issuer:
    # cryptography's default end-entity policy demands a SAN even for client certificates; a
    # URN naming the OIN satisfies it and shows the identity to tools that only read SANs.
    san: list[x509.GeneralName] = [x509.UniformResourceIdentifier(f"urn:oin:{oin}")]
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH]
    if endpoint:
        # A demo organisation also serves SOAP itself (a school's mutation receiver), on this
        # machine: like a PKIoverheid services certificate, one certificate for both roles.
        san += _LOCALHOST
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    return _leaf(
        issuer, _name(name, name, oin), san, usages,
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


# ------------------------------------------------------------------------------------ writing
def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),  # on purpose: development only
    )


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    if not private:
        path.write_bytes(data)
        return
    # Create with 0600 from the start so the key is never readable by others, not even
    # briefly; chmod as well because O_CREAT's mode does not apply to an existing file.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def _write_party(files: PartyFiles, leaf: _Issuer, issuer: x509.Certificate) -> None:
    p12 = pkcs12.serialize_key_and_certificates(
        files.name.encode("utf-8"), leaf.key, leaf.cert, [issuer], serialization.NoEncryption()
    )
    _write(files.key, _key_pem(leaf.key), private=True)
    _write(files.cert, _pem(leaf.cert))
    _write(files.chain, _pem(leaf.cert) + _pem(issuer))
    _write(files.p12, p12, private=True)  # holds the private key too


def _write_issuer(cert_path: Path, key_path: Path, issuer: _Issuer) -> None:
    _write(cert_path, _pem(issuer.cert))
    _write(key_path, _key_pem(issuer.key), private=True)


def _load_issuer(cert_path: Path, key_path: Path) -> _Issuer:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError(f"{key_path} does not hold an RSA key")
    return _Issuer(cert, key)


# ---------------------------------------------------------------------------------- public API
def init_dev_pki(
    directory: Path,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DevPki:
    """Create the development PKI in ``directory`` unless it is already complete.

    Idempotent: when every file exists and ``force`` is False nothing is written. When any file
    is missing (or ``force`` is True) the whole PKI is generated again, because a partial set
    would mix certificates of different CAs. Not safe against two processes generating into the
    same directory at the same moment.
    """
    pki = DevPki.in_directory(directory)
    if pki.is_complete() and not force:
        return pki
    say = progress or (lambda _message: None)
    pki.directory.mkdir(parents=True, exist_ok=True)
    now = _now()
    start, end = now - _BACKDATE, now + _LEAF_VALIDITY

    say("root and intermediate CA")
    root = _ca(ROOT_CN, issuer=None, path_length=None)
    ca = _ca(INTERMEDIATE_CN, issuer=root, path_length=0)
    _write_issuer(pki.root_cert, pki.root_key, root)
    _write_issuer(pki.intermediate_cert, pki.intermediate_key, ca)
    _write(pki.trust_bundle, _pem(root.cert) + _pem(ca.cert))

    say("server certificate for localhost")
    localhost = list(_LOCALHOST)
    # clientAuth too: the server is a TLS client when it pushes callbacks.
    usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    server = _leaf(
        ca, _name("localhost", "ketenserver", SERVER_OIN), localhost, usages,
        not_before=start, not_after=end,
    )
    _write_issuer(pki.server_cert, pki.server_key, server)
    _write(pki.server_chain, _pem(server.cert) + _pem(ca.cert))

    revoked: list[x509.Certificate] = []
    for party in (*DEMO_PARTIES, *TEST_PARTIES):
        if party.key == "test-foreign":
            continue
        say(f"certificate {party.key} ({party.oin})")
        valid = (start, end)
        if party.key == "test-expired":
            valid = (now - dt.timedelta(days=366), now - dt.timedelta(days=1))
        leaf = _client_leaf(ca, party.oin, party.name, not_before=valid[0], not_after=valid[1],
                            endpoint=party in DEMO_PARTIES)
        _write_party(pki.party(party.key), leaf, ca.cert)
        if party.key == "test-revoked":
            revoked.append(leaf.cert)

    say("foreign root CA and test-foreign")
    foreign = _ca(FOREIGN_ROOT_CN, issuer=None, path_length=None)
    _write(pki.foreign_root_cert, _pem(foreign.cert))  # its key is thrown away: never needed
    files = pki.party("test-foreign")
    leaf = _client_leaf(foreign, files.oin, files.name, not_before=start, not_after=end)
    _write_party(files, leaf, foreign.cert)

    say("CRL")
    _write(pki.crl, _crl(ca, revoked).public_bytes(serialization.Encoding.PEM))
    # README last: together with the rest it completes the set that is_complete() checks.
    (pki.directory / "README.md").write_text(_readme(pki), encoding="utf-8")
    return pki


def issue_test_certificate(
    pki_dir: Path,
    *,
    oin: str,
    name: str,
    out_dir: Path | None = None,
    days: int = 30,
) -> PartyFiles:
    """Issue a temporary certificate from the dev intermediate, as DUO does for its test setup.

    Writes ``DEV-ONLY-temp-<oin>.crt.pem/.key.pem/.chain.pem/.p12`` into ``out_dir`` (default:
    ``pki_dir``). Raises ``ValueError`` for a malformed OIN, a name that is empty or longer
    than 64 characters (the X.520 limit) or days below 1, and ``FileNotFoundError`` when
    ``pki_dir`` holds no development PKI.
    """
    validate_oin(oin)
    if not name.strip() or len(name) > 64:
        raise ValueError(f"the organisation name must have 1 to 64 characters, got {name!r}")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    pki = DevPki.in_directory(pki_dir)
    if not (pki.intermediate_cert.is_file() and pki.intermediate_key.is_file()):
        raise FileNotFoundError(
            f"no development PKI in {pki.directory}; create it first with init_dev_pki()"
        )
    ca = _load_issuer(pki.intermediate_cert, pki.intermediate_key)
    target = Path(out_dir) if out_dir is not None else pki.directory
    target.mkdir(parents=True, exist_ok=True)
    now = _now()
    leaf = _client_leaf(
        ca, oin, name, not_before=now - _BACKDATE, not_after=now + dt.timedelta(days=days)
    )
    files = _party_files(target, f"temp-{oin}", oin, name)
    _write_party(files, leaf, ca.cert)
    return files


_PURPOSES = {
    "test-expired": "expired yesterday: refused as expired",
    "test-revoked": "listed in the CRL: refused as revoked",
    "test-rogue": "valid, same CA, registered nowhere: signer not authorised",
    "test-foreign": "claims school 25LX's OIN, issued by the foreign root: unknown issuer",
}


def _readme(pki: DevPki) -> str:
    files = [
        (pki.root_cert, f"root CA certificate \"{ROOT_CN}\" (O=DEV-ONLY ketenserver)"),
        (pki.root_key, "root CA private key"),
        (pki.intermediate_cert, f"intermediate CA \"{INTERMEDIATE_CN}\", pathlen 0; issues "
         "every trusted leaf and the CRL"),
        (pki.intermediate_key, "intermediate CA private key"),
        (pki.crl, "CRL of the intermediate (next update in 1 year); lists test-revoked"),
        (pki.trust_bundle, "root + intermediate: the trust anchor of clients (for the server) "
         "and of the server (for clients)"),
        (pki.server_cert, f"server certificate: localhost, 127.0.0.1, ::1; serverAuth + "
         f"clientAuth; OIN {SERVER_OIN}"),
        (pki.server_key, "server private key"),
        (pki.server_chain, "server certificate + intermediate"),
        (pki.foreign_root_cert, "a foreign root CA, NOT in the trust bundle"),
    ]
    for party in (*DEMO_PARTIES, *TEST_PARTIES):
        pf = pki.party(party.key)
        paths = (pf.cert, pf.key, pf.chain, pf.p12)
        files += [(path, f"{party.key}: {kind}") for path, kind in zip(paths, _PARTY_FILE_KINDS, strict=True)]
    lines = [
        "# DEV-ONLY development PKI of ketenserver",
        "",
        "**For development and tests only.** These certificates imitate the PKIoverheid hierarchy",
        "(Staat der Nederlanden Private Root -> Private Services CA -> leaves) but nobody outside",
        "this project trusts them. The private keys are **unencrypted on purpose** (tests and a",
        "local server must start without a passphrase) and the `.p12` files (key, certificate and",
        "issuing CA) have **no password**. Never use any of this in production. Regenerate with",
        "`init_dev_pki(directory, force=True)`. Temporary certificates made by",
        "`issue_test_certificate()` are named `DEV-ONLY-temp-<OIN>.*`.",
        "",
        "## Files",
        "",
        *(f"- `{path.name}`: {what}" for path, what in files),
        "",
        "## Parties (OIN in the certificate subject's serialNumber)",
        "",
        "| key | OIN | name | purpose |",
        "| --- | --- | --- | --- |",
        *(f"| {p.key} | {p.oin} | {p.name} | {_PURPOSES.get(p.key, f'demo {p.kind}')} |"
          for p in (*DEMO_PARTIES, *TEST_PARTIES)),
        "",
        "The demo parties' certificates carry clientAuth and serverAuth and the names localhost,",
        "127.0.0.1 and ::1 besides `urn:oin:<OIN>`: with the same certificate a demo school can",
        "also serve its own SOAP endpoint on this machine (the receiver of pushed SBB mutations).",
        "The test parties' certificates are for clients only.",
        "",
    ]
    return "\n".join(lines)
