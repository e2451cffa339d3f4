"""The files of a development PKI directory (:class:`DevPki`, :class:`PartyFiles`) and their writing.

Every file name starts with ``DEV-ONLY-``; private keys are written unencrypted with mode 0600.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from ketenserver.pki.issue import _Issuer
from ketenserver.pki.parties import _ALL_PARTIES

PREFIX = "DEV-ONLY-"
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

