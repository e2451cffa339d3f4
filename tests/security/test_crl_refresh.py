"""CRL refresh: a certificate revoked in a new CRL is refused at the next refresh, over TLS and in
signatures; a CRL that does not validate is never installed; CRLs come from files or URLs."""

from __future__ import annotations

import datetime as dt
import http.server
import logging
import shutil
import socket
import ssl
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import Engine

from ketencore.crls import CrlRefresher, CrlUnavailable, fetch_crl
from ketencore.trust import TrustStore, UntrustedCertificate
from ketenserver.app import create_app
from ketenserver.pki import DevPki
from ketenserver.server import MutualTls, RunningServer, serve_in_thread
from ketenserver.settings import Settings, load_settings
from ketenserver.testing import RequestBuilder, fault_code, free_port

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"
PATH = "/sbb-erkenningen/2W-be-S"
PAYLOAD = (f'<s:VaststellenLeerbedrijf xmlns:s="{SBB}"><s:Naam>Bakkerij De Vries</s:Naam>'
           "<s:Postcode>1012 AB</s:Postcode></s:VaststellenLeerbedrijf>").encode()


# ------------------------------------------------------------------------------------ helpers
def cert_of(pki: DevPki, party: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pki.party(party).cert.read_bytes())


def issue_crl(pki: DevPki, revoked: Iterable[x509.Certificate], *, number: int,
              key: rsa.RSAPrivateKey | None = None, next_update: dt.timedelta = dt.timedelta(days=7),
              ) -> x509.CertificateRevocationList:
    """A fresh CRL of the dev intermediate (signed with its key from the PKI directory, unless ``key``)."""
    ca = x509.load_pem_x509_certificate(pki.intermediate_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.intermediate_key.read_bytes(), None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    now = dt.datetime.now(dt.UTC)
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(now - dt.timedelta(minutes=1))
        .next_update(now + next_update)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
            .revocation_date(now - dt.timedelta(minutes=1)).build())
    return builder.sign(key or ca_key, hashes.SHA256())


def pem(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(serialization.Encoding.PEM)


def client_context(pki: DevPki, party: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.trust_bundle))
    files = pki.party(party)
    context.load_cert_chain(str(files.chain), str(files.key))
    return context


def handshake_refused(pki: DevPki, port: int, party: str) -> bool:
    """Whether the server refuses ``party``'s certificate in a fresh TLS 1.2 handshake.

    TLS 1.2, because in TLS 1.3 the client finishes before the server has judged its certificate
    and only learns of the refusal at its first read.
    """
    context = client_context(pki, party)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                context.wrap_socket(raw, server_hostname="localhost"):
            return False
    except (ssl.SSLError, ConnectionResetError):
        return True


def session_for(pki: DevPki, party: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(pki.trust_bundle)
    files = pki.party(party)
    session.cert = (str(files.chain), str(files.key))
    return session


def signed_by(pki: DevPki, party: str, url: str) -> bytes:
    files = pki.party(party)
    return RequestBuilder.from_files(files.cert, files.key, url + PATH, files.oin).build(
        PAYLOAD, action=ACTION).bytes()


def post(session: requests.Session, url: str, data: bytes) -> requests.Response:
    return session.post(url + PATH, data=data, headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=10)


# ----------------------------------------------------------------------------------- fixtures
@pytest.fixture
def own_pki(pki: DevPki, tmp_path: Path) -> DevPki:
    """A copy of the session's PKI: these tests rewrite its CRL."""
    return DevPki.in_directory(Path(shutil.copytree(pki.directory, tmp_path / "pki")))


def serve(settings: Settings, engine: Engine) -> RunningServer:
    # A server of its own, on the session's database; its app is not closed (that would dispose the engine).
    return serve_in_thread(settings, create_app(settings, engine=engine))


@pytest.fixture
def crl_settings(settings: Settings, own_pki: DevPki) -> Settings:
    return replace(settings, port=0, pki_dir=own_pki.directory, crl_files=(own_pki.crl,), crl_refresh_interval=0)


@pytest.fixture
def crl_server(crl_settings: Settings, engine: Engine) -> Iterator[RunningServer]:
    running = serve(crl_settings, engine)
    yield running
    running.stop()


class CrlHttpServer:
    """A tiny http server handing out ``body`` (the CRL) at any path, or ``status``."""

    def __init__(self) -> None:
        self.body = b""
        self.status = 200
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/pkix-crl")
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                self.wfile.write(owner.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str = "ca.crl") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def crl_http() -> Iterator[CrlHttpServer]:
    served = CrlHttpServer()
    yield served
    served.close()


# -------------------------------------------------------------------------------------- tests
def test_a_revoked_certificate_is_refused_after_the_next_refresh(crl_server, own_pki):
    url = f"https://127.0.0.1:{crl_server.port}"
    vendor = cert_of(own_pki, "vendor-hosting")
    store: TrustStore = crl_server.app.background_context.trust
    with session_for(own_pki, "vendor-hosting") as as_vendor, session_for(own_pki, "school-25LX") as as_school:
        # Before: the vendor connects itself, and signs for school 25LX (its registered intermediary).
        assert post(as_vendor, url, signed_by(own_pki, "vendor-hosting", url)).status_code == 200
        assert post(as_school, url, signed_by(own_pki, "vendor-hosting", url)).status_code == 200
        assert store.verify(vendor)  # accepted, and now in the store's cache
        kept_alive = client_context(own_pki, "vendor-hosting").wrap_socket(
            socket.create_connection(("127.0.0.1", crl_server.port), timeout=10), server_hostname="localhost")
        assert b" 200 " in exchange_on(kept_alive, url, signed_by(own_pki, "vendor-hosting", url))

        own_pki.crl.write_bytes(pem(issue_crl(own_pki, [vendor, cert_of(own_pki, "test-revoked")], number=2)))
        assert post(as_vendor, url, signed_by(own_pki, "vendor-hosting", url)).status_code == 200  # not yet
        result = crl_server.crls.refresh_once()
        assert result.installed == (str(own_pki.crl),) and result.refused == ()

        # After: the handshake is refused, the kept-alive connection is closed before its next
        # request, and the signature is refused on the school's own connection (0114).
        assert handshake_refused(own_pki, crl_server.port, "vendor-hosting")
        assert exchange_on(kept_alive, url, signed_by(own_pki, "vendor-hosting", url)) == b""
        response = post(as_school, url, signed_by(own_pki, "vendor-hosting", url))
        assert fault_code(response.content) == "0114" and "revoked" in response.text
        with pytest.raises(UntrustedCertificate) as refused:
            store.verify(vendor)
        assert refused.value.reason == "revoked"
        # Everyone else goes on as before.
        assert post(as_school, url, signed_by(own_pki, "school-25LX", url)).status_code == 200
        assert not handshake_refused(own_pki, crl_server.port, "school-30AB")
    assert crl_server.crls.refresh_once().installed == ()  # nothing new: nothing swapped


def exchange_on(tls: ssl.SSLSocket, url: str, data: bytes) -> bytes:
    """One POST on an open (kept-alive) connection; the raw answer, b"" when the server closed it."""
    host = url.split("//", 1)[1]
    tls.sendall(f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/xml; charset=utf-8\r\n"
                f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
    answer = b""
    try:
        while b"</soapenv:Envelope>" not in answer:
            piece = tls.recv(65536)
            if not piece:
                break
            answer += piece
    except (ssl.SSLError, ConnectionResetError):
        pass
    return answer


def test_a_crl_that_does_not_validate_is_not_installed(crl_server, own_pki, caplog):
    school = cert_of(own_pki, "school-30AB")
    before = crl_server.crls.crls
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = {
        "forged": pem(issue_crl(own_pki, [school], number=5, key=forger)),
        "expired": pem(issue_crl(own_pki, [school], number=5, next_update=-dt.timedelta(seconds=30))),
        "garbage": b"-----BEGIN X509 CRL-----\nnot a crl\n-----END X509 CRL-----\n",
    }
    for name, data in bad.items():
        own_pki.crl.write_bytes(data)
        with caplog.at_level(logging.WARNING, logger="ketencore.crls"):
            result = crl_server.crls.refresh_once()
        assert result.installed == () and len(result.refused) == 1, name
        assert result.refused[0][0] == str(own_pki.crl)
        assert "the previous one stays" in caplog.text
        assert crl_server.crls.crls == before
        assert not handshake_refused(own_pki, crl_server.port, "school-30AB"), name
    reasons = [reason for _, reason in crl_server.crls.refresh_once().refused]
    assert reasons and "ValueError" in reasons[0]  # the garbage is still there
    own_pki.crl.write_bytes(bad["forged"])
    assert "not signed by a CA of the trust bundle" in crl_server.crls.refresh_once().refused[0][1]
    own_pki.crl.write_bytes(bad["expired"])
    assert "expired" in crl_server.crls.refresh_once().refused[0][1]
    own_pki.crl.unlink()
    assert crl_server.crls.refresh_once().refused[0][0] == str(own_pki.crl)  # missing file: kept, warned


def test_an_older_crl_cannot_undo_a_revocation(crl_server, own_pki):
    school = cert_of(own_pki, "school-30AB")
    own_pki.crl.write_bytes(pem(issue_crl(own_pki, [school], number=7)))
    assert crl_server.crls.refresh_once().changed
    own_pki.crl.write_bytes(pem(issue_crl(own_pki, [], number=6)))  # valid, signed, but older
    refused = crl_server.crls.refresh_once().refused
    assert "older than the installed one" in refused[0][1]
    assert handshake_refused(own_pki, crl_server.port, "school-30AB")


def test_crl_from_a_url_pem_or_der(settings, engine, own_pki, crl_http):
    crl_http.body = issue_crl(own_pki, [], number=3).public_bytes(serialization.Encoding.DER)
    url_settings = replace(settings, port=0, pki_dir=own_pki.directory, crl_urls=(crl_http.url(),),
                           crl_refresh_interval=0)
    assert url_settings.crl_paths == ()  # a URL replaces the development PKI's CRL file
    running = serve(url_settings, engine)
    try:
        assert not handshake_refused(own_pki, running.port, "school-30AB")
        crl_http.status = 404
        assert "HTTP 404" in running.crls.refresh_once().refused[0][1]
        assert not handshake_refused(own_pki, running.port, "school-30AB")  # the previous CRL stays
        crl_http.status, crl_http.body = 200, pem(issue_crl(own_pki, [cert_of(own_pki, "school-30AB")], number=4))
        assert running.crls.refresh_once().installed == (crl_http.url(),)
        assert handshake_refused(own_pki, running.port, "school-30AB")
        assert not handshake_refused(own_pki, running.port, "school-25LX")
    finally:
        running.stop()


def test_a_server_without_a_valid_crl_does_not_start(settings, own_pki, crl_http):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    own_pki.crl.write_bytes(pem(issue_crl(own_pki, [], number=2, key=forger)))
    with pytest.raises(ValueError, match=r"none could be installed.*not signed by a CA"):
        MutualTls(replace(settings, pki_dir=own_pki.directory, crl_files=(own_pki.crl,)))
    crl_http.status = 503
    with pytest.raises(ValueError, match="HTTP 503"):
        MutualTls(replace(settings, pki_dir=own_pki.directory, crl_urls=(crl_http.url(),)))


def test_fetch_is_bounded(crl_http, own_pki):
    crl_http.body = b"x" * 5000
    with pytest.raises(CrlUnavailable, match="limit is 1000"):
        fetch_crl(crl_http.url(), max_bytes=1000)
    with pytest.raises(CrlUnavailable, match="not an http"):
        fetch_crl(f"file://{own_pki.crl}")
    with pytest.raises(CrlUnavailable, match="could not be fetched"):
        fetch_crl(f"http://127.0.0.1:{free_port()}/ca.crl", timeout=2)  # nothing listens there


def test_refresher_keeps_one_crl_per_ca(own_pki):
    store = TrustStore.from_files(own_pki.trust_bundle, [])
    changes: list[int] = []
    newer = issue_crl(own_pki, [cert_of(own_pki, "school-30AB")], number=9)
    sources = {"a": pem(issue_crl(own_pki, [], number=8)), "b": pem(newer)}
    refresher = CrlRefresher(store, urls=("a", "b"), fetch=sources.__getitem__,
                             on_change=lambda crls: changes.append(len(crls)))
    result = refresher.refresh_once()
    assert result.installed == ("a", "b") and changes == [1]
    assert refresher.crls == (newer,) and store.crls == (newer,)
    assert refresher.revokes(cert_of(own_pki, "school-30AB"))
    assert not refresher.revokes(cert_of(own_pki, "school-25LX"))
    assert "older" in refresher.refresh_once().refused[0][1]  # "a" still serves number 8


def test_crl_settings_from_the_environment():
    settings = load_settings(environ={
        "KETENSERVER_CRL_URLS": "http://crl.example/a.crl https://crl.example/b.crl",
        "KETENSERVER_CRL_REFRESH_INTERVAL": "60", "KETENSERVER_REQUEST_READ_TIMEOUT": "5",
        "KETENSERVER_SOCKET_TIMEOUT": "12"})
    assert settings.crl_urls == ("http://crl.example/a.crl", "https://crl.example/b.crl")
    assert settings.crl_refresh_interval == 60 and settings.request_read_timeout == 5
    assert settings.socket_timeout == 12


def test_certs_check_reads_a_der_crl(own_pki):
    from ketenserver.certcheck import inspect_crls

    der = own_pki.directory / "ca.crl.der"
    der.write_bytes(issue_crl(own_pki, [], number=2).public_bytes(serialization.Encoding.DER))
    [state] = inspect_crls([der], now=dt.datetime.now(dt.UTC), warn_days=3)
    assert state.verdict == "ok" and "CRL of" in state.subject
