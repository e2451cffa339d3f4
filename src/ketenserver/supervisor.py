"""The supervisor of ``ketenserver serve --workers N`` (N > 1): it keeps N serving processes up.

The command's process loads the settings (which imports every feature), then replaces itself by
the supervisor (``exec``: the same process id, for systemd or whoever started it): ``python -m
ketenserver.supervisor`` imports neither the app nor spyne nor SQLAlchemy, and takes some 24 MiB
instead of the command's 83. It starts the workers, each a ``python -m ketenserver.supervisor --worker`` that
imports the server and serves on the shared port (SO_REUSEPORT), and then:

- a worker that dies (killed, crashed, or exited on its own) is logged with its signal or exit
  code and replaced at once, within a tick (``TICK``);
- a worker that dies *early* (before it served; ``RestartPolicy.early_within`` can widen that to
  some seconds after) again and again is not restarted in a tight loop: the first early death is replaced
  at once like any, the next ones in a row after a pause of 0.5 s, doubling up to 4 s. At the 6th
  early death of one worker in a row the supervisor gives up: one error line, the other workers
  stopped in order, exit code 1;
- SIGTERM or SIGINT stops the server in order: readiness turns to "draining", each worker gets
  SIGTERM, stops accepting and stops as :mod:`ketenserver.server` says, within
  ``shutdown_grace_seconds``; exit code 0 when every worker stopped cleanly. A worker still there
  ``STOP_MARGIN`` seconds after the grace is killed (exit code 1). A second SIGTERM or SIGINT kills
  the workers at once: exit code 128 + the signal's number (143, 130).

With ``health_port`` set the supervisor answers ``/livez`` and ``/readyz`` (:mod:`ketenserver.health`):
it knows whether workers serve, and each worker reports its checks of the database.

Between the supervisor and a worker: the worker's stdin carries the pickled settings (length
first), then stays open; its end tells the worker that the supervisor is gone (killed without a
chance to stop it), and the worker stops as on SIGTERM. A pipe back carries one line per event:
``serving``, ``database ok``, ``database <reason>``. Workers run in sessions of their own, so a
Ctrl+C in a terminal reaches the supervisor only, which stops them.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, NoReturn, Protocol

from ketenserver.health import HealthServer, database_verdict
from ketenserver.settings import Settings

__all__ = ["RestartPolicy", "Supervisor", "Worker", "WorkerProcess", "describe_exit", "exec_supervisor", "main"]

log = logging.getLogger(__name__)

TICK = 0.1
"""Seconds between two looks at the workers."""
STOP_MARGIN = 10.0
"""Seconds a stopping worker has after the grace period (to cut off its connections, finish its
request threads and stop its background jobs) before it is killed."""
_SERVING = "serving"
_DATABASE = "database"


@dataclass(frozen=True)
class RestartPolicy:
    """When a dead worker is started again, and when the supervisor gives up."""

    first_delay: float = 0.5
    """Pause before restarting a worker after its second early death in a row; it doubles with each next.
    One early death alone gets none: a worker killed soon after its start is replaced at once too."""
    most_delay: float = 4.0
    """The longest pause."""
    early_within: float = 0.0
    """A worker that dies before it served (with a value here: or within this many seconds after)
    died early. None by default: a worker that served and is then killed from outside (an operator,
    the OOM killer, a test killing one every few seconds) is replaced at once however often it
    happens; only a worker that cannot get to serving is backed off and, in the end, given up on."""
    give_up_after: int = 6
    """Early deaths of one worker in a row at which the supervisor stops the server."""

    def delay(self, early_deaths: int) -> float:
        """The pause before the next start after this many early deaths in a row."""
        return 0.0 if early_deaths <= 1 else min(self.first_delay * 2 ** (early_deaths - 2), self.most_delay)


class Worker(Protocol):
    """A started worker, as the supervisor sees it (:class:`WorkerProcess`, or a fake in tests)."""

    pid: int
    serving: bool
    """It reported that it accepts connections."""
    database: tuple[float, str | None] | None
    """Its last check of the database: when (the supervisor's clock) and why it failed (None: fine)."""

    def poll(self) -> int | None:
        """None while it runs; then its exit code, or minus the signal that killed it."""

    def send_signal(self, signum: int) -> None: ...


def describe_exit(code: int) -> str:
    """``killed by SIGKILL``, ``exited with code 1``."""
    if code >= 0:
        return f"exited with code {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


@dataclass
class _Slot:
    """One of the N places a worker serves in."""

    index: int
    worker: Worker | None = None
    started_at: float = 0.0
    serving_since: float | None = None
    early_deaths: int = 0
    """Early deaths in a row."""
    due: float = 0.0
    """While there is no worker: when to start the next one."""
    died_at: float = 0.0
    died_pid: int = 0


class Supervisor:
    """Keeps ``workers`` workers up (see the module's docstring) until a stop or a give-up.

    ``start(index)`` starts a worker; ``clock`` and ``sleep`` are injected for the tests.
    """

    def __init__(self, workers: int, start: Callable[[int], Worker], *, grace: float,
                 policy: RestartPolicy = RestartPolicy(), clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] = time.sleep) -> None:
        self._slots = [_Slot(index) for index in range(workers)]
        self._start_worker = start
        self._grace = grace
        self._policy = policy
        self._clock = clock
        self._sleep = sleep
        self._stop_signal: int | None = None
        self._forced: int | None = None

    # -- what the signal handlers and the health endpoint call -----------------------------------

    def request_stop(self, signum: int) -> None:
        """The first call stops in order, the second at once (from a signal handler: flags only)."""
        if self._stop_signal is None:
            self._stop_signal = signum
        else:
            self._forced = signum

    def readiness(self) -> str | None:
        """None when ready: not stopping, a worker serving and its database checks fine."""
        if self._stop_signal is not None:
            return "draining: the server is stopping"
        serving = [worker for slot in self._slots if (worker := slot.worker) is not None and worker.serving]
        if not serving:
            return "starting: no worker serves yet"
        now = self._clock()
        verdicts = [database_verdict(worker.database, now) for worker in serving]
        return None if None in verdicts else verdicts[0]

    # -- the loop --------------------------------------------------------------------------------

    def run(self) -> int:
        """Supervise until stopped; the exit code (see the module's docstring)."""
        for slot in self._slots:
            self._start(slot)
        while self._stop_signal is None:
            if self._tend():
                self._stop_signal = signal.SIGTERM  # readiness: draining
                self._stop_workers()
                return 1
            self._sleep(TICK)
        return self._stop()

    def _start(self, slot: _Slot) -> None:
        worker = self._start_worker(slot.index)
        now = self._clock()
        slot.worker, slot.started_at, slot.serving_since = worker, now, None
        if slot.died_pid:
            log.warning("worker %d replaced: pid %d started in place of pid %d, %.2f s after its death",
                        slot.index, worker.pid, slot.died_pid, now - slot.died_at,
                        extra={"worker": slot.index, "pid": worker.pid, "replaced_pid": slot.died_pid})
        else:
            log.info("worker %d started: pid %d", slot.index, worker.pid, extra={"worker": slot.index,
                                                                               "pid": worker.pid})

    def _tend(self) -> bool:
        """Note the workers that serve, replace the dead ones; whether to give up."""
        policy = self._policy
        for slot in self._slots:
            now = self._clock()
            worker = slot.worker
            if worker is None:
                if now >= slot.due:
                    self._start(slot)
                continue
            code = worker.poll()
            if code is None:
                if slot.serving_since is None and worker.serving:
                    slot.serving_since = now
                    log.info("worker %d serving: pid %d, %.2f s after its start", slot.index, worker.pid,
                             now - slot.started_at, extra={"worker": slot.index, "pid": worker.pid})
                if slot.serving_since is not None and now - slot.serving_since >= policy.early_within:
                    slot.early_deaths = 0
                continue
            early = slot.serving_since is None or now - slot.serving_since < policy.early_within
            slot.early_deaths = slot.early_deaths + 1 if early else 0
            slot.worker, slot.died_at, slot.died_pid = None, now, worker.pid
            cause = describe_exit(code)
            if slot.early_deaths >= policy.give_up_after:
                when = (f"within {policy.early_within:g} s of serving" if policy.early_within
                        else "before it served")
                log.error("giving up: worker %d died %d times in a row %s (last: pid %d %s); stopping the "
                          "server", slot.index, slot.early_deaths, when, worker.pid, cause,
                          extra={"worker": slot.index, "pid": worker.pid, "cause": cause})
                return True
            delay = policy.delay(slot.early_deaths)
            slot.due = now + delay
            later = f"; restarting it in {delay:g} s ({slot.early_deaths} early death(s) in a row)" if delay else ""
            log.warning("worker %d (pid %d) %s%s", slot.index, worker.pid, cause, later,
                        extra={"worker": slot.index, "pid": worker.pid, "cause": cause})
            if not delay:
                self._start(slot)
        return False

    # -- stopping --------------------------------------------------------------------------------

    def _stop(self) -> int:
        assert self._stop_signal is not None
        live = [slot for slot in self._slots if slot.worker is not None]
        log.info("%s: stopping %d worker(s); the requests in flight have %g s to finish",
                 signal.Signals(self._stop_signal).name, len(live), self._grace)
        clean = self._stop_workers()
        if self._forced is not None:
            return 128 + self._forced
        if clean:
            log.info("stopped")
            return 0
        return 1

    def _stop_workers(self) -> bool:
        """SIGTERM to every worker, then wait for them; whether all stopped cleanly."""
        waiting = {slot.index: slot.worker for slot in self._slots if slot.worker is not None}
        for worker in waiting.values():
            worker.send_signal(signal.SIGTERM)
        deadline = self._clock() + self._grace + STOP_MARGIN
        clean = True
        while waiting:
            if self._forced is not None:
                log.warning("second %s: killing %d worker(s) at once", signal.Signals(self._forced).name,
                            len(waiting))
                self._kill(waiting)
                return False
            if self._clock() > deadline:
                log.error("%d worker(s) still running %g s after the grace period: killed", len(waiting),
                          STOP_MARGIN)
                self._kill(waiting)
                return False
            for index, worker in list(waiting.items()):
                code = worker.poll()
                if code is None:
                    continue
                del waiting[index]
                self._slots[index].worker = None
                if code not in (0, -signal.SIGTERM):  # SIGTERM kills one that had not begun to serve
                    log.warning("worker %d (pid %d) %s while stopping", index, worker.pid, describe_exit(code))
                    clean = False
            if waiting:
                self._sleep(TICK)
        return clean

    def _kill(self, workers: dict[int, Worker]) -> None:
        for worker in workers.values():
            worker.send_signal(signal.SIGKILL)
        for index, worker in workers.items():
            while worker.poll() is None:
                self._sleep(TICK / 10)
            self._slots[index].worker = None


# -- the worker processes ------------------------------------------------------------------------


def _command(*arguments: str) -> list[str]:
    # -P: not the current directory on the module path (the console script does not put it there).
    return [sys.executable, "-P", "-m", "ketenserver.supervisor", *arguments]


class WorkerProcess:
    """A worker in a process of its own: ``python -m ketenserver.supervisor --worker``."""

    def __init__(self, index: int, settings: bytes, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.serving = False
        self.database: tuple[float, str | None] | None = None
        status, status_end = os.pipe()
        try:
            self._process = subprocess.Popen(
                _command("--worker", str(index), "--status-fd", str(status_end)), stdin=subprocess.PIPE,
                pass_fds=(status_end,), start_new_session=True)
        except BaseException:
            os.close(status)
            raise
        finally:
            os.close(status_end)
        self.pid = self._process.pid
        assert self._process.stdin is not None
        self._stdin: IO[bytes] = self._process.stdin
        try:
            self._stdin.write(len(settings).to_bytes(8, "big") + settings)
            self._stdin.flush()
        except OSError:  # it died at once: poll() tells
            pass
        threading.Thread(target=self._listen, args=(status,), name=f"ketenserver-worker-{index}-status",
                         daemon=True).start()

    def _listen(self, status: int) -> None:
        with os.fdopen(status, "rb") as lines:
            for line in lines:
                event, _, detail = line.decode("utf-8", "replace").strip().partition(" ")
                if event == _SERVING:
                    self.serving = True
                elif event == _DATABASE:
                    self.database = (self._clock(), None if detail == "ok" else detail or "unknown")

    def poll(self) -> int | None:
        code = self._process.poll()
        if code is not None and not self._stdin.closed:
            with contextlib.suppress(OSError):  # the unread settings of one that died at once
                self._stdin.close()
        return code

    def send_signal(self, signum: int) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signum)


class _Report:
    """The worker's end of the status pipe (:class:`ketenserver.health.Report`)."""

    def __init__(self, fd: int) -> None:
        self._pipe = os.fdopen(fd, "w", buffering=1, encoding="utf-8")
        self._lock = threading.Lock()
        self.served = False

    def serving(self) -> None:
        self.served = True
        self._send(_SERVING)

    def database(self, reason: str | None) -> None:
        self._send(f"{_DATABASE} {' '.join((reason or 'ok').split())}")

    def _send(self, line: str) -> None:
        # OSError: the supervisor is gone, and the stdin watch stops this worker.
        with self._lock, contextlib.suppress(OSError):
            self._pipe.write(line + "\n")


def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        piece = os.read(fd, size - len(data))
        if not piece:
            raise EOFError("the supervisor went away before it sent the settings")
        data += piece
    return data


def _stop_when_orphaned() -> None:
    """Stdin ends when the supervisor is gone: stop as on SIGTERM (the supervisor never writes more)."""
    while os.read(0, 4096):
        pass
    log.warning("the supervisor is gone: stopping")
    os.kill(os.getpid(), signal.SIGTERM)


def _work(index: int, status_fd: int) -> int:
    settings = pickle.loads(_read_exactly(0, int.from_bytes(_read_exactly(0, 8), "big")))  # noqa: S301 (our parent's)
    from ketenserver.logs import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    report = _Report(status_fd)
    threading.Thread(target=_stop_when_orphaned, name="ketenserver-orphaned", daemon=True).start()
    try:
        from ketenserver.server import serve_worker

        return serve_worker(settings, reuse_port=True, report=report)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        log.exception("worker %d %s: %s: %s", index, "failed" if report.served else "could not start",
                      type(error).__name__, error, extra={"worker": index})
        return 1


# -- the supervising process ---------------------------------------------------------------------


def exec_supervisor(settings: Settings) -> NoReturn:
    """Replace this process (same pid) by the supervisor of ``settings.worker_count`` workers.

    The settings go over in an unnamed temporary file (they may hold a database password)."""
    handoff = tempfile.TemporaryFile()  # noqa: SIM115 (it must outlive this function: exec keeps it open)
    handoff.write(pickle.dumps(settings))
    handoff.flush()
    os.lseek(handoff.fileno(), 0, os.SEEK_SET)
    os.set_inheritable(handoff.fileno(), True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, _command("--settings-fd", str(handoff.fileno())))  # noqa: S606 (no shell wanted)


def _supervise(settings_fd: int) -> int:
    with os.fdopen(settings_fd, "rb") as handoff:
        settings: Settings = pickle.load(handoff)  # noqa: S301 (written by this process before its exec)
    from ketenserver.logs import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    blob = pickle.dumps(settings)
    supervisor = Supervisor(settings.worker_count, lambda index: WorkerProcess(index, blob),
                            grace=settings.shutdown_grace_seconds)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: supervisor.request_stop(number))
    health = None
    if settings.health_port:
        try:
            health = HealthServer(settings.host, settings.health_port, supervisor.readiness)
        except OSError as error:
            log.error("cannot open the health port %s:%d: %s", settings.host, settings.health_port, error)
            return 2
        health.start()
    log.info("supervising %d workers", settings.worker_count)
    try:
        return supervisor.run()
    finally:
        if health is not None:
            health.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ketenserver.supervisor",
                                     description="started by `ketenserver serve`, not by hand")
    parser.add_argument("--settings-fd", type=int, help="supervise: the settings to read from this descriptor")
    parser.add_argument("--worker", type=int, help="serve as this worker: settings on stdin")
    parser.add_argument("--status-fd", type=int, help="the worker's pipe to the supervisor")
    args = parser.parse_args(argv)
    if args.worker is not None and args.status_fd is not None:
        return _work(args.worker, args.status_fd)
    if args.settings_fd is not None:
        return _supervise(args.settings_fd)
    parser.error("give --settings-fd, or --worker and --status-fd")


if __name__ == "__main__":
    from ketenserver.supervisor import main as _main  # the module proper, not this __main__ copy

    sys.exit(_main())
