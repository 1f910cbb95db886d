"""``ixc serve``'s master and workers, as processes: the master reads, forks a worker per
snapshot, retires the previous one without a failed request, replaces a dead one, and gives
up (non-zero) when workers cannot start. Everything on loopback, stopped by PID."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from ixcenter.api.app import create_app
from ixcenter.api.serving import DRAIN_S, MAX_QUICK_DEATHS, READ_NICE, WARM_UP, warm
from ixcenter.registry.db import Registry
from tests.api.serving_subject import EXIT_FAILED

SERVERS = "/api/v1/looking-glass/servers"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(p) for p in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def nice_values(pid: int) -> list[int]:
    """The nice value of each thread of ``pid`` (field 19 of ``/proc/PID/task/TID/stat``)."""
    values = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        values.append(int(fields[16]))
    return values


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


class Subject:
    def __init__(self, directory: Path, *extra: str) -> None:
        self.port = free_port()
        self.log = directory / "serving.log"
        argv = [sys.executable, "-m", "tests.api.serving_subject", str(self.port), str(directory)]
        with self.log.open("w") as log:
            # a session of its own: its workers can be killed with it if a test fails
            self.process = subprocess.Popen(
                [*argv, *extra], stdout=log, stderr=log, start_new_session=True
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def servers(self, client: httpx.Client) -> list[dict]:  # type: ignore[type-arg]
        answer = client.get(SERVERS)
        assert answer.status_code == 200, answer.text
        return list(answer.json())

    def wait_serving(self, timeout: float = 60.0) -> None:
        """Until the looking glass answers with a snapshot."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(self.url + SERVERS, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"not serving after {timeout:.0f} s:\n{self.log.read_text()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@pytest.fixture
def subjects(tmp_path: Path) -> Iterator[list[Subject]]:
    started: list[Subject] = []
    yield started
    for subject in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(subject.process.pid, signal.SIGKILL)
        subject.process.wait()


def test_each_snapshot_gets_a_worker_and_no_request_fails_while_they_swap(
    tmp_path: Path, subjects: list[Subject]
) -> None:
    subject = Subject(tmp_path, "--interval", "0.5")
    subjects.append(subject)
    subject.wait_serving()
    assert max(nice_values(subject.process.pid)) == READ_NICE  # the refresher's thread
    paths_seen: set[int] = set()
    workers: set[int] = set()
    failures: list[str] = []
    most_at_once = 0
    deadline = time.monotonic() + 8
    with httpx.Client(base_url=subject.url, timeout=10) as client:
        while time.monotonic() < deadline:
            try:
                answer = client.get(SERVERS)
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
                continue
            if answer.status_code != 200:
                failures.append(f"{answer.status_code} {answer.text[:200]}")
                continue
            paths_seen.add(answer.json()[0]["paths"])
            now = children(subject.process.pid)
            workers |= now
            most_at_once = max(most_at_once, len(now))
    assert failures == [], failures[:5]
    assert len(paths_seen) >= 4, paths_seen  # every snapshot read grows by one path
    assert len(workers) >= 4, workers
    assert most_at_once <= 3  # old ones are retired, not piled up
    assert all(max(nice_values(pid)) == 0 for pid in children(subject.process.pid))
    assert subject.stop() == 0, subject.log.read_text()
    assert not [pid for pid in workers if alive(pid)]


def one_worker(directory: Path, subjects: list[Subject]) -> tuple[Subject, int]:
    """A subject that reads once, and the one worker serving that read."""
    subject = Subject(directory, "--interval", "3600")
    subjects.append(subject)
    subject.wait_serving()
    deadline = time.monotonic() + 30
    while len(children(subject.process.pid)) != 1:  # the first worker retired
        assert time.monotonic() < deadline
        time.sleep(0.1)
    (worker,) = children(subject.process.pid)
    return subject, worker


def test_a_dead_worker_is_replaced(tmp_path: Path, subjects: list[Subject]) -> None:
    subject, worker = one_worker(tmp_path, subjects)
    subject.process.send_signal(signal.SIGSTOP)  # no replacement before the kill is seen
    try:
        subprocess.run(["kill", "-KILL", str(worker)], check=True)
    finally:
        subject.process.send_signal(signal.SIGCONT)
    subject.wait_serving()
    with httpx.Client(base_url=subject.url, timeout=10) as client:
        assert subject.servers(client)[0]["paths"] == 1  # the snapshot it had
    replacement = children(subject.process.pid)
    assert len(replacement) == 1 and worker not in replacement
    assert "died" in subject.log.read_text()
    assert subject.stop() == 0


def test_workers_that_cannot_start_stop_the_master(tmp_path: Path, subjects: list[Subject]) -> None:
    subject = Subject(tmp_path, "--broken")
    subjects.append(subject)
    assert subject.process.wait(timeout=120) == EXIT_FAILED
    log = subject.log.read_text()
    assert "this worker fails on purpose" in log
    assert f"{MAX_QUICK_DEATHS} workers in a row died on start" in log
    started = [int(pid) for pid in re.findall(r"worker (\d+) started", log)]
    assert len(started) == MAX_QUICK_DEATHS
    assert not [pid for pid in started if alive(pid)]


def test_warming_sends_a_request_for_a_client_and_one_for_a_browser(registry: Registry) -> None:
    answers: list[tuple[str, int, str]] = []
    app = create_app(registry)

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message["headers"])
                answers.append((scope["path"], message["status"], headers[b"content-type"]))
            await send(message)

        await app(scope, receive, sending)

    warm(recording)
    assert [(path, status) for path, status, _ in answers] == [(path, 404) for path, _ in WARM_UP]
    assert answers[0][2] == b"application/problem+json"
    assert answers[1][2].startswith(b"text/html")


def test_workers_leave_when_their_master_is_killed(tmp_path: Path, subjects: list[Subject]) -> None:
    subject, worker = one_worker(tmp_path, subjects)
    subject.process.kill()
    subject.process.wait()
    deadline = time.monotonic() + DRAIN_S + 10
    while alive(worker) and "State:\tZ" not in Path(f"/proc/{worker}/status").read_text():
        assert time.monotonic() < deadline, "the worker outlived its master"
        time.sleep(0.1)
