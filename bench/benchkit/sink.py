"""A fast HTTP sink for the benchmarks: counts webhook receipts by `webhook-id`.

Run as `python -m benchkit.sink PORT`: an asyncio server (keep-alive, HTTP/1.1)
that answers every POST with 204 and `GET /stats` with JSON: receipts,
distinct webhook ids, duplicates, signed receipts and the time.time() of the
first and the last receipt. Nothing is written to disk.

A protocol, not streams, and only the three headers it needs are read: the
sink shares the machine's cores with the workers it measures, so each
receipt should cost it as little as possible.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

received = 0
ids: set[str] = set()
duplicates = 0
signed = 0
first_at = 0.0
last_at = 0.0

NO_CONTENT = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"


def stats() -> bytes:
    body = json.dumps(
        {
            "received": received,
            "distinct": len(ids),
            "duplicates": duplicates,
            "signed": signed,
            "first_at": first_at,
            "last_at": last_at,
        }
    ).encode()
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def receipt(headers: dict[bytes, bytes]) -> None:
    global received, duplicates, signed, first_at, last_at
    received += 1
    webhook_id = headers.get(b"webhook-id", b"").decode()
    if webhook_id in ids:
        duplicates += 1
    ids.add(webhook_id)
    if headers.get(b"webhook-signature", b"").startswith(b"v1,"):
        signed += 1
    last_at = time.time()
    first_at = first_at or last_at


class Sink(asyncio.Protocol):
    """One connection: requests are parsed from a buffer as their bytes arrive."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.buffer[:end].split(b"\r\n")
            headers = {}
            for line in lines[1:]:
                key, _, value = line.partition(b":")
                headers[key.strip().lower()] = value.strip()
            length = int(headers.get(b"content-length", b"0"))
            if len(self.buffer) < end + 4 + length:
                return  # the body is still arriving
            self.buffer = self.buffer[end + 4 + length :]
            if lines[0].startswith(b"GET /stats "):
                self.transport.write(stats())  # type: ignore[attr-defined]
            else:
                receipt(headers)
                self.transport.write(NO_CONTENT)  # type: ignore[attr-defined]


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Sink, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
