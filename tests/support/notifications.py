"""Loopback stand-ins for the outside world that notifications talk to: an
SMTP server (aiosmtpd, the real protocol) and an HTTP receiver for webhooks.
Shared by the notifications and jobs tests; no tests of its own."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from django.contrib.auth.models import User
from pytest_django import Settings

from tests.support.servers import POLL, free_port


class _SmtpHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.refuse:
            self.sink.refused += 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.messages.append(message)
        return "250 Message accepted for delivery"


@dataclass
class SmtpSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives (or, with
    `refuse`, answers every message with a temporary failure)."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: bool = False
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def wait_for(self, count: int, timeout: float = 60.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.05)
        return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def use_smtp(settings: Settings, port: int) -> None:
    """Point Django's EMAIL_* settings (what HOTWASH_SMTP_URL=smtp://127.0.0.1:<port>
    gives) at a plain SMTP server on loopback, for one test (`settings` is
    pytest-django's fixture, which undoes this afterwards)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


@contextlib.contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(_SmtpHandler(sink), hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def bodies(message: EmailMessage) -> tuple[str, str]:
    """The plain-text body and the HTML alternative of a message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "expected text and HTML parts"
    return str(text.get_content()), str(html.get_content())


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookSink:
    """An HTTP server on 127.0.0.1 that records every POST and answers with
    the next status of `statuses` (200 once they run out)."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/hotwash"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.received) < count:
            time.sleep(0.05)
        return list(self.received)


@contextlib.contextmanager
def webhook_sink() -> Iterator[WebhookSink]:
    sink = WebhookSink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with sink.lock:
                sink.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status = sink.statuses.pop(0) if sink.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(POLL,), daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def make_item(owner: User, *, due_on: date, title: str = "Add a canary stage", **extra: Any) -> Any:
    """An action item on a fresh incident, owned by `owner`, due `due_on`
    (set directly, so it can be in the past)."""
    from hotwash.actions.models import ActionItem
    from hotwash.actions.services import create_action_item
    from hotwash.incidents.services import declare_incident

    incident = declare_incident(
        actor=owner, title=extra.pop("incident_title", "Checkout fails"), **extra
    )
    item = create_action_item(actor=owner, title=title, owner=owner, incident=incident)
    ActionItem.objects.filter(pk=item.pk).update(due_on=due_on)
    item.refresh_from_db()
    return item


def drain_sends() -> int:
    """Run every ready task of the default queue in this process; return how
    many of them sent something (every task but `route_event`, which only
    decides the sends: a test counting mails or webhook posts counts these)."""
    from hotwash.jobs.worker import HotwashWorker
    from hotwash.notifications.routing import route_event

    class Worker(HotwashWorker):
        sends = 0

        def run_task(self, db_task_result: Any) -> None:
            super().run_task(db_task_result)
            if db_task_result.task_path != route_event.module_path:
                self.sends += 1

    worker = Worker(worker_id="tests", queue_names=["default"], interval=0, periodic=False)
    worker.drain()
    return worker.sends


@dataclass
class WorkerProcess:
    process: Any
    log_path: Any

    @property
    def log(self) -> str:
        return str(self.log_path.read_text())


@contextlib.contextmanager
def running_workers(
    database: Any, count: int, *args: str, env: dict[str, str] | None = None
) -> Iterator[list[WorkerProcess]]:
    """`count` real `hotwash worker` processes on `database`, started
    together and stopped (SIGTERM) afterwards."""
    import subprocess

    from tests.support.servers import HOTWASH, stop

    workers: list[WorkerProcess] = []
    logs = []
    try:
        for number in range(count):
            log_path = database.data_dir / f"worker-{number}.log"
            log = log_path.open("w")
            logs.append(log)
            process = subprocess.Popen(
                [*HOTWASH, "worker", "--worker-id", f"w{number}", *args],
                env={**database.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
            workers.append(WorkerProcess(process, log_path))
        yield workers
    finally:
        for worker in workers:
            stop(worker.process)
        for log in logs:
            log.close()
