"""A fast HTTP sink for the benchmarks: counts webhook receipts by `webhook-id`.

Run as `python -m benchkit.sink PORT`: an asyncio server (keep-alive, HTTP/1.1)
that answers every POST with 204 and `GET /stats` with JSON: receipts,
distinct webhook ids, duplicates, signed receipts and the time.time() of the
last receipt. Nothing is written to disk.
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
last_at = 0.0


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global received, duplicates, signed, last_at
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split(" ")[:2]
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    key, _, value = line.partition(":")
                    headers[key.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if length:
                await reader.readexactly(length)
            if method == "GET" and path == "/stats":
                body = json.dumps(
                    {
                        "received": received,
                        "distinct": len(ids),
                        "duplicates": duplicates,
                        "signed": signed,
                        "last_at": last_at,
                    }
                ).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
            else:
                received += 1
                webhook_id = headers.get("webhook-id", "")
                if webhook_id in ids:
                    duplicates += 1
                ids.add(webhook_id)
                if headers.get("webhook-signature", "").startswith("v1,"):
                    signed += 1
                last_at = time.time()
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
