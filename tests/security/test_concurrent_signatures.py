"""Signing and verifying in several threads at once, next to lxml parsing and serialising, is as
reliable as one at a time (lxml and libxmlsec1 each bring their own libxml2; before
ketencore.xmlparse.LIBXML about one valid signature in 3,000 failed to verify, and signing
sometimes failed, with 4 threads)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from ketencore import wsse
from ketencore.envelope import read_envelope, write_reply
from ketencore.xmlparse import parse_trusted, parse_untrusted
from ketenserver.pki import DevPki
from ketenserver.testing import RequestBuilder

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
BODY = (f'<sbb:VaststellenLeerbedrijf xmlns:sbb="{SBB}"><sbb:Naam>Bakkerij De Vries</sbb:Naam>'
        "<sbb:Postcode>1012 AB</sbb:Postcode></sbb:VaststellenLeerbedrijf>").encode()
MESSAGES, THREADS = 6000, 4


@pytest.mark.slow
def test_four_threads_verify_and_sign_every_message(pki: DevPki) -> None:
    school = pki.party("school-25LX")
    builder = RequestBuilder.from_files(school.cert, school.key, "https://localhost/sbb-erkenningen/2W-be-S",
                                        school.oin)
    messages = [builder.build(BODY, action=f"{SBB}:VaststellenLeerbedrijf").bytes() for _ in range(MESSAGES)]
    signer = wsse.MessageSigner.from_pem(pki.server_key.read_bytes(), pki.server_cert.read_bytes())
    failures: list[str] = []

    def work(chunk: list[bytes]) -> None:
        for data in chunk:
            try:
                envelope = read_envelope(parse_untrusted(data))
                stamp = wsse.read_timestamp(envelope.security)
                required = {"Body": envelope.body, "Timestamp": stamp.element}
                required.update({f"wsa:{name}": element for name, element in envelope.addressing.items()})
                wsse.verify(envelope.root, envelope.security, required)
                write_reply(parse_trusted(BODY), action=f"{SBB}:VaststellenLeerbedrijfResponse",
                            relates_to="urn:uuid:1", signer=signer, now=datetime.now(UTC), confirm="QUJD")
            except Exception as error:
                failures.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=work, args=(messages[i::THREADS],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
