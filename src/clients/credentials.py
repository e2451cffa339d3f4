"""An organisation's certificate, private key and trust anchors, loaded once and checked.

Digikoppeling uses the same PKIoverheid (or PKI-Onderwijs) certificate twice: to open the
two-way TLS connection and to sign the message (profile 2W-be-S). :class:`Credentials` holds
both uses, plus what the client needs to trust the *server*: a PEM bundle of the trusted CAs and
the CRLs of the CAs that issue server certificates.

Security choices:

* The key must belong to the certificate and the certificate must carry an OIN in the subject's
  serialNumber (PKI001); a mistake is reported when loading, not as a fault from the server.
* :mod:`requests` (through Python's :mod:`ssl`) can only read a client key from a file, so a
  PKCS#12 file (or a password-protected PEM key) is written unencrypted into a private
  temporary directory (mode 0700, files 0600) for as long as a client uses it, and removed when
  the client closes. Plain PEM files are used where they are, without a copy.
* Nothing about the credentials is in their ``repr`` beyond the OIN and the file names.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from ketencore.trust import oin_of
from ketencore.wsse import PrivateKey

__all__ = ["Credentials", "PathLike"]

PathLike = str | os.PathLike[str]


def _password(value: str | bytes | None) -> bytes | None:
    return value.encode("utf-8") if isinstance(value, str) else value


def _checked(key: object, certificate: x509.Certificate, source: str) -> tuple[PrivateKey, str]:
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"{source}: only RSA and EC keys can sign WUS messages")
    mine = key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    theirs = certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    if mine != theirs:
        raise ValueError(f"{source}: the private key does not belong to the certificate")
    oin = oin_of(certificate)
    if oin is None:
        raise ValueError(f"{source}: the certificate carries no OIN in the subject serialNumber (PKI001)")
    return key, oin


def _write_private(path: Path, data: bytes) -> None:
    # O_EXCL and mode 0600 from the start: the key is never readable by others, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


@dataclass(frozen=True)
class Credentials:
    """Who the client is (key, certificate, OIN) and whom it trusts (CA bundle, CRLs)."""

    key: PrivateKey = field(repr=False)
    """The private key: signs messages (2W-be-S) and authenticates the TLS connection."""
    certificate: x509.Certificate = field(repr=False)
    """The organisation's certificate; sent as the WS-Security BinarySecurityToken."""
    chain: tuple[x509.Certificate, ...] = field(repr=False)
    """Issuing CA certificates (leaf excluded), presented in the TLS handshake."""
    oin: str
    """The OIN from the certificate's subject serialNumber; sent in ``wsa:From``."""
    trust_bundle: Path
    """PEM bundle of the CAs whose server certificates are trusted (TLS and response signatures)."""
    crls: tuple[Path, ...] = ()
    """CRLs (PEM or DER) of the CAs that issue server certificates. Response signatures are only
    accepted when the signer's issuer has a current CRL here (WT004)."""
    pem_files: tuple[Path, Path] | None = None
    """(certificate or chain file, unencrypted key file) usable as they are, else None."""

    @classmethod
    def from_pem(
        cls,
        cert: PathLike,
        key: PathLike,
        *,
        trust: PathLike,
        chain: PathLike | None = None,
        crls: Sequence[PathLike] = (),
        password: str | bytes | None = None,
    ) -> Credentials:
        """Load a PEM certificate (optionally followed by its CAs) and its PEM private key.

        ``chain`` is a file with the leaf followed by its issuing CAs (what TLS presents); when
        absent, the certificate file itself is presented. A ``password`` decrypts the key; the
        key is then handed to TLS through a private temporary copy (see :meth:`tls_files`).
        """
        cert_path, key_path = Path(cert), Path(key)
        certificates = x509.load_pem_x509_certificates(cert_path.read_bytes())
        extra: list[x509.Certificate] = list(certificates[1:])
        if chain is not None:
            extra = [c for c in x509.load_pem_x509_certificates(Path(chain).read_bytes())
                     if c != certificates[0]]
        try:
            loaded = serialization.load_pem_private_key(key_path.read_bytes(), _password(password))
        except TypeError:  # cryptography's way of saying the password is missing or superfluous
            needed = "is encrypted; pass its password" if password is None else "is not encrypted"
            raise ValueError(f"{key_path}: the key {needed}") from None
        except ValueError:
            raise ValueError(f"{key_path}: not a PEM private key, or the password is wrong") from None
        private_key, oin = _checked(loaded, certificates[0], str(cert_path))
        files = (Path(chain) if chain is not None else cert_path, key_path) if password is None else None
        return cls(private_key, certificates[0], tuple(extra), oin, Path(trust),
                   tuple(Path(c) for c in crls), files)

    @classmethod
    def from_pkcs12(
        cls,
        p12: PathLike,
        password: str | bytes | None = None,
        *,
        trust: PathLike,
        crls: Sequence[PathLike] = (),
    ) -> Credentials:
        """Load a PKCS#12 file (``.p12``/``.pfx``) holding the key, the certificate and its CAs."""
        path = Path(p12)
        try:
            bundle = pkcs12.load_pkcs12(path.read_bytes(), _password(password))
        except ValueError:
            raise ValueError(f"{path}: not a PKCS#12 file, or the password is wrong") from None
        if bundle.key is None or bundle.cert is None:
            raise ValueError(f"{path}: the PKCS#12 file must hold a private key and its certificate")
        certificate = bundle.cert.certificate
        private_key, oin = _checked(bundle.key, certificate, str(path))
        chain = tuple(c.certificate for c in bundle.additional_certs)
        return cls(private_key, certificate, chain, oin, Path(trust), tuple(Path(c) for c in crls))

    @contextmanager
    def tls_files(self) -> Iterator[tuple[str, str]]:
        """Yield ``(certfile, keyfile)`` for ``requests.Session.cert`` while the block runs.

        PEM credentials yield their own files. Otherwise the leaf, its CAs and the key are
        written to a fresh private directory that is removed when the block ends.
        """
        if self.pem_files is not None:
            yield str(self.pem_files[0]), str(self.pem_files[1])
            return
        directory = Path(tempfile.mkdtemp(prefix="ketenclient-"))  # mode 0700
        try:
            certfile, keyfile = directory / "client.chain.pem", directory / "client.key.pem"
            pem = serialization.Encoding.PEM
            _write_private(certfile, b"".join(c.public_bytes(pem) for c in (self.certificate, *self.chain)))
            _write_private(keyfile, self.key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            yield str(certfile), str(keyfile)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
