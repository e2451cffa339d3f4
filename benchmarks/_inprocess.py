"""In-process CPU per request, and where it goes, for one checkout (run by secure_pipeline.py).

Run as ``python benchmarks/_inprocess.py REQUESTS`` with ``PYTHONPATH`` naming the ``src`` of the
checkout to measure; it prints one JSON object. It uses only what both this checkout and the ones
before it have (the CLI's ``prepare``, ``create_app``, ``RequestBuilder``), so that two checkouts
are measured alike:

- ``cpu_ms``: process CPU per request for the bare spyne operation (what the checkout runs for the
  operation alone), for 2W-be and for 2W-be-S through the whole app, and for the identify query;
- ``stages_ms``: a cProfile run of 2W-be-S, the cumulative time of each stage's functions per request
  (profiling inflates Python code, so compare the stages of two checkouts, not with ``cpu_ms``),
  and the time spent inside libxmlsec1's sign and verify themselves (C, hardly inflated): the
  floor of what signing adds, whatever the Python around it does.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import json
import pstats
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"
BODY = (f'<sbb:VaststellenLeerbedrijf xmlns:sbb="{SBB}"><sbb:Naam>Bakkerij De Vries</sbb:Naam>'
        "<sbb:Postcode>1012 AB</sbb:Postcode></sbb:VaststellenLeerbedrijf>").encode()
STAGES = {
    # stage: (file name ending, function name) pairs, the first found in a checkout counts
    "parse": [("xmlparse.py", "parse_untrusted")],
    "verify (signature, trust, replay)": [("pipeline.py", "_verify")],
    "validate": [("validation.py", "validate_payload")],
    "spyne (dispatch, de/serialise)": [("soap.py", "call"), ("pipeline.py", "_call_spyne")],
    "handler": [("service.py", "VaststellenLeerbedrijf")],
    "storage (identify query)": [("storage.py", "find_companies")],
    "journal (and its commit)": [("pipeline.py", "_commit"), ("journal.py", "record")],
    "reply and sign": [("envelope.py", "write_reply")],
}


def _cpu_per_call(function: Any, calls: list[Any]) -> float:
    started = time.process_time()
    for argument in calls:
        function(argument)
    return (time.process_time() - started) / len(calls) * 1000


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    from ketenserver.app import create_app
    from ketenserver.cli import prepare
    from ketenserver.pki import init_dev_pki
    from ketenserver.settings import Settings
    from ketenserver.testing import RequestBuilder

    work = Path(tempfile.mkdtemp(prefix="ketenserver-inprocess-"))
    pki = init_dev_pki(work / "certs")
    settings = Settings(data_dir=work / "data", pki_dir=work / "certs", port=8443, log_level="WARNING")
    prepare(settings, companies=2000, say=lambda text: None)
    app = create_app(settings)
    school = pki.party("school-25LX")
    pem = school.cert.read_text()

    def post(profile: str) -> Any:
        def call(data: bytes) -> None:
            environ = {"REQUEST_METHOD": "POST", "PATH_INFO": f"/sbb-erkenningen/{profile}",
                       "CONTENT_LENGTH": str(len(data)), "CONTENT_TYPE": "text/xml; charset=utf-8",
                       "wsgi.input": io.BytesIO(data), "SSL_CLIENT_CERT": pem, "HTTP_HOST": "localhost:8443",
                       "SERVER_PORT": "8443"}
            statuses: list[str] = []
            b"".join(app(environ, lambda status, headers: statuses.append(status)))
            assert statuses[0].startswith("200"), statuses
        return call

    def signed_requests(count: int, profile: str) -> list[bytes]:
        builder = RequestBuilder.from_files(school.cert, school.key, f"https://localhost:8443/sbb-erkenningen/{profile}",
                                            school.oin)
        if profile == "2W-be":
            builder = replace(builder, signer=None)
        return [builder.build(BODY, action=ACTION).bytes() for _ in range(count)]

    results: dict[str, Any] = {"cpu_ms": {}, "stages_ms": {}}
    bare = _bare_operation(app, settings)
    for _ in range(100):
        bare(None)
    results["cpu_ms"]["bare spyne operation"] = _cpu_per_call(bare, [None] * requests)
    for profile in ("2W-be", "2W-be-S"):
        warm, measured = signed_requests(100, profile), signed_requests(requests, profile)
        _cpu_per_call(post(profile), warm)
        results["cpu_ms"][profile] = _cpu_per_call(post(profile), measured)
    results["cpu_ms"]["identify query"] = _identify(app)

    profiled = signed_requests(requests, "2W-be-S")
    profiler = cProfile.Profile()
    profiler.enable()
    for data in profiled:
        post("2W-be-S")(data)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def cumulative(ending: str, name: str) -> list[float]:
        return [value[3] for (file, _, function), value in stats.items() if file.endswith(ending) and function == name]

    for stage, candidates in STAGES.items():
        for ending, name in candidates:
            found = cumulative(ending, name)
            if found:
                results["stages_ms"][stage] = sum(found) / len(profiled) * 1000
                break
    for label, method in (("libxmlsec1 sign, in C alone", "sign"), ("libxmlsec1 verify, in C alone", "verify")):
        # the floor no Python change lowers: canonicalisation, digests and RSA inside libxmlsec1
        found = [value[3] for (file, _, function), value in stats.items()
                 if file == "~" and function == f"<method '{method}' of 'xmlsec.SignatureContext' objects>"]
        if found:
            results["stages_ms"][label] = sum(found) / len(profiled) * 1000
    results["stages_ms"]["(whole request, profiled)"] = sum(cumulative("pipeline.py", "handle")) / len(profiled) * 1000
    print(json.dumps(results))


def _bare_operation(app: Any, settings: Any) -> Any:
    """The operation alone, as the checkout runs it behind its pipeline."""
    from lxml import etree

    from ketenserver import context as context_module
    from ketenserver.context import CallContext
    from ketenserver.features import FEATURES

    feature = FEATURES[0]
    now = dt.datetime.now(dt.UTC)
    if hasattr(context_module, "ENVIRON_KEY"):  # before: spyne's WSGI application with an environ
        from ketenserver.app import _spyne_app

        spyne_app = _spyne_app(feature, settings.max_request_bytes)
        envelope = (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>' + BODY
                    + b"</s:Body></s:Envelope>")

        def run_wsgi(_: object) -> None:
            with app.sessions() as session:
                environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": "", "SERVER_NAME": "x",
                           "SERVER_PORT": "443", "CONTENT_TYPE": "text/xml; charset=utf-8",
                           "CONTENT_LENGTH": str(len(envelope)), "wsgi.input": io.BytesIO(envelope),
                           "wsgi.url_scheme": "https", context_module.ENVIRON_KEY: CallContext(
                               session=session, organisation_oin="00000007000025LX00000", message_id="m", now=now,
                               profile="bare")}
                b"".join(spyne_app(environ, lambda *args: None))
        return run_wsgi
    from ketenserver.app import feature_operations

    operations = feature_operations(feature)

    def run(_: object) -> None:
        with app.sessions() as session:
            operations.call(etree.fromstring(BODY), CallContext(
                session=session, organisation_oin="00000007000025LX00000", message_id="m", now=now, profile="bare"))
    return run


def _identify(app: Any) -> float:
    from ketenserver.recognitions import domain, storage

    query = domain.IdentifyQuery(name="Bakkerij De Vries", postcode="1012 AB", house_number=None,
                                 house_number_suffix=None)
    on = domain.dutch_date(dt.datetime.now(dt.UTC))
    with app.sessions() as session:
        directory = storage.SqlCompanyDirectory(session)
        for _ in range(200):
            domain.identify(query, directory=directory, on=on)
        return _cpu_per_call(lambda _: domain.identify(query, directory=directory, on=on), [None] * 2000)


if __name__ == "__main__":
    main()
