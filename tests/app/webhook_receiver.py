"""A real HTTP receiver for webhook tests: http.server in a thread on 127.0.0.1 (a random
port), which keeps every request and answers with the status codes it is given in turn
(200 once they are used up)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: Message  # looked up case-insensitively (urllib sends X-alis-event)
    body: bytes


@dataclass
class Receiver:
    url: str = ""
    answers: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    delay: float = 0.0  # seconds before each answer (a receiver that takes its time)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> int:
        with self.lock:
            return self.answers.pop(0) if self.answers else 200


def start(receiver: Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.requests.append(Received(self.path, self.headers, body))
            status = receiver.answer()
            if receiver.delay:
                time.sleep(receiver.delay)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format, *args):  # noqa: A002 - quiet in tests
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_port}/hooks/alis"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
