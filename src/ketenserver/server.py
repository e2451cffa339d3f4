"""Serving over mutual TLS with cheroot (a maintained, threaded WSGI server).

The TLS context comes from :func:`ketenserver.trust.server_ssl_context`: TLS 1.2 or newer, a
client certificate required and chained to the trust bundle, CRLs checked. A client without a
certificate, or with one from another CA, an expired or a revoked one, fails the handshake and
never reaches the application.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from ketenserver.settings import Settings
from ketenserver.trust import server_ssl_context

log = logging.getLogger(__name__)


def make_server(settings: Settings, app: Callable[..., Any], *, port: int | None = None,
                reuse_port: bool = False) -> wsgi.Server:
    server = wsgi.Server(
        (settings.host, settings.port if port is None else port), app,
        numthreads=settings.threads, server_name="ketenserver", reuse_port=reuse_port,
        timeout=30, shutdown_timeout=2,
    )
    # Our pipeline refuses oversized messages itself (fault 0101) from Content-Length, unread;
    # a cheroot limit would answer with a bare HTTP 413 instead of a SOAP fault.
    server.max_request_body_size = 0
    adapter = BuiltinSSLAdapter(str(settings.server_cert_path), str(settings.server_key_path))
    adapter.context = server_ssl_context(
        cert=settings.server_cert_path, key=settings.server_key_path,
        client_trust_bundle=settings.trust_bundle_path, crls=settings.crl_paths,
    )
    server.ssl_adapter = adapter
    return server


@dataclass
class RunningServer:
    """A server on a background thread (tests, the benchmark)."""

    server: wsgi.Server
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.bind_addr[1])

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(timeout=10)


def serve_in_thread(settings: Settings, app: Callable[..., Any], *, port: int = 0) -> RunningServer:
    server = make_server(settings, app, port=port)
    server.prepare()
    thread = threading.Thread(target=server.serve, name="ketenserver", daemon=True)
    thread.start()
    return RunningServer(server, thread)


def _interrupt(*_: object) -> None:
    """SIGTERM stops a server like Ctrl+C: cheroot's safe_start then shuts down cleanly."""
    raise KeyboardInterrupt


def _serve_worker(settings: Settings, reuse_port: bool) -> None:
    from ketenserver.app import create_app

    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(process)d %(name)s %(message)s")
    app = create_app(settings)
    server = make_server(settings, app, reuse_port=reuse_port)
    signal.signal(signal.SIGTERM, _interrupt)
    app.start_background()
    try:
        server.safe_start()
    finally:
        app.close()


def serve_forever(settings: Settings) -> None:
    """Serve in this process, or in one process per worker sharing the port (SO_REUSEPORT)."""
    workers = settings.worker_count
    if workers == 1:
        _serve_worker(settings, reuse_port=False)
        return
    signal.signal(signal.SIGTERM, _interrupt)
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_serve_worker, args=(settings, True), name=f"ketenserver-{i}")
                 for i in range(workers)]
    for process in processes:
        process.start()
    try:
        for process in processes:
            process.join()
    except KeyboardInterrupt:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join()
