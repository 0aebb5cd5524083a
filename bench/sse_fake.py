#!/usr/bin/python3
"""A lean streaming OpenAI upstream for bench/run.sh's streaming table (Python 3 stdlib only).

Every POST is answered with the same chat.completion.chunk SSE stream, whatever its path
and body: the role event and the first content event in one write, right after the head,
then EVENTS - 1 more content events GAP_MS apart, the finish_reason event, the usage event
when the request asked for it (`"include_usage":true`, which llm-edge always sends because
it bills from it), and `data: [DONE]`. The first two go out together so that every proxy
can release its first event at once: llm-edge holds a stream's head and role event back
until content starts (docs/http-api.md, "Fallback before content"), and a fake that waited
between them would charge that wait to llm-edge alone.

This is not tests/fakes/fake_openai.py: that one parses and records every request for
tests, this one does as little as a server can per request, so that at 8 concurrent
streams it is never what the benchmark measures. It binds every --port (several ports =
several deployments of one model) and prints `LISTENING p1 p2 ...` when ready.

    /usr/bin/python3 bench/sse_fake.py --port 0 [--port 0 ...] [--events 5] [--gap-ms 2]
"""
import argparse
import asyncio
import json
import socket
import sys

HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n")
ID = "chatcmpl-bench-stream"


def event(obj):
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


def chunk(delta, finish=None):
    return event({"id": ID, "object": "chat.completion.chunk", "created": 1718345014,
                  "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_bench",
                  "choices": [{"index": 0, "delta": delta, "logprobs": None,
                               "finish_reason": finish}]})


def http_chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


class Answers:
    """The byte strings of one stream, built once."""

    def __init__(self, events):
        self.first = HEAD + http_chunk(chunk({"role": "assistant", "content": ""}) +
                                       chunk({"content": "Hello!"}))
        self.middle = [http_chunk(chunk({"content": " tok%d" % i})) for i in range(1, events)]
        self.finish = chunk({}, "stop")
        self.usage = event({"id": ID, "object": "chat.completion.chunk", "created": 1718345014,
                            "model": "gpt-4o-mini-2024-07-18", "choices": [],
                            "usage": {"prompt_tokens": 19, "completion_tokens": events,
                                      "total_tokens": 19 + events}})
        self.done = b"data: [DONE]\n\n"

    def last(self, with_usage):
        body = self.finish + (self.usage if with_usage else b"") + self.done
        return http_chunk(body) + b"0\r\n\r\n"


class Conn(asyncio.Protocol):
    def __init__(self, answers, gap_s):
        self.answers = answers
        self.gap_s = gap_s
        self.buf = b""
        self.queue = []          # request bodies waiting for their turn (pipelining)
        self.busy = False
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data):
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].decode("latin-1").lower()
            rest = self.buf[end + 4:]
            length = 0
            chunked = False
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding" and "chunked" in value:
                    chunked = True
            if chunked:
                body, used = self.dechunk(rest)
                if body is None:
                    return
                self.buf = rest[used:]
            else:
                if len(rest) < length:
                    return
                body, self.buf = rest[:length], rest[length:]
            self.queue.append(body)
            if not self.busy:
                self.busy = True
                asyncio.ensure_future(self.serve())

    @staticmethod
    def dechunk(data):
        """(body, bytes used) of a whole chunked body, or (None, 0) while incomplete."""
        body, pos = b"", 0
        while True:
            eol = data.find(b"\r\n", pos)
            if eol < 0:
                return None, 0
            size = int(data[pos:eol].split(b";")[0], 16)
            if size == 0:
                end = data.find(b"\r\n\r\n", eol)  # no trailers expected: "0\r\n\r\n"
                return (body, end + 4) if end >= 0 else (None, 0)
            if len(data) < eol + 2 + size + 2:
                return None, 0
            body += data[eol + 2:eol + 2 + size]
            pos = eol + 2 + size + 2

    async def serve(self):
        a = self.answers
        while self.queue and not self.transport.is_closing():
            body = self.queue.pop(0)
            with_usage = b'"include_usage":true' in body.replace(b" ", b"")
            self.transport.write(a.first)
            for piece in a.middle:
                if self.gap_s:
                    await asyncio.sleep(self.gap_s)
                if self.transport.is_closing():
                    return
                self.transport.write(piece)
            if self.gap_s:
                await asyncio.sleep(self.gap_s)
            if self.transport.is_closing():
                return
            self.transport.write(a.last(with_usage))
        self.busy = False


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, action="append", default=[])
    p.add_argument("--events", type=int, default=5, help="content events per stream")
    p.add_argument("--gap-ms", type=float, default=2.0, help="wait between content events")
    args = p.parse_args()
    answers = Answers(max(1, args.events))
    loop = asyncio.get_running_loop()
    servers = []
    for port in args.port or [0]:
        servers.append(await loop.create_server(lambda: Conn(answers, args.gap_ms / 1000.0),
                                                args.host, port, backlog=4096))
    ports = [s.sockets[0].getsockname()[1] for s in servers]
    print("LISTENING " + " ".join(map(str, ports)), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
