#!/usr/bin/python3
"""Time to first SSE event and to `data: [DONE]` of streaming chat completions, at N
concurrent streams (Python 3 stdlib only). Used by bench/run.sh's streaming table.

N keep-alive connections each send the same streaming POST again and again for DURATION
seconds (after WARMUP seconds whose streams are not counted). For every stream it records,
from the moment the request was written: the time to the first byte of the body that holds
`data:` (the first event), and the time to `data: [DONE]`. A stream counts as good only if
its status is 200, its body holds --expect (the fake's content, so that a proxy answering
an error event fast does not look fast) and `[DONE]`, and the response ended cleanly;
anything else is an error (and the connection is opened again).

    bench/stream_client.py --url http://127.0.0.1:8080/v1/chat/completions --streams 8 \
        --duration 5 -H 'Authorization: Bearer k' --body '{...}' --expect 'Hello!'

Prints one line: `streams=N ok=K errors=E first_p50_us=.. first_p99_us=.. total_p50_us=..
total_p99_us=..` (and the first error seen, if any).
"""
import argparse
import asyncio
import math
import socket
import sys
import time
from urllib.parse import urlsplit


def percentile(sorted_values, p):
    if not sorted_values:
        return 0
    # Nearest rank: the smallest value with at least p % of the values at or below it.
    i = max(0, math.ceil(p / 100.0 * len(sorted_values)) - 1)
    return sorted_values[i]


class Stats:
    def __init__(self):
        self.first = []
        self.total = []
        self.errors = 0
        self.first_error = ""
        self.counting = False

    def error(self, what):
        if self.counting:
            self.errors += 1
            if not self.first_error:
                self.first_error = what


class Stream(asyncio.Protocol):
    """One keep-alive connection that streams one request after another."""

    def __init__(self, request, expect, stats, stop_at, done_future):
        self.request = request
        self.expect = expect
        self.stats = stats
        self.stop_at = stop_at
        self.done = done_future
        self.transport = None
        self.reset()

    def reset(self):
        self.buf = b""
        self.head_done = False
        self.status = 0
        self.chunked = False
        self.length = None
        self.body = b""
        self.t_first = 0
        self.t_done = 0
        self.t0 = 0

    def connection_made(self, transport):
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.send()

    def send(self):
        if time.monotonic() >= self.stop_at:
            self.transport.close()
            return
        self.reset()
        self.t0 = time.perf_counter_ns()
        self.transport.write(self.request)

    def data_received(self, data):
        now = time.perf_counter_ns()
        self.buf += data
        if not self.head_done:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.buf[:end].decode("latin-1").split("\r\n")
            self.buf = self.buf[end + 4:]
            self.head_done = True
            self.status = int(lines[0].split()[1])
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "transfer-encoding" and "chunked" in value.lower():
                    self.chunked = True
                elif name == "content-length":
                    self.length = int(value)
        finished = self.take_body()
        if not self.t_first and b"data:" in self.body:
            self.t_first = now
        if not self.t_done and b"data: [DONE]" in self.body:
            self.t_done = now
        if finished:
            self.finish()

    def take_body(self):
        """Moves decoded body bytes from buf to body; True once the response is complete."""
        if not self.chunked:
            if self.length is None:  # close-delimited: not a keep-alive answer
                self.body += self.buf
                self.buf = b""
                return False
            need = self.length - len(self.body)
            self.body += self.buf[:need]
            self.buf = self.buf[need:]
            return len(self.body) >= self.length
        while True:
            eol = self.buf.find(b"\r\n")
            if eol < 0:
                return False
            size = int(self.buf[:eol].split(b";")[0], 16)
            if size == 0:
                if self.buf.find(b"\r\n", eol + 2) < 0:  # the empty line after the last chunk
                    return False
                self.buf = self.buf[self.buf.find(b"\r\n", eol + 2) + 2:]
                return True
            if len(self.buf) < eol + 2 + size + 2:
                return False
            self.body += self.buf[eol + 2:eol + 2 + size]
            self.buf = self.buf[eol + 2 + size + 2:]

    def finish(self):
        s = self.stats
        if self.status != 200:
            s.error("status %d: %s" % (self.status, self.body[:200]))
        elif not self.t_done or self.expect not in self.body:
            s.error("stream without %r or [DONE]: %s" % (self.expect, self.body[:200]))
        elif s.counting:
            s.first.append((self.t_first - self.t0) / 1000.0)
            s.total.append((self.t_done - self.t0) / 1000.0)
        self.send()

    def connection_lost(self, exc):
        if self.head_done or self.t0:
            if time.monotonic() < self.stop_at:
                self.stats.error("connection lost: %s" % (exc or "closed by the server"))
        if not self.done.done():
            self.done.set_result(None)


async def one_connection(host, port, request, expect, stats, stop_at):
    loop = asyncio.get_running_loop()
    while time.monotonic() < stop_at:
        done = loop.create_future()
        try:
            await loop.create_connection(
                lambda: Stream(request, expect, stats, stop_at, done), host, port)
        except OSError as e:
            stats.error("connect: %s" % e)
            await asyncio.sleep(0.05)
            continue
        await done


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--streams", type=int, default=1)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("-H", "--header", action="append", default=[])
    p.add_argument("--body", required=True)
    p.add_argument("--expect", default="Hello!")
    args = p.parse_args()

    u = urlsplit(args.url)
    host, port = u.hostname, u.port or 80
    body = args.body.encode()
    head = ["POST %s HTTP/1.1" % (u.path or "/"), "Host: %s:%d" % (host, port),
            "Content-Type: application/json", "Accept: text/event-stream",
            "Content-Length: %d" % len(body)] + args.header
    request = ("\r\n".join(head) + "\r\n\r\n").encode() + body

    stats = Stats()
    loop = asyncio.get_running_loop()
    stop_at = time.monotonic() + args.warmup + args.duration

    def start_counting():
        stats.counting = True
    loop.call_later(args.warmup, start_counting)
    await asyncio.gather(*[one_connection(host, port, request, args.expect.encode(), stats,
                                          stop_at) for _ in range(args.streams)])
    first = sorted(stats.first)
    total = sorted(stats.total)
    print("streams=%d ok=%d errors=%d first_p50_us=%.0f first_p99_us=%.0f total_p50_us=%.0f "
          "total_p99_us=%.0f%s" % (
              args.streams, len(first), stats.errors, percentile(first, 50),
              percentile(first, 99), percentile(total, 50), percentile(total, 99),
              (" first_error=%r" % stats.first_error) if stats.first_error else ""))
    return 0 if first and not stats.errors else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
