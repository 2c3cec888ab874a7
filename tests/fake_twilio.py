"""A local fake of Twilio's Messages API, for the real SDK to talk to over HTTP.

It runs in a thread of the test process (or the benchmark), so Celery workers in other
processes reach it too. It records every message it accepts — the "exactly once" tests
count those — and can be told to refuse a number with Twilio's own error codes.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from campaigns.sms import count_segments


@dataclass
class FakeTwilio:
    messages: list[dict] = field(default_factory=list)
    # to-number → (HTTP status, Twilio error code, message)
    refuse: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    delay_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        self._ids = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as Twilio's API does: the SDK's pooled session reuses connections.
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                if len(raw) < length:
                    # The client died between headers and body (a killed worker): a real
                    # server never sees a message in that, and has no one to answer.
                    self.close_connection = True
                    return
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                status, payload = fake.create(form)
                self._answer(status, payload)

            def do_GET(self):
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                self._answer(200, fake.list(query))

            def _answer(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeTwilio:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def create(self, form: dict) -> tuple[int, dict]:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        to = form.get("To", "")
        if not to:
            text = "A 'To' phone number is required."
            return 400, {"code": 21604, "message": text, "status": 400}
        if to in self.refuse:
            status, code, text = self.refuse[to]
            return status, {"code": code, "message": text, "status": status}
        with self.lock:
            sid = f"SM{next(self._ids):032x}"
            message = {
                "sid": sid,
                "to": to,
                "from": form.get("From", ""),
                "body": form.get("Body", ""),
                "status": "queued",
                "num_segments": str(count_segments(form.get("Body", "")).count),
                "date_created": format_datetime(datetime.now(UTC)),
                "status_callback": form.get("StatusCallback"),
            }
            self.messages.append(message)
        return 201, message

    def list(self, query: dict) -> dict:
        with self.lock:
            found = [
                m
                for m in reversed(self.messages)
                if m["to"] == query.get("To", m["to"]) and m["from"] == query.get("From", m["from"])
            ]
        size = int(query.get("PageSize", 50))
        return {
            "messages": found[:size],
            "page": 0,
            "page_size": size,
            "next_page_uri": None,
            "uri": "/Messages.json",
        }

    def bodies_to(self, number: str) -> list[str]:
        return [m["body"] for m in self.messages if m["to"] == number]
