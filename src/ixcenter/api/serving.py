"""``ixc serve``: a master process that reads the looking glass, worker processes that serve.

Reading 500,000 paths from the route servers takes about a minute of CPU (``bench/RESULTS.md``,
"Looking glass"). Done in the process that answers requests, it competes with them for the
interpreter and their p99 triples. So ``ixc serve`` keeps the two apart:

* the **master** opens the listening socket and runs the ``SnapshotRefresher`` on a thread of
  lower CPU priority (``READ_NICE``). It answers no request itself;
* after each refresh it forks a **worker**. The new process starts with the snapshot already in
  its memory: shared with the master page by page until written, and ``gc.freeze`` (done by
  the refresher) keeps the cycle collector from writing to it. The app, built and warmed once
  in the master, is inherited too: the worker takes its snapshot (``adopt``) and serves on the
  inherited socket;
* once the new worker says it serves, the master sends the previous one SIGTERM: it stops
  accepting, answers what still comes on its open connections with ``Connection: close`` and
  exits once their clients have gone (``DRAIN_S`` at most). Meanwhile both accept on the one
  socket, so no connection is refused and no request is lost.

The first worker is forked at once, before the first read: until its snapshot comes, the
looking glass answers that it is still reading. A worker that dies is replaced from the
snapshot of the moment; a new worker that does not come up within ``ready_timeout`` seconds is
killed and the previous one serves on. SIGTERM or SIGINT to the master stops every worker, then
the master.

What a worker counts in memory (the request histograms of ``/metrics``) starts again at each
swap; Prometheus' ``rate()`` reads that as a counter reset.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import NoReturn

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ixcenter.api.app import create_app
from ixcenter.api.looking_glass_lane import render_first_pages, serving_app
from ixcenter.api.routes.looking_glass import refresher_for
from ixcenter.config import Settings
from ixcenter.core.errors import ConfigurationError, IxcError
from ixcenter.registry.db import Registry
from ixcenter.routing.lg_snapshot import EMPTY, Snapshot, SnapshotRefresher

logger = logging.getLogger(__name__)

READ_NICE = 10  # the refresher thread's CPU priority, below the workers'
READY_TIMEOUT_S = 60.0
GRACE_S = 30.0  # how long stopping workers may take to finish their requests
DRAIN_S = 6.0  # a retired worker waits this long at most for its clients to go (uvicorn
# closes a keep-alive connection idle for 5 s)
QUICK_DEATH_S = 5.0  # a worker dead this soon after its start failed to start
MAX_QUICK_DEATHS = 5  # in a row: the master gives up

# called in each worker just after the fork, with the snapshot it is to serve
Adopt = Callable[[SnapshotRefresher], None]


class ServingFailed(IxcError):
    """Workers cannot be started: the master stops."""


@dataclass
class Worker:
    pid: int
    ready_fd: int  # reads b"r" once the worker serves, end of file once it is gone
    born: float
    serving: bool = False
    retiring: bool = False


def listen(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A TCP socket listening on ``host``:``port``, for workers to inherit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    listener.listen(backlog)
    return listener


class _Closing:
    """ASGI wrapper: once ``draining``, every response says ``Connection: close``, so a client
    of a retired worker gets its answer and then opens a new connection (to the new worker)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.draining = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if self.draining and message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending if scope["type"] == "http" else send)


class _WorkerServer(uvicorn.Server):
    """uvicorn, telling the master through ``ready_fd`` once it accepts connections, and
    leaving gently when retired (``shutdown``)."""

    def __init__(self, config: uvicorn.Config, ready_fd: int, closing: _Closing) -> None:
        super().__init__(config)
        self.ready_fd = ready_fd
        self.closing = closing
        self.master = os.getppid()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)
        if self.started:
            os.write(self.ready_fd, b"r")

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Retired (SIGTERM): from now on every answer closes its connection, and the listening
        socket closes as soon as the loop runs, not at uvicorn's next tick (up to 0.1 s later,
        while new connections would still get the old snapshot)."""
        super().handle_exit(sig, frame)
        self.closing.draining = True
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop_accepting)

    def _stop_accepting(self) -> None:
        for server in self.servers:
            server.close()

    async def on_tick(self, counter: int) -> bool:
        if os.getppid() != self.master:  # the master is gone (killed): leave as if retired
            self.handle_exit(signal.SIGTERM, None)
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Accept no more connections, answer what still comes on the open ones with
        ``Connection: close``, and wait (``DRAIN_S`` at most) until their clients have gone;
        then uvicorn's own shutdown. Closing an idle keep-alive connection at once instead
        would race with a request its client is sending (it would be lost, not answered)."""
        self._stop_accepting()
        self.closing.draining = True
        deadline = time.monotonic() + DRAIN_S
        while self.server_state.connections and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # uvicorn has no event for its last connection closing
        await super().shutdown(sockets)


class Master:
    """Runs ``refresher`` and forks workers serving ``app`` on ``listener``; each worker
    first calls ``adopt`` with the snapshot it serves."""

    def __init__(
        self,
        app: ASGIApp,
        adopt: Adopt,
        refresher: SnapshotRefresher,
        listener: socket.socket,
        *,
        log_level: str = "info",
        ready_timeout: float = READY_TIMEOUT_S,
        nice: int = READ_NICE,
    ) -> None:
        self.adopt = adopt
        self.refresher = refresher
        self.listener = listener
        self.closing = _Closing(app)
        # loaded once, here (every worker would spend ~20 ms of its start on it)
        self.config = uvicorn.Config(self.closing, log_level=log_level)
        self.config.load()
        self.ready_timeout = ready_timeout
        self.nice = nice
        self.workers: list[Worker] = []
        self._quick_deaths = 0
        self._stopping = False
        self._forked = threading.Event()
        self._publishing = threading.Lock()
        self._closed = False
        self._published_r, self._published_w = os.pipe()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT; ``ServingFailed`` if workers keep dying."""
        handlers = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        wakeup = signal.set_wakeup_fd(self._wake_w)
        try:
            self._spawn(self.refresher.current)
            self.refresher.published = self._publish
            self.refresher.nice = self.nice
            self.refresher.start()
            while not self._stopping:
                self._step(timeout=1.0)
        finally:
            self.refresher.published = None
            self.refresher.stop(timeout=0)  # a read under way ends with the process
            self._forked.set()
            self._stop_workers()
            signal.set_wakeup_fd(wakeup)
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
            with self._publishing:
                self._closed = True
                for fd in (self._published_r, self._published_w, self._wake_r, self._wake_w):
                    os.close(fd)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _publish(self, snapshot: Snapshot) -> None:
        """On the refresher's thread: have the main thread fork a worker for ``snapshot``,
        and wait for it, so that the fork finds this thread holding no lock and allocating
        nothing."""
        with self._publishing:
            if self._closed:  # the master stops; the thread dies with the process
                return
            self._forked.clear()
            os.write(self._published_w, b"s")
        self._forked.wait(self.ready_timeout)

    def _step(self, timeout: float) -> None:
        starting = [w.ready_fd for w in self.workers if not w.serving]
        watched = [self._wake_r, self._published_r, *starting]
        readable, _, _ = select.select(watched, [], [], timeout)
        if self._wake_r in readable:
            os.read(self._wake_r, 512)
        if self._published_r in readable:
            os.read(self._published_r, 512)
            try:
                if not self._stopping:
                    self._spawn(self.refresher.current)
            except OSError as exc:  # e.g. out of memory: the last worker serves on
                logger.error("serving: no worker for the new snapshot: %s", exc)
            finally:
                self._forked.set()
        for worker in list(self.workers):
            if worker.ready_fd in readable and os.read(worker.ready_fd, 1) == b"r":
                worker.serving = True
                took = time.monotonic() - worker.born
                logger.info("serving: worker %d serves (started in %.2f s)", worker.pid, took)
                self._quick_deaths = 0
                self._retire_before(worker)
        self._reap()
        self._check_starting()

    def _spawn(self, snapshot: Snapshot) -> None:
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            self._work(snapshot, ready_w)
        os.close(ready_w)
        self.workers.append(Worker(pid, ready_r, time.monotonic()))
        built = snapshot.built_at.isoformat() if snapshot.built_at else "none yet"
        logger.info("serving: worker %d started (looking glass read at %s)", pid, built)

    def _work(self, snapshot: Snapshot, ready_fd: int) -> NoReturn:
        """The worker, in the forked child: serve ``snapshot`` until SIGTERM, then exit."""
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            # until uvicorn handles them (a worker retired while it starts), and again after
            # (uvicorn raises what it caught once it has finished the requests)
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, _exit_now)
            inherited = (self._published_r, self._published_w, self._wake_r, self._wake_w)
            for fd in (*inherited, *(w.ready_fd for w in self.workers)):
                os.close(fd)
            gc.enable()
            self.adopt(SnapshotRefresher.holding(snapshot, clock=self.refresher.clock))
            _WorkerServer(self.config, ready_fd, self.closing).run(sockets=[self.listener])
            code = 0
        except BaseException:
            logger.exception("serving: worker %d failed", os.getpid())
        finally:
            logging.shutdown()
            os._exit(code)

    def _retire_before(self, newest: Worker) -> None:
        """SIGTERM to every worker started before ``newest`` (it serves now)."""
        for worker in self.workers:
            if worker is newest:
                return
            if not worker.retiring:
                worker.retiring = True
                _signal(worker.pid, signal.SIGTERM)

    def _reap(self) -> None:
        for worker in list(self.workers):
            pid, status = os.waitpid(worker.pid, os.WNOHANG)
            if pid == 0:
                continue
            self.workers.remove(worker)
            os.close(worker.ready_fd)
            code = os.waitstatus_to_exitcode(status)
            if worker.retiring or self._stopping:
                logger.info("serving: worker %d stopped (%d)", pid, code)
                continue
            logger.error("serving: worker %d died (%d)", pid, code)
            lived = time.monotonic() - worker.born
            self._quick_deaths = self._quick_deaths + 1 if lived < QUICK_DEATH_S else 0
            if self._quick_deaths >= MAX_QUICK_DEATHS:
                raise ServingFailed(
                    f"{self._quick_deaths} workers in a row died on start; see the log above"
                )
            if not any(not w.retiring for w in self.workers):
                self._spawn(self.refresher.current)

    def _check_starting(self) -> None:
        """A new worker that is not serving after ``ready_timeout`` is killed; if no other
        worker serves, the master gives up."""
        now = time.monotonic()
        for worker in self.workers:
            late = not worker.serving and not worker.retiring
            if late and now - worker.born > self.ready_timeout:
                worker.retiring = True
                os.kill(worker.pid, signal.SIGKILL)
                if not any(w.serving and not w.retiring for w in self.workers):
                    raise ServingFailed(
                        f"worker {worker.pid} did not serve within {self.ready_timeout:.0f} s"
                    )
                logger.error(
                    "serving: worker %d did not come up; the last one serves on", worker.pid
                )

    def _stop_workers(self) -> None:
        for worker in self.workers:
            worker.retiring = True
            _signal(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_S
        while self.workers and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.05)
        for worker in self.workers:
            _signal(worker.pid, signal.SIGKILL)
            os.waitpid(worker.pid, 0)
            os.close(worker.ready_fd)
        self.workers.clear()


def _exit_now(signum: int, frame: FrameType | None) -> None:
    os._exit(0)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


WARM_UP = (("/api/v1/.warm-up", b"application/json"), ("/.warm-up", b"text/html"))


def warm(app: ASGIApp) -> None:
    """Requests for pages that do not exist, one for an API client and one for a browser,
    through ``app`` here: FastAPI prepares its routes on the first request that walks them
    (about 0.2 s, ``bench/RESULTS.md``), and every worker would otherwise pay that on its
    first request."""

    async def call(path: str, accept: bytes) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"localhost"), (b"accept", accept)],
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 0),
        }

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            return None

        await app(scope, receive, send)

    for path, accept in WARM_UP:
        asyncio.run(call(path, accept))


def serve(
    registry: Registry,
    settings: Settings,
    listener: socket.socket,
    *,
    refresher: SnapshotRefresher | None = None,
    log_level: str = "info",
) -> None:
    """``ixc serve``: the API and portal of ``registry`` on ``listener``, with the looking
    glass over the route servers of ``settings`` (or what ``refresher`` reads), until SIGTERM
    or SIGINT. The app is built once, here, and every worker inherits it: a worker only needs
    its snapshot and connections of its own, and starts serving in milliseconds."""
    if refresher is None:
        refresher = refresher_for(settings)
    if refresher.prepare is None:
        refresher.prepare = render_first_pages
    app = create_app(registry, settings, snapshots=SnapshotRefresher.holding(EMPTY))
    served = serving_app(app)
    warm(served)

    def adopt(snapshots: SnapshotRefresher) -> None:
        registry.forked()
        app.state.looking_glass = snapshots

    Master(served, adopt, refresher, listener, log_level=log_level).run()
