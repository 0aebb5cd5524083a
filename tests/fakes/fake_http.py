"""The HTTP/1.1 server under every fake provider: Python 3 standard library only.

A raw asyncio server (keep-alive, pipelining, Content-Length and chunked request bodies,
`Expect: 100-continue`, HTTP/1.0 clients), optional TLS, and the command line the fakes
share (run_fake). What to answer is the fake's: `server.handle(conn, req)`. See README.md.
"""

import argparse
import asyncio
import json
import resource
import socket
import ssl
import struct
import sys

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024

# The answer to a request that is not even HTTP (OpenAI's error shape, whichever the fake).
BAD_REQUEST = {"error": {"message": "bad request", "type": "invalid_request_error",
                         "param": None, "code": None}}


class HttpError(Exception):
    """A request that cannot be parsed; the connection is answered and closed."""


REASONS = {100: "Continue", 200: "OK", 400: "Bad Request", 401: "Unauthorized",
           404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large",
           429: "Too Many Requests", 431: "Request Header Fields Too Large",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
           504: "Gateway Timeout", 529: "Overloaded"}


class Request:
    def __init__(self, method, path, version, headers, body):
        self.method = method
        self.path = path
        self.version = version      # "HTTP/1.1" or "HTTP/1.0"
        self.headers = headers      # list of (name, value), names as sent
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in reversed(self.headers):
            if k.lower() == name:
                return v
        return None

    def keep_alive(self):
        conn = (self.header("connection") or "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn


class Connection:
    """One client connection: a byte buffer over the stream and the request loop."""

    def __init__(self, server, reader, writer):
        self.server = server
        self.reader = reader
        self.writer = writer
        self.buf = bytearray()
        self.eof = False

    async def fill(self):
        data = await self.reader.read(65536)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    async def read_until(self, sep, limit):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[:i + len(sep)]
                return out
            if len(self.buf) > limit:
                raise HttpError(431)
            if not await self.fill():
                return None

    async def read_exact(self, n):
        while len(self.buf) < n:
            if not await self.fill():
                raise HttpError(400)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    async def read_request(self):
        head = await self.read_until(b"\r\n\r\n", MAX_HEADER_BYTES)
        if head is None:
            return None
        lines = head.decode("latin-1").split("\r\n")
        while lines and lines[0] == "":   # tolerate stray CRLF between requests
            lines.pop(0)
        parts = lines[0].split(" ") if lines else []
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise HttpError(400)
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise HttpError(400)
            headers.append((name, value.strip()))
        req = Request(parts[0], parts[1], parts[2], headers, b"")
        if (req.header("expect") or "").lower() == "100-continue":
            self.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        te = (req.header("transfer-encoding") or "").lower()
        if te:
            if te != "chunked":
                raise HttpError(400)
            req.body = await self.read_chunked()
        elif req.header("content-length") is not None:
            try:
                n = int(req.header("content-length"))
            except ValueError:
                raise HttpError(400)
            if n < 0 or n > MAX_BODY_BYTES:
                raise HttpError(413 if n > 0 else 400)
            req.body = await self.read_exact(n)
        return req

    async def read_chunked(self):
        body = bytearray()
        while True:
            line = await self.read_until(b"\r\n", 4096)
            if line is None:
                raise HttpError(400)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise HttpError(400)
            if size == 0:
                while True:   # trailers up to the empty line
                    t = await self.read_until(b"\r\n", MAX_HEADER_BYTES)
                    if t is None:
                        raise HttpError(400)
                    if t == b"":
                        return bytes(body)
            if len(body) + size > MAX_BODY_BYTES:
                raise HttpError(413)
            body += await self.read_exact(size)
            if await self.read_exact(2) != b"\r\n":
                raise HttpError(400)

    def reset(self):
        """Close with RST, as a crashed or cut-off upstream would."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        self.writer.transport.abort()

    def send(self, status, body, content_type="application/json", extra=(), keep_alive=True):
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body, separators=(",", ":")).encode()
        head = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Status")),
                "Content-Type: " + content_type,
                "Content-Length: %d" % len(body),
                "Connection: " + ("keep-alive" if keep_alive else "close")]
        head += ["%s: %s" % kv for kv in extra]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    async def serve(self):
        try:
            while True:
                try:
                    req = await self.read_request()
                except HttpError as e:
                    status = e.args[0]
                    self.send(status, BAD_REQUEST, keep_alive=False)
                    await self.writer.drain()
                    return
                if req is None:
                    return
                keep = await self.server.handle(self, req)
                await self.writer.drain()
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if not self.writer.transport.is_closing():
                self.writer.close()


def run_fake(make_fake, faults_class, fault_example, add_arguments=None):
    """The command line every fake shares (--host, --port, --cert/--key, --fault, plus any
    arguments `add_arguments(parser)` adds): raises the open-file limit, listens, prints
    `LISTENING <port>` and serves until interrupted. `make_fake(args)` builds the server."""
    ap = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert", help="PEM certificate (chain): serve HTTPS")
    ap.add_argument("--key", help="PEM private key for --cert")
    ap.add_argument("--fault", default="", help="switches applied to every request, e.g. "
                    "%s (same syntax as after '@' in a model name)" % fault_example)
    if add_arguments is not None:
        add_arguments(ap)
    args = ap.parse_args()
    faults_class(args.fault)   # reject a bad --fault before listening
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)

    async def serve():
        fake = make_fake(args)
        server = await asyncio.start_server(fake.on_connection, args.host, args.port, ssl=ctx,
                                            backlog=4096, limit=MAX_HEADER_BYTES)
        print("LISTENING %d" % server.sockets[0].getsockname()[1], flush=True)
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        sys.exit(0)
