"""The development PKI: files, names, OINs, RFC 5280 profile, idempotency, temporary certs."""

from __future__ import annotations

import datetime as dt
import stat
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ketencore.trust import TrustStore, oin_of
from ketenserver.pki import (
    DEMO_PARTIES,
    SERVER_OIN,
    TEST_PARTIES,
    DevPki,
    init_dev_pki,
    issue_test_certificate,
    kvk_oin,
    school_oin,
)

# Written independently of DevPki.all_files() so that a file the code forgets is noticed.
EXPECTED_FILES = {
    "DEV-ONLY-root-ca.crt.pem",
    "DEV-ONLY-root-ca.key.pem",
    "DEV-ONLY-private-services-ca.crt.pem",
    "DEV-ONLY-private-services-ca.key.pem",
    "DEV-ONLY-private-services-ca.crl.pem",
    "DEV-ONLY-trust-bundle.pem",
    "DEV-ONLY-server-localhost.crt.pem",
    "DEV-ONLY-server-localhost.key.pem",
    "DEV-ONLY-server-localhost.chain.pem",
    "DEV-ONLY-foreign-root-ca.crt.pem",
    "README.md",
} | {
    f"DEV-ONLY-{key}{suffix}"
    for key in ("school-25LX", "school-30AB", "vendor-hosting",
                "provider-0412345614", "provider-0423456765", "coach-0834567808", "loket-0316200006",
                "test-expired", "test-revoked", "test-rogue", "test-foreign")
    for suffix in (".crt.pem", ".key.pem", ".chain.pem", ".p12")
}
ALL_KEYS = [p.key for p in (*DEMO_PARTIES, *TEST_PARTIES)]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return init_dev_pki(tmp_path_factory.mktemp("pki"))


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_oin_helpers() -> None:
    assert school_oin("25lx") == "0000000700025LX00000"
    assert kvk_oin("12345678") == "00000003123456780000"
    with pytest.raises(ValueError, match="BRIN"):
        school_oin("25L")
    with pytest.raises(ValueError, match="KvK"):
        kvk_oin("1234567A")


def test_demo_parties() -> None:
    by_key = {p.key: p for p in DEMO_PARTIES}
    assert by_key["school-25LX"].oin == "0000000700025LX00000"
    assert by_key["school-25LX"].name == "ROC Demo Noord"
    assert by_key["school-30AB"].oin == "0000000700030AB00000"
    assert by_key["vendor-hosting"].oin == "00000003123456780000"
    assert by_key["vendor-hosting"].kind == "vendor"


def test_every_file_exists_with_dev_only_name(pki: DevPki) -> None:
    names = {path.name for path in pki.directory.iterdir()}
    assert names == EXPECTED_FILES
    assert all(n.startswith("DEV-ONLY-") for n in names - {"README.md"})
    assert {p.name for p in pki.all_files()} == EXPECTED_FILES


def test_private_keys_are_unencrypted_and_owner_only(pki: DevPki) -> None:
    keys = [pki.root_key, pki.intermediate_key, pki.server_key]
    keys += [pki.party(k).key for k in ALL_KEYS] + [pki.party(k).p12 for k in ALL_KEYS]
    for path in keys:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    for path in keys[: 3 + len(ALL_KEYS)]:
        assert b"BEGIN PRIVATE KEY" in path.read_bytes()  # PKCS#8, not encrypted
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048


def test_oin_in_subject_serial_number(pki: DevPki) -> None:
    for party in (*DEMO_PARTIES, *TEST_PARTIES):
        cert = load_cert(pki.party(party.key).cert)
        assert oin_of(cert) == party.oin
        subject = cert.subject
        assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == party.name
        assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == party.name
        # A Flemish party names C=BE and its KBO number (tests/security/test_flemish_parties.py).
        flemish = party.kbo is not None
        assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == ("BE" if flemish else "NL")
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        if party in DEMO_PARTIES:  # also a server: a school's own receiver of pushed mutations
            assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
            assert names.get_values_for_type(x509.DNSName) == ["localhost"]
        else:
            assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
            assert names.get_values_for_type(x509.DNSName) == []
        urn = f"urn:kbo:{party.oin}" if flemish else f"urn:oin:{party.oin}"
        assert names.get_values_for_type(x509.UniformResourceIdentifier) == [urn]
    assert oin_of(load_cert(pki.server_cert)) == SERVER_OIN


def test_ca_profile(pki: DevPki) -> None:
    root, intermediate = (load_cert(pki.root_cert), load_cert(pki.intermediate_cert))
    assert root.subject == root.issuer and intermediate.issuer == root.subject
    assert x509.load_pem_x509_certificates(pki.trust_bundle.read_bytes()) == [root, intermediate]
    for cert, path_length in ((root, None), (intermediate, 0)):
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
        assert bc.critical and bc.value.ca and bc.value.path_length == path_length
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
        assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
        cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        years = (cert.not_valid_after_utc - cert.not_valid_before_utc).days / 365
        assert 9.9 < years < 10.1
    intermediate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    intermediate.verify_directly_issued_by(root)
    assert "Staat der Nederlanden Private Root CA - G1" in root.subject.rfc4514_string()
    assert "Private Services CA - G1" in intermediate.subject.rfc4514_string()


def test_server_certificate(pki: DevPki) -> None:
    cert = load_cert(pki.server_cert)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.key_encipherment
    assert not ku.value.key_cert_sign
    years = (cert.not_valid_after_utc - cert.not_valid_before_utc).days / 365
    assert 1.9 < years < 2.1
    assert cert.not_valid_before_utc < dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    chain = x509.load_pem_x509_certificates(pki.server_chain.read_bytes())
    assert chain == [cert, load_cert(pki.intermediate_cert)]


def test_test_certificates(pki: DevPki) -> None:
    now = dt.datetime.now(dt.UTC)
    expired = load_cert(pki.party("test-expired").cert)
    assert expired.not_valid_after_utc < now - dt.timedelta(hours=12)
    crl = x509.load_pem_x509_crl(pki.crl.read_bytes())
    revoked = load_cert(pki.party("test-revoked").cert)
    assert crl.get_revoked_certificate_by_serial_number(revoked.serial_number) is not None
    assert len(crl) == 1
    issuer_key = load_cert(pki.intermediate_cert).public_key()
    assert isinstance(issuer_key, rsa.RSAPublicKey) and crl.is_signature_valid(issuer_key)
    assert crl.next_update_utc is not None
    assert crl.next_update_utc > now + dt.timedelta(days=360)
    foreign = load_cert(pki.party("test-foreign").cert)
    foreign_root = load_cert(pki.foreign_root_cert)
    assert oin_of(foreign) == school_oin("25LX")
    foreign.verify_directly_issued_by(foreign_root)
    assert foreign_root not in x509.load_pem_x509_certificates(pki.trust_bundle.read_bytes())
    assert oin_of(load_cert(pki.party("test-rogue").cert)) == "00000099000000000666"


def test_serial_numbers_are_distinct(pki: DevPki) -> None:
    serials = {load_cert(pki.party(k).cert).serial_number for k in ALL_KEYS}
    assert len(serials) == len(ALL_KEYS)


def test_p12_and_chain_for_each_party(pki: DevPki) -> None:
    intermediate = load_cert(pki.intermediate_cert)
    for party in DEMO_PARTIES:
        files = pki.party(party.key)
        key, cert, cas = pkcs12.load_key_and_certificates(files.p12.read_bytes(), None)
        assert cert == load_cert(files.cert) and cas == [intermediate]
        assert key is not None and key.public_key() == cert.public_key()
        assert x509.load_pem_x509_certificates(files.chain.read_bytes()) == [cert, intermediate]


def test_readme_lists_every_file_and_oin(pki: DevPki) -> None:
    text = (pki.directory / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED_FILES - {"README.md"}:
        assert f"`{name}`" in text, name
    for party in (*DEMO_PARTIES, *TEST_PARTIES):
        assert party.oin in text and party.name in text
    assert "development" in text and "unencrypted on purpose" in text


def test_unknown_party_key(pki: DevPki) -> None:
    with pytest.raises(KeyError, match="school-99ZZ"):
        pki.party("school-99ZZ")


def test_init_is_idempotent(pki: DevPki) -> None:
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in pki.directory.iterdir()}
    again = init_dev_pki(pki.directory)
    assert again == pki
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in pki.directory.iterdir()}
    assert after == before


def test_force_and_incomplete_regenerate_quickly(tmp_path: Path) -> None:
    started = time.perf_counter()
    messages: list[str] = []
    pki = init_dev_pki(tmp_path / "new" / "pki", progress=messages.append)
    assert time.perf_counter() - started < 5  # budget ~3 s; slack for loaded CI machines
    assert messages and pki.is_complete()
    first_root = pki.root_cert.read_bytes()

    pki.party("school-30AB").p12.unlink()  # a partial set must not be trusted
    init_dev_pki(pki.directory)
    assert pki.is_complete() and pki.root_cert.read_bytes() != first_root

    second_root = pki.root_cert.read_bytes()
    init_dev_pki(pki.directory, force=True)
    assert pki.root_cert.read_bytes() != second_root


def test_issue_test_certificate(pki: DevPki, tmp_path: Path) -> None:
    oin = "00000099000000000042"
    files = issue_test_certificate(pki.directory, oin=oin, name="Tijdelijke Test", out_dir=tmp_path)
    assert files.cert == tmp_path / f"DEV-ONLY-temp-{oin}.crt.pem"
    assert {p.name for p in (files.cert, files.key, files.chain, files.p12)} == {
        f"DEV-ONLY-temp-{oin}{s}" for s in (".crt.pem", ".key.pem", ".chain.pem", ".p12")
    }
    assert (files.oin, files.name) == (oin, "Tijdelijke Test")
    cert = load_cert(files.cert)
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert dt.timedelta(days=30) <= lifetime <= dt.timedelta(days=30, hours=2)
    store = TrustStore.from_files(pki.trust_bundle, [pki.crl])
    assert store.verify(cert) == oin
    key, p12_cert, cas = pkcs12.load_key_and_certificates(files.p12.read_bytes(), None)
    assert p12_cert == cert and key is not None and cas == [load_cert(pki.intermediate_cert)]
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600


def test_issue_test_certificate_defaults_to_pki_dir(pki: DevPki) -> None:
    files = issue_test_certificate(pki.directory, oin="00000003876543210000", name="Bedrijf", days=1)
    try:
        assert files.cert.parent == pki.directory and files.cert.is_file()
    finally:  # keep the shared directory as the other tests expect it
        for path in (files.cert, files.key, files.chain, files.p12):
            path.unlink()


@pytest.mark.parametrize(
    "oin",
    ["", "0000000700025LX0000", "0000000700025LX000000", "0000000700025lx00000",
     "A000000700025LX00000", "00000007 0025LX00000"],
)
def test_issue_test_certificate_refuses_bad_oin(pki: DevPki, tmp_path: Path, oin: str) -> None:
    with pytest.raises(ValueError, match="OIN"):
        issue_test_certificate(pki.directory, oin=oin, name="X", out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_issue_test_certificate_needs_a_pki(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="init_dev_pki"):
        issue_test_certificate(tmp_path, oin="00000099000000000042", name="X")
