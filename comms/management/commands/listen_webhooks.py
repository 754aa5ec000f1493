"""Receive the console's signed webhooks locally and print them (like `stripe listen`).

    python manage.py listen_webhooks --subscription 3          # secret read from the subscription
    python manage.py listen_webhooks --secret whsec_… --port 9999

Point a webhook subscription at http://127.0.0.1:PORT/ and publish an update:
each request is verified with the Standard Webhooks scheme, printed, and
answered 204 (or 400 when the signature does not verify).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from standardwebhooks import Webhook

from comms.models import Subscription

MAX_BODY = 1024 * 1024


def make_server(
    *, host: str, port: int, secret: str, emit: Callable[[str], None]
) -> ThreadingHTTPServer:
    """Return an HTTP server that verifies and prints each webhook it receives."""
    verifier = Webhook(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.send_error(413)
                return
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                event = verifier.verify(body, headers)
            except Exception as exc:  # noqa: BLE001 - any verification failure is a 400
                emit(f"REJECTED {headers.get('webhook-id', '?')}: {exc}")
                self.send_error(400, "signature does not verify")
                return
            data = event.get("data", {}) if isinstance(event, dict) else {}
            summary = (data.get("rendition") or {}).get("summary") or data.get("message") or ""
            emit(f"{headers['webhook-id']} {event.get('type')} {summary}".rstrip())
            emit(json.dumps(event, indent=2, sort_keys=True))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return ThreadingHTTPServer((host, port), Handler)


class Command(BaseCommand):
    help = "Receive signed webhooks on a local port, verify and print them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=9999)
        parser.add_argument("--host", default="127.0.0.1")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--secret", help="The subscription's signing secret (whsec_…).")
        group.add_argument(
            "--subscription", type=int, help="Read the secret of this webhook subscription."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        secret = options["secret"]
        if options["subscription"] is not None:
            sub = Subscription.objects.filter(pk=options["subscription"], channel="webhook").first()
            if sub is None:
                raise CommandError(f"No webhook subscription with id {options['subscription']}.")
            secret = sub.secret
        try:
            server = make_server(
                host=options["host"], port=options["port"], secret=secret, emit=self.stdout.write
            )
        except Exception as exc:  # bad secret or port in use
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Listening on http://{options['host']}:{server.server_port}/ (Ctrl-C to stop)"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
