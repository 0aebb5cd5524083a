#!/usr/bin/python3
"""Opens N keep-alive connections to llm-edge, makes one request on each (GET /v1/models
with the key), reads the answer and keeps every connection open.

Prints `READY <open> <failed> <seconds>` once all are done, then holds them until killed
(or --hold seconds). bench/run.sh then reads the node's VmRSS.
"""

import argparse
import asyncio
import resource
import time


async def one(host, port, request, sem, conns, stats):
    async with sem:
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                stats["non200"] += 1
            conns.append(writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            stats["failed"] += 1


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--parallel", type=int, default=256, help="connects in flight at once")
    ap.add_argument("--hold", type=float, default=0, help="seconds to hold; 0 = until killed")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.conns + 64 > hard:
        raise SystemExit("open-file limit %d is too low for %d connections" % (hard, args.conns))
    request = ("GET /v1/models HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n\r\n"
               % (args.host, args.port, args.key)).encode()
    sem = asyncio.Semaphore(args.parallel)
    conns, stats = [], {"failed": 0, "non200": 0}
    t0 = time.time()
    await asyncio.gather(*[one(args.host, args.port, request, sem, conns, stats)
                           for _ in range(args.conns)])
    print("READY open=%d failed=%d non200=%d in %.1fs"
          % (len(conns), stats["failed"], stats["non200"], time.time() - t0), flush=True)
    if args.hold:
        await asyncio.sleep(args.hold)
    else:
        await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
