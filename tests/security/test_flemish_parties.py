"""The Flemish parties of the development PKI (werkplekduaal): a C=BE subject naming the KBO
enterprise number, the same dev chain as the Dutch parties, and their place in the sandbox registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy.orm import Session

from ketencore.trust import TrustStore, oin_of
from ketenserver import identifiers
from ketenserver.exchange import storage
from ketenserver.pki import DEMO_PARTIES, FLEMISH_PARTIES, DevPki, Party, init_dev_pki, validate_kbo

# Written out, not read from FLEMISH_PARTIES, so that a party the code loses or renames is noticed.
EXPECTED = {
    "provider-0412345614": ("0412345614", "GO! Campus Demo Gent", "provider"),
    "provider-0423456765": ("0423456765", "Syntra Demo Antwerpen", "provider"),
    "coach-0834567808": ("0834567808", "Demo Trajectbegeleiding vzw", "coach"),
    "loket-0316200006": ("0316200006", "Departement Onderwijs en Vorming - werkplekduaal (DEV-ONLY)", "government"),
}


def _attribute(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = [a.value for a in cert.subject.get_attributes_for_oid(oid)]
    assert len(values) == 1, oid
    value = values[0]
    return value.decode() if isinstance(value, bytes) else value


def test_the_flemish_parties_are_demo_parties() -> None:
    assert {p.key: (p.kbo, p.name, p.kind) for p in FLEMISH_PARTIES} == EXPECTED
    assert set(FLEMISH_PARTIES) <= set(DEMO_PARTIES)
    for party in FLEMISH_PARTIES:
        assert party.oin == party.kbo and party.country == "BE"
        assert identifiers.kbo_enterprise_number(party.oin) == party.oin  # the mod-97 check holds
    assert {p.country for p in DEMO_PARTIES if p.kbo is None} == {"NL"}


@pytest.mark.parametrize("key", EXPECTED)
def test_certificate_names_be_and_the_kbo_number_and_chains_to_the_dev_trust(
        pki: DevPki, key: str) -> None:
    kbo, name, _kind = EXPECTED[key]
    cert = x509.load_pem_x509_certificate(pki.party(key).cert.read_bytes())
    assert _attribute(cert, NameOID.COUNTRY_NAME) == "BE"
    assert _attribute(cert, NameOID.SERIAL_NUMBER) == kbo
    assert _attribute(cert, NameOID.ORGANIZATION_NAME) == name
    assert oin_of(cert) == kbo  # what the server reads as the caller's identifier
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [f"urn:kbo:{kbo}"]
    # The one dev chain of both countries: the server's trust store accepts it.
    assert TrustStore.from_files(pki.trust_bundle, [pki.crl]).verify(cert) == kbo
    assert cert.issuer == x509.load_pem_x509_certificate(pki.intermediate_cert.read_bytes()).subject


def test_the_sandbox_registry_holds_them_with_their_kind(db_session: Session) -> None:
    registered = {o.oin: o for o in storage.organisations(db_session)}
    for kbo, name, kind in EXPECTED.values():
        organisation = registered[kbo]
        assert (organisation.name, organisation.kind) == (name, kind)
        assert organisation.brin is None and organisation.kvk_number is None


@pytest.mark.parametrize(("kbo", "says"), [
    ("0412345615", "last two digits"),  # mod-97 check broken
    ("2412345614", "10 digits"),        # the first digit 0 or 1
    ("0412.345.614", "bare"),           # one spelling only
])
def test_a_flemish_party_needs_a_valid_bare_kbo_number(kbo: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        validate_kbo(kbo)
    with pytest.raises(ValueError, match=says):
        Party.flemish("provider-x", kbo, "X", "provider")


def test_a_flemish_partys_identifier_is_its_kbo_number() -> None:
    with pytest.raises(ValueError, match="KBO number 0412345614"):
        Party("provider-x", "00000099000000000666", "X", "provider", kbo="0412345614")


def test_a_pki_without_the_flemish_files_is_generated_again(tmp_path: Path) -> None:
    """A directory made before the Flemish parties existed is incomplete, so it is regenerated whole."""
    pki = init_dev_pki(tmp_path / "pki")
    root = pki.root_cert.read_bytes()
    for party in FLEMISH_PARTIES:
        files = pki.party(party.key)
        for path in (files.cert, files.key, files.chain, files.p12):
            path.unlink()
    assert not pki.is_complete()
    init_dev_pki(pki.directory)
    assert pki.is_complete() and pki.root_cert.read_bytes() != root
    text = (pki.directory / "README.md").read_text(encoding="utf-8")
    assert all(f"| {key} | BE | {kbo} |" in text for key, (kbo, _name, _kind) in EXPECTED.items())
