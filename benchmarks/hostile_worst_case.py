"""Worst-case cost of refusing hostile messages: time and peak memory per family, in-process.

Each message goes through the whole secure pipeline (as the server runs it, without the socket)
and must be refused with its documented fault; the script prints, per case, the fault code, the
time to refuse and the peak Python memory allocated while refusing (tracemalloc).

    python benchmarks/hostile_worst_case.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from lxml import etree

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"
PAYLOAD = (f'<s:VaststellenLeerbedrijf xmlns:s="{SBB}"><s:Naam>Bakkerij De Vries</s:Naam>'
           "<s:Postcode>1012AB</s:Postcode></s:VaststellenLeerbedrijf>").encode()


def cases(build: Callable[..., object], limit: int) -> dict[str, bytes]:
    from ketencore import names as ns

    def signed() -> bytes:
        return build(PAYLOAD, action=ACTION).bytes()  # type: ignore[attr-defined,no-any-return]

    laughs = "<!DOCTYPE e [" + '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)) + "]>"
    wrapped = build(PAYLOAD, action=ACTION)
    body = wrapped.body  # type: ignore[attr-defined]
    moved = copy.deepcopy(body)
    wrapped.root.remove(body)  # type: ignore[attr-defined]
    etree.SubElement(wrapped.security, ns.qn(ns.WSSE, "Wrapper")).append(moved)  # type: ignore[attr-defined]
    evil = etree.SubElement(wrapped.root, ns.BODY)  # type: ignore[attr-defined]
    evil.append(etree.fromstring(PAYLOAD))
    many_refs = build(PAYLOAD, action=ACTION)
    signed_info = many_refs.security.find(f".//{{{ns.DS}}}SignedInfo")  # type: ignore[attr-defined]
    for _ in range(5000):
        signed_info.append(copy.deepcopy(signed_info.find(f"{{{ns.DS}}}Reference")))
    return {
        "billion-laughs": signed().replace(b"?>", b"?>" + laughs.encode(), 1),
        "external-entity": signed().replace(b"?>", b'?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1),
        "deep-nesting": signed().replace(b"<s:Naam>", b"<x>" * 50_000 + b"</x>" * 50_000 + b"<s:Naam>"),
        "huge-text": signed().replace(b"Bakkerij De Vries", b"A" * (limit - 8192)),
        "many-attributes": signed().replace(b"<s:Naam>", b"<s:Naam " + b" ".join(
            f'a{i}="v"'.encode() for i in range(min(200_000, limit // 12))) + b">"),
        "oversized": b"<a>" + b"x" * (limit * 2) + b"</a>",
        "body-wrapping": wrapped.bytes(),  # type: ignore[attr-defined]
        "5000-references": many_refs.bytes(),  # type: ignore[attr-defined]
        "invalid-utf8": signed().replace(b"Bakkerij", b"Bak\xff\xfe"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from ketenserver.app import create_app
    from ketenserver.cli import prepare
    from ketenserver.pki import init_dev_pki
    from ketenserver.settings import Settings
    from ketenserver.testing import RequestBuilder, fault_code

    workdir = Path(tempfile.mkdtemp(prefix="ketenserver-hostile-"))
    pki = init_dev_pki(workdir / "certs")
    settings = Settings(data_dir=workdir / "data", pki_dir=workdir / "certs")
    prepare(settings, companies=200, say=lambda text: None)
    app = create_app(settings)
    school = pki.party("school-25LX")
    builder = RequestBuilder.from_files(school.cert, school.key, "https://localhost/sbb-erkenningen/2W-be-S",
                                        school.oin)
    endpoint = app.endpoints["/sbb-erkenningen/2W-be-S"]
    tls_pem = school.cert.read_text()
    print(f"limit {settings.max_request_bytes} bytes; worst of {args.repeat} runs per case\n")
    print(f"{'case':<18} {'bytes':>9} {'fault':>6} {'ms':>9} {'peak MiB':>9}")
    worst_ms = worst_mib = 0.0
    for name, data in cases(builder.build, settings.max_request_bytes).items():
        slowest = peak = 0.0
        code = None
        for _ in range(args.repeat):
            environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(data)), "wsgi.input": BytesIO(data),
                       "CONTENT_TYPE": "text/xml; charset=utf-8", "SSL_CLIENT_CERT": tls_pem}
            tracemalloc.start()
            started = time.perf_counter()
            body = b"".join(app.pipeline.handle(endpoint, environ, lambda status, headers: None))
            elapsed = (time.perf_counter() - started) * 1000
            peak = max(peak, tracemalloc.get_traced_memory()[1] / 2**20)
            tracemalloc.stop()
            slowest = max(slowest, elapsed)
            code = fault_code(body)
        worst_ms, worst_mib = max(worst_ms, slowest), max(worst_mib, peak)
        print(f"{name:<18} {len(data):>9} {code or '-':>6} {slowest:9.1f} {peak:9.2f}")
    print(f"\nworst case: {worst_ms:.1f} ms, {worst_mib:.2f} MiB peak Python allocation while refusing")
    app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
