#!/usr/bin/env python3
"""A webhook receiver for benchmarks: answers every POST 204 as fast as it can, counts them and
notes the first and last arrival. GET /stats answers {"count", "first", "last"} (Unix seconds).

usage: webhook_sink.py PORT
"""
import asyncio
import json
import sys
import time

STATS = {"count": 0, "first": None, "last": None}


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method = lines[0].split(" ", 1)[0]
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            if length:
                await reader.readexactly(length)
            if method == "GET":
                body = json.dumps(STATS).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
            else:
                now = time.time()
                STATS["count"] += 1
                STATS["first"] = STATS["first"] or now
                STATS["last"] = now
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()


asyncio.run(main())
