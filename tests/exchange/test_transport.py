"""Mutual TLS: who never reaches the application."""

from __future__ import annotations

import socket
import ssl
import warnings

import pytest
import requests

from ketenserver.exchange.storage import JournalEntry


@pytest.mark.parametrize("party", ["test-expired", "test-revoked", "test-foreign", None])
def test_refused_client_never_reaches_the_application(tls_for, base_url, engine, party, payload, builder_for):
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        before = session.scalar(select(func.count()).select_from(JournalEntry))
    data = builder_for("school-25LX").build(payload(), action="x").bytes()
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        tls_for(party).post(base_url + "/sbb-erkenningen/2W-be-S", data=data, timeout=10)
    with Session(engine) as session:
        after = session.scalar(select(func.count()).select_from(JournalEntry))
    assert after == before  # nothing was journalled: the handshake failed before any HTTP


def _handshake(pki, port: int, maximum: ssl.TLSVersion) -> str:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(pki.trust_bundle)
    files = pki.party("school-25LX")
    context.load_cert_chain(files.chain, files.key)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer old versions at all
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = maximum
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as tls:
        return str(tls.version())


def test_tls_below_1_2_is_refused(pki, server):
    assert _handshake(pki, server.port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"  # the same client can connect
    with pytest.raises(ssl.SSLError):
        _handshake(pki, server.port, ssl.TLSVersion.TLSv1_1)


def test_demo_school_is_served(post, builder_for, payload):
    response = post(builder_for("school-25LX").build(payload(), action=
                    "urn:ketenserver:sbb:whitelabel:erkenningen:2.1:VaststellenLeerbedrijf").bytes())
    assert response.status_code == 200, response.text
