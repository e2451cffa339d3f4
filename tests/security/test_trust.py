"""Certificate trust: TrustStore verdicts and real mutual-TLS handshakes over loopback."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ketencore.trust import (
    TrustStore,
    UntrustedCertificate,
    client_ssl_context,
    oin_of,
    server_ssl_context,
)
from ketenserver.pki import DEMO_PARTIES, DevPki, Party, init_dev_pki, school_oin

NOW = dt.datetime.now(dt.UTC)
OIN_25LX = school_oin("25LX")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return init_dev_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def store(pki: DevPki) -> TrustStore:
    return TrustStore.from_files(pki.trust_bundle, [pki.crl])


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def party_cert(pki: DevPki, key: str) -> x509.Certificate:
    return load_cert(pki.party(key).cert)


def refusal(store: TrustStore, cert: x509.Certificate, **kwargs: dt.datetime) -> str:
    with pytest.raises(UntrustedCertificate) as caught:
        store.verify(cert, **kwargs)
    assert caught.value.message and "validation failed" not in caught.value.message
    return caught.value.reason


def issue(
    pki: DevPki,
    *,
    subject: x509.Name,
    usages: list[x509.ObjectIdentifier],
    bits: int = 2048,
) -> x509.Certificate:
    """A leaf from the dev intermediate with a chosen subject and EKU (for profile tests)."""
    ca_cert = load_cert(pki.intermediate_cert)
    ca_key = serialization.load_pem_private_key(pki.intermediate_key.read_bytes(), None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(hours=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("test.example")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


# ------------------------------------------------------------------------------- TrustStore
@pytest.mark.parametrize("party", DEMO_PARTIES, ids=lambda p: p.key)
def test_demo_parties_are_accepted_with_their_oin(pki: DevPki, party: Party) -> None:
    store = TrustStore.from_files(pki.trust_bundle, [pki.crl])
    assert store.verify(party_cert(pki, party.key)) == party.oin


def test_rogue_is_trusted_here_authorisation_is_elsewhere(pki: DevPki, store: TrustStore) -> None:
    assert store.verify(party_cert(pki, "test-rogue")) == "00000099000000000666"


def test_refusals(pki: DevPki, store: TrustStore) -> None:
    assert refusal(store, party_cert(pki, "test-expired")) == "expired"
    assert refusal(store, party_cert(pki, "test-revoked")) == "revoked"
    assert refusal(store, party_cert(pki, "test-foreign")) == "unknown-issuer"


def test_not_yet_valid(pki: DevPki, store: TrustStore) -> None:
    cert = party_cert(pki, "school-25LX")
    assert refusal(store, cert, at=cert.not_valid_before_utc - dt.timedelta(days=1)) == (
        "not-yet-valid"
    )


def test_stale_and_missing_crl(pki: DevPki, store: TrustStore) -> None:
    cert = party_cert(pki, "school-25LX")
    crl = x509.load_pem_x509_crl(pki.crl.read_bytes())
    assert crl.next_update_utc is not None
    later = crl.next_update_utc + dt.timedelta(days=1)
    assert later < cert.not_valid_after_utc  # the certificate itself is still valid then
    assert refusal(store, cert, at=later) == "crl-stale"
    assert refusal(TrustStore.from_files(pki.trust_bundle, []), cert) == "crl-missing"


def test_forged_crl_is_ignored(pki: DevPki, tmp_path: Path) -> None:
    """A CRL with the intermediate's name but another key neither revokes nor clears."""
    root_key = serialization.load_pem_private_key(pki.root_key.read_bytes(), None)
    assert isinstance(root_key, rsa.RSAPrivateKey)
    school = party_cert(pki, "school-25LX")
    forged = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(load_cert(pki.intermediate_cert).subject)
        .last_update(NOW - dt.timedelta(hours=1))
        .next_update(NOW + dt.timedelta(days=30))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(school.serial_number)
            .revocation_date(NOW - dt.timedelta(hours=1))
            .build()
        )
        .sign(root_key, hashes.SHA256())
    )
    path = tmp_path / "forged.crl.pem"
    path.write_bytes(forged.public_bytes(serialization.Encoding.PEM))
    with_real = TrustStore.from_files(pki.trust_bundle, [pki.crl, path])
    assert with_real.verify(school) == OIN_25LX
    only_forged = TrustStore.from_files(pki.trust_bundle, [path])
    assert refusal(only_forged, school) == "crl-missing"


def test_bad_usage_and_no_oin(pki: DevPki, store: TrustStore) -> None:
    with_oin = x509.Name([
        x509.NameAttribute(NameOID.SERIAL_NUMBER, "00000099000000000777"),
        x509.NameAttribute(NameOID.COMMON_NAME, "x"),
    ])
    server_only = issue(pki, subject=with_oin, usages=[ExtendedKeyUsageOID.SERVER_AUTH])
    assert refusal(store, server_only) == "bad-usage"
    without_oin = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    no_oin = issue(pki, subject=without_oin, usages=[ExtendedKeyUsageOID.CLIENT_AUTH])
    assert oin_of(no_oin) is None
    assert refusal(store, no_oin) == "no-oin"
    weak = issue(pki, subject=with_oin, usages=[ExtendedKeyUsageOID.CLIENT_AUTH], bits=1024)
    assert refusal(store, weak) == "bad-usage"  # cryptography's verifier lets a weak leaf key pass
    # The control: the same recipe with an OIN, clientAuth and 2048 bits is accepted.
    good = issue(pki, subject=with_oin, usages=[ExtendedKeyUsageOID.CLIENT_AUTH])
    assert store.verify(good) == "00000099000000000777"


def test_bundle_without_root_is_refused(pki: DevPki, tmp_path: Path) -> None:
    bundle = tmp_path / "intermediate-only.pem"
    bundle.write_bytes(pki.intermediate_cert.read_bytes())
    with pytest.raises(ValueError, match="root"):
        TrustStore.from_files(bundle, [pki.crl])


def test_root_presented_as_leaf_is_refused(pki: DevPki, store: TrustStore) -> None:
    assert refusal(store, load_cert(pki.root_cert)) in {"bad-usage", "unknown-issuer"}


@dataclass
class FakeClock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now


def test_cache_hits_recheck_expiry_and_expire(pki: DevPki, monkeypatch: pytest.MonkeyPatch) -> None:
    cert = party_cert(pki, "school-25LX")
    clock = FakeClock(NOW)
    store = TrustStore.from_files(pki.trust_bundle, [pki.crl], cache_ttl=60, clock=clock)
    calls: list[x509.Certificate] = []
    real = store._verify_chain

    def counting(c: x509.Certificate, when: dt.datetime) -> x509.Certificate:
        calls.append(c)
        return real(c, when)

    monkeypatch.setattr(store, "_verify_chain", counting)
    assert store.verify(cert) == OIN_25LX
    assert store.verify(cert) == OIN_25LX
    assert len(calls) == 1  # the second answer came from the cache
    clock.now = NOW + dt.timedelta(seconds=61)
    store.verify(cert)
    assert len(calls) == 2  # TTL passed: verified afresh
    clock.now = cert.not_valid_after_utc + dt.timedelta(seconds=1)
    store._remember(cert.fingerprint(hashes.SHA256()), "cached", clock.now)
    assert refusal(store, cert) == "expired"  # even with a fresh cache entry


def test_cache_is_bounded(pki: DevPki) -> None:
    store = TrustStore.from_files(pki.trust_bundle, [pki.crl])
    store._cache_size = 2
    for key in ("school-25LX", "school-30AB", "vendor-hosting"):
        store.verify(party_cert(pki, key))
    assert len(store._cache) == 2


# ---------------------------------------------------------------------------------- TLS
@dataclass
class Outcome:
    server_peer_oin: str | None = None
    server_error: BaseException | None = None
    client_received: bytes = b""
    client_error: BaseException | None = None


def peer_serial_number(peer: Mapping[str, object]) -> str | None:
    """The subject serialNumber from ``SSLSocket.getpeercert()``'s nested tuples."""
    subject = peer.get("subject")
    assert isinstance(subject, tuple)
    for rdn in subject:
        for name, value in rdn:
            if name == "serialNumber":
                return str(value)
    return None


def handshake(pki: DevPki, client: ssl.SSLContext, server_hostname: str = "localhost") -> Outcome:
    """One mutual-TLS exchange over loopback; the server answers b"ok" after the handshake."""
    server = server_ssl_context(
        cert=pki.server_chain, key=pki.server_key,
        client_trust_bundle=pki.trust_bundle, crls=[pki.crl],
    )
    outcome = Outcome()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(10)
        port = listener.getsockname()[1]

        def serve() -> None:
            try:
                conn, _ = listener.accept()
                with conn:
                    conn.settimeout(10)
                    with server.wrap_socket(conn, server_side=True) as tls:
                        peer = tls.getpeercert()
                        assert peer is not None
                        outcome.server_peer_oin = peer_serial_number(peer)
                        tls.sendall(b"ok")
            except (ssl.SSLError, OSError) as exc:
                outcome.server_error = exc

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
                client.wrap_socket(raw, server_hostname=server_hostname) as tls,
            ):
                outcome.client_received = tls.recv(16)
        except (ssl.SSLError, OSError) as exc:
            outcome.client_error = exc
        thread.join(15)
        assert not thread.is_alive()
    return outcome


def client_for(pki: DevPki, key: str | None) -> ssl.SSLContext:
    files = pki.party(key) if key else None
    return client_ssl_context(
        trust_bundle=pki.trust_bundle,
        cert=files.chain if files else None,
        key=files.key if files else None,
    )


def test_tls_accepts_demo_school(pki: DevPki) -> None:
    outcome = handshake(pki, client_for(pki, "school-25LX"))
    assert outcome.server_error is None and outcome.client_error is None
    assert outcome.client_received == b"ok"
    assert outcome.server_peer_oin == "0000000700025LX00000"


@pytest.mark.parametrize(
    ("key", "verify_codes"),
    [
        ("test-revoked", {23}),  # X509_V_ERR_CERT_REVOKED
        ("test-expired", {10}),  # X509_V_ERR_CERT_HAS_EXPIRED
        # unable to get local issuer / self-signed certificate in chain
        ("test-foreign", {19, 20}),
    ],
)
def test_tls_refuses_untrusted_client(pki: DevPki, key: str, verify_codes: set[int]) -> None:
    outcome = handshake(pki, client_for(pki, key))
    assert isinstance(outcome.server_error, ssl.SSLCertVerificationError)
    assert outcome.server_error.verify_code in verify_codes
    assert outcome.server_peer_oin is None and outcome.client_received != b"ok"


@pytest.mark.parametrize(("key", "accepted"), [("school-30AB", True), ("test-revoked", False)])
def test_tls12_clients_get_the_same_verdict(pki: DevPki, key: str, accepted: bool) -> None:
    """Java and .NET stacks often still speak TLS 1.2, where failures surface differently."""
    client = client_for(pki, key)
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    outcome = handshake(pki, client)
    assert (outcome.client_received == b"ok") is accepted
    assert (outcome.server_error is None) is accepted


def test_tls_refuses_client_without_certificate(pki: DevPki) -> None:
    outcome = handshake(pki, client_for(pki, None))
    assert isinstance(outcome.server_error, ssl.SSLError)
    assert "CERTIFICATE" in str(outcome.server_error.reason)
    assert outcome.server_peer_oin is None and outcome.client_received != b"ok"


def test_tls_client_checks_the_server_name(pki: DevPki) -> None:
    outcome = handshake(pki, client_for(pki, "school-25LX"), server_hostname="ketenserver.example")
    assert isinstance(outcome.client_error, ssl.SSLCertVerificationError)
    assert outcome.client_error.verify_code == 62  # X509_V_ERR_HOSTNAME_MISMATCH
    assert outcome.client_received != b"ok"


def test_contexts_refuse_old_tls_and_need_crls(pki: DevPki) -> None:
    server = server_ssl_context(
        cert=pki.server_cert, key=pki.server_key,
        client_trust_bundle=pki.trust_bundle, crls=[pki.crl],
    )
    client = client_ssl_context(trust_bundle=pki.trust_bundle, cert=None, key=None)
    for context in (server, client):
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2
        assert context.verify_mode == ssl.CERT_REQUIRED
    assert server.verify_flags & ssl.VERIFY_CRL_CHECK_LEAF
    with pytest.raises(ValueError, match="CRL"):
        server_ssl_context(
            cert=pki.server_cert, key=pki.server_key, client_trust_bundle=pki.trust_bundle, crls=[]
        )


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    assert set(threading.enumerate()) <= before
