#!/usr/bin/env python3
"""A webhook receiver for benchmarks (not a test): answers every POST `200 ok` on keep-alive
connections and remembers, per request, when it arrived and the first `fan-…` id in its body.
`GET /stats` returns them as JSON (and forgets them). Only 127.0.0.1; one asyncio loop.

    python3 scripts/bench_receiver.py PORT
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time

ID = re.compile(rb"fan-[A-Za-z]+-\d+-\d+")
seen: list[tuple[float, str]] = []


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length) if length else b""
            if head.startswith(b"GET /stats"):
                out = json.dumps(seen).encode()
                seen.clear()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(out), out))
            else:
                found = ID.search(body)
                seen.append((time.time(), found.group(0).decode() if found else ""))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
        pass
    finally:
        writer.close()


async def main(port: int):
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
