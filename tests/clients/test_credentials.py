"""Credentials from PEM and PKCS#12 files, and the files handed to TLS."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ketenclient import Credentials
from ketenserver.pki import DevPki


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_pem_and_pkcs12_give_the_same_identity(pki: DevPki) -> None:
    files = pki.party("school-25LX")
    pem = Credentials.from_pem(files.cert, files.key, trust=pki.trust_bundle, chain=files.chain)
    p12 = Credentials.from_pkcs12(files.p12, trust=pki.trust_bundle)
    assert pem.oin == p12.oin == "0000000700025LX00000" == files.oin
    assert pem.certificate == p12.certificate
    assert [c.subject for c in pem.chain] == [c.subject for c in p12.chain] != []
    assert pem.trust_bundle == p12.trust_bundle == pki.trust_bundle


def test_pem_files_are_handed_to_tls_as_they_are(pki: DevPki) -> None:
    files = pki.party("school-30AB")
    with_chain = Credentials.from_pem(files.cert, files.key, trust=pki.trust_bundle, chain=files.chain)
    with with_chain.tls_files() as pair:
        assert pair == (str(files.chain), str(files.key))
    with Credentials.from_pem(files.cert, files.key, trust=pki.trust_bundle).tls_files() as pair:
        assert pair == (str(files.cert), str(files.key))


def test_pkcs12_is_written_to_private_files_that_are_removed(pki: DevPki) -> None:
    files = pki.party("vendor-hosting")
    credentials = Credentials.from_pkcs12(files.p12, trust=pki.trust_bundle)
    with credentials.tls_files() as (certfile, keyfile):
        cert_path, key_path = Path(certfile), Path(keyfile)
        assert _mode(key_path.parent) == 0o700
        assert _mode(key_path) == 0o600 and _mode(cert_path) == 0o600
        chain = x509.load_pem_x509_certificates(cert_path.read_bytes())
        assert chain[0] == credentials.certificate and len(chain) == 2  # leaf, then its CA
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert key.public_key() == credentials.certificate.public_key()
    assert not key_path.parent.exists()


def test_an_encrypted_pem_key_needs_its_password(pki: DevPki, tmp_path: Path) -> None:
    files = pki.party("school-25LX")
    key = serialization.load_pem_private_key(files.key.read_bytes(), password=None)
    encrypted = tmp_path / "key.pem"
    encrypted.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.BestAvailableEncryption(b"geheim")))
    with pytest.raises(ValueError, match="encrypted; pass its password"):
        Credentials.from_pem(files.cert, encrypted, trust=pki.trust_bundle)
    with pytest.raises(ValueError, match="password is wrong"):
        Credentials.from_pem(files.cert, encrypted, trust=pki.trust_bundle, password="fout")
    credentials = Credentials.from_pem(files.cert, encrypted, trust=pki.trust_bundle, password="geheim")
    assert credentials.pem_files is None  # TLS gets a private decrypted copy instead
    with credentials.tls_files() as (_certfile, keyfile):
        assert serialization.load_pem_private_key(Path(keyfile).read_bytes(), password=None)


def test_a_key_of_another_certificate_is_refused(pki: DevPki) -> None:
    with pytest.raises(ValueError, match="does not belong to the certificate"):
        Credentials.from_pem(pki.party("school-25LX").cert, pki.party("school-30AB").key,
                             trust=pki.trust_bundle)


def test_a_certificate_without_oin_is_refused(pki: DevPki) -> None:
    with pytest.raises(ValueError, match="no OIN"):
        Credentials.from_pem(pki.root_cert, pki.root_key, trust=pki.trust_bundle)


def test_a_wrong_pkcs12_password_is_refused(pki: DevPki) -> None:
    with pytest.raises(ValueError, match="password is wrong"):
        Credentials.from_pkcs12(pki.party("school-25LX").p12, "geheim", trust=pki.trust_bundle)


def test_repr_shows_no_key_material(pki: DevPki) -> None:
    files = pki.party("school-25LX")
    text = repr(Credentials.from_pem(files.cert, files.key, trust=pki.trust_bundle))
    assert "0000000700025LX00000" in text
    assert "PrivateKey" not in text and "BEGIN" not in text
