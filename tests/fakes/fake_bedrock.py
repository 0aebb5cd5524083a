#!/usr/bin/python3
"""A fake Amazon Bedrock Runtime for llm-edge's tests: Python 3 standard library only.

It checks the AWS Signature Version 4 of every request (403 InvalidSignatureException when
it does not match), and speaks Bedrock's wire format: Converse (JSON), ConverseStream (the
application/vnd.amazon.eventstream binary framing, CRC32s and `p` padding included) and
InvokeModel for Titan and Cohere embeddings. The HTTP/1.1 machinery, the fault switches and
the /_fake/ control paths are fake_openai.py's, imported. See README.md beside this file.

First stdout line: `LISTENING <port>`.
"""

import datetime
import hashlib
import hmac
import json
import os
import re
import struct
import sys
import time
import urllib.parse
import zlib

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_http import run_fake  # noqa: E402
from fake_openai import TOOL_PIECES, FakeOpenAI, Faults  # noqa: E402

DEFAULT_ACCESS_KEY = "AKIDEXAMPLE"
DEFAULT_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you "
                      "provided. Check your AWS Secret Access Key and signing method. Consult "
                      "the service documentation for details.")
PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

# Fault status -> (Bedrock error type, message), as Bedrock Runtime names them.
ERRORS = {
    400: ("ValidationException", "Malformed input request, please reformat your input and try "
                                 "again."),
    403: ("AccessDeniedException", "You don't have access to the model with the specified "
                                   "model ID."),
    404: ("ResourceNotFoundException", "Could not resolve the foundation model from the "
                                       "provided model identifier."),
    408: ("ModelTimeoutException", "Model has timed out in processing the request."),
    424: ("ModelErrorException", "The model failed to process the request."),
    429: ("ThrottlingException", "Too many requests, please wait before trying again."),
    500: ("InternalServerException", "The server encountered an internal error while processing "
                                     "the request."),
    503: ("ServiceUnavailableException", "Bedrock is unable to process your request."),
}


class BedrockFaults(Faults):
    """fake_openai's switches plus @exception_in_stream."""

    def __init__(self, spec=""):
        self.exception_in_stream = False
        super().__init__(spec)

    def apply(self, spec):
        rest = []
        for sw in filter(None, spec.replace(",", "@").split("@")):
            if sw == "exception_in_stream":
                self.exception_in_stream = True
            else:
                rest.append(sw)
        return super().apply("@".join(rest))


# ---- SigV4 (the reference the C++ signer is checked against) ----

def normalize_path(path):
    """Empty and '.' segments dropped, '..' applied, a trailing slash kept (as AWS's SDKs)."""
    segments = []
    for seg in path.split("/"):
        if seg == "..":
            if segments:
                segments.pop()
        elif seg not in ("", "."):
            segments.append(seg)
    out = "".join("/" + s for s in segments)
    if not out or path.endswith("/"):
        out += "/"
    return out


def canonical_uri(raw_path):
    """The path as received (latin-1 text of its bytes), normalized and URI-encoded again."""
    return urllib.parse.quote(normalize_path(raw_path).encode("latin-1"), safe="/~")


def canonical_query(raw_query):
    params = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        params.append(tuple(urllib.parse.quote(urllib.parse.unquote_to_bytes(x), safe="~")
                            for x in (name, value)))
    return "&".join("%s=%s" % p for p in sorted(params))


def canonical_headers(headers, signed):
    lines = []
    for name in signed:
        values = [" ".join(v.split()) for k, v in headers if k.lower() == name]
        if not values:
            return None
        lines.append("%s:%s\n" % (name, ",".join(values)))
    return "".join(lines)


def hmac256(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signature(secret, date, region, service, string_to_sign):
    key = hmac256(("AWS4" + secret).encode(), date)
    for part in (region, service, "aws4_request"):
        key = hmac256(key, part)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,"
                     r" ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})")


def verify_sigv4(req, access_key, secret_key, max_skew_s):
    """(None, scope info) when the signature is right, else ((status, type, message), info)."""
    m = AUTH_RE.fullmatch(req.header("authorization") or "")
    if not m:
        return (403, "IncompleteSignatureException",
                "Authorization header requires a SigV4 Credential, SignedHeaders and "
                "Signature."), {}
    akid, date, region, service, signed_list, sig = m.groups()
    info = {"access_key_id": akid, "region": region, "service": service}
    if akid != access_key:
        return (403, "UnrecognizedClientException",
                "The security token included in the request is invalid."), info
    signed = signed_list.split(";")
    amz_date = req.header("x-amz-date") or ""
    if "host" not in signed or "x-amz-date" not in signed or not amz_date.startswith(date):
        return (403, "IncompleteSignatureException",
                "Host and X-Amz-Date must be signed, and the scope's date match."), info
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
        skew = abs(when.replace(tzinfo=datetime.timezone.utc).timestamp() - time.time())
    except ValueError:
        skew = float("inf")
    if max_skew_s and skew > max_skew_s:
        return (403, "InvalidSignatureException",
                "Signature expired: %s is now earlier or later than the allowed skew." %
                amz_date), info
    payload_hash = hashlib.sha256(req.body).hexdigest()
    sent_hash = req.header("x-amz-content-sha256")
    if sent_hash is not None and sent_hash != payload_hash:
        return (400, "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was "
                "computed."), info
    path, _, query = req.path.partition("?")
    headers = canonical_headers(req.headers, signed)
    if headers is None:
        return (403, "IncompleteSignatureException", "A signed header is missing."), info
    creq = "\n".join([req.method, canonical_uri(path), canonical_query(query), headers,
                      signed_list, payload_hash])
    scope = "%s/%s/%s/aws4_request" % (date, region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode("latin-1")).hexdigest()])
    if not hmac.compare_digest(signature(secret_key, date, region, service, sts), sig):
        return (403, "InvalidSignatureException", SIGNATURE_MISMATCH), info
    return None, info


# ---- event stream ----

def event_message(headers, payload):
    """One application/vnd.amazon.eventstream message with string headers, both CRCs set."""
    block = b""
    for name, value in headers:
        n, v = name.encode(), value.encode()
        block += struct.pack(">B", len(n)) + n + b"\x07" + struct.pack(">H", len(v)) + v
    total = 12 + len(block) + len(payload) + 4
    prelude = struct.pack(">II", total, len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    msg = prelude + block + payload
    return msg + struct.pack(">I", zlib.crc32(msg))


def event(event_type, body):
    return event_message([(":event-type", event_type), (":content-type", "application/json"),
                          (":message-type", "event")],
                         json.dumps(body, separators=(",", ":")).encode())


def exception(exception_type, message):
    return event_message([(":exception-type", exception_type),
                          (":content-type", "application/json"),
                          (":message-type", "exception")],
                         json.dumps({"message": message}).encode())


def words(value):
    return len(value.split()) if isinstance(value, str) else 0


def block_words(blocks):
    """Words in the text of Converse content blocks (tool results' text included)."""
    n = 0
    for b in blocks if isinstance(blocks, list) else []:
        if isinstance(b, dict):
            n += words(b.get("text"))
            result = b.get("toolResult")
            if isinstance(result, dict):
                n += block_words(result.get("content"))
    return n


class FakeBedrock(FakeOpenAI):
    def __init__(self, default_faults, access_key, secret_key, max_skew_s):
        super().__init__(default_faults)
        self.access_key = access_key
        self.secret_key = secret_key
        self.max_skew_s = max_skew_s

    def error(self, conn, status, etype, message, keep, extra=()):
        # Bedrock names the error in x-amzn-ErrorType; `__type` in the body as well lets a
        # reader that only sees the body (ClassifyError) name it too.
        extra = [("x-amzn-ErrorType", etype + ":http://internal.amazon.com/coral/com.amazon."
                  "bedrock/"), ("x-amzn-RequestId", "fake-%d" % self.counter)] + list(extra)
        conn.send(status, {"message": message, "__type": etype}, extra=extra, keep_alive=keep)
        return keep

    async def handle(self, conn, req):
        """Answers one request; returns whether the connection stays open."""
        path = req.path.split("?")[0]
        keep = req.keep_alive()
        if path.startswith("/_fake/"):
            return self.control(conn, req, path, keep)
        self.stats["requests"] += 1
        self.record(req)
        failure, info = verify_sigv4(req, self.access_key, self.secret_key, self.max_skew_s)
        self.last_request["sigv4"] = dict(info, ok=failure is None)
        if failure:
            return self.error(conn, *failure, keep)
        m = re.fullmatch(r"/model/([^/]+)/(converse|converse-stream|invoke)", path)
        if not m or req.method != "POST":
            return self.error(conn, 404, "UnknownOperationException",
                              "Unknown operation %s %s" % (req.method, path), keep)
        model = urllib.parse.unquote(m.group(1))
        try:
            body = json.loads(req.body)
            if not isinstance(body, dict):
                raise ValueError("not an object")
            base, _, switches = model.partition("@")
            faults = BedrockFaults(self.default_faults).apply(switches)
        except ValueError as e:
            return self.error(conn, 400, "ValidationException", str(e), keep)
        keep = keep and not faults.close
        if not await self.before_answer(conn, faults):
            return False
        if faults.status:
            etype, message = ERRORS.get(faults.status, ERRORS[500])
            return self.error(conn, faults.status, etype, message, keep,
                              [("Retry-After", "1")] if faults.status == 429 else [])
        if m.group(2) == "invoke":
            return self.invoke(conn, body, base, keep)
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            return self.error(conn, 400, "ValidationException",
                              "The provided request is not valid: messages is required", keep)
        if m.group(2) == "converse-stream":
            return await self.converse_stream(conn, req, body, model, faults, keep)
        conn.send(200, self.converse(body, model, faults), keep_alive=keep,
                  extra=[("x-amzn-RequestId", "fake-%d" % self.counter)])
        return keep

    # ---- answers ----

    @staticmethod
    def usage(body, completion, faults):
        prompt = block_words(body.get("system"))
        for msg in body.get("messages") or []:
            if isinstance(msg, dict):
                prompt += block_words(msg.get("content"))
        u = {"inputTokens": prompt, "outputTokens": completion,
             "totalTokens": prompt + completion + faults.cached}
        if faults.cached:
            u["cacheReadInputTokens"] = faults.cached
            u["cacheWriteInputTokens"] = 0
        return u

    def converse(self, body, model, faults):
        self.counter += 1
        pieces = self.pieces(model, faults.chunks)
        content, stop = [{"text": "".join(pieces)}], "end_turn"
        if faults.tool:
            content, stop = [{"toolUse": {"toolUseId": "tooluse_fake1", "name": "get_weather",
                                          "input": {"location": "Paris"}}}], "tool_use"
        return {"output": {"message": {"role": "assistant", "content": content}},
                "stopReason": stop, "usage": self.usage(body, len(pieces), faults),
                "metrics": {"latencyMs": 1}}

    def invoke(self, conn, body, model, keep):
        """InvokeModel for the embedding models: Titan and Cohere bodies."""
        def vector(i, dims):
            return [round(((i + 1) * (d + 1) % 17) / 17 - 0.5, 6) for d in range(dims)]
        if "titan-embed" in model and isinstance(body.get("inputText"), str):
            dims = body.get("dimensions") if isinstance(body.get("dimensions"), int) else 8
            conn.send(200, {"embedding": vector(0, dims),
                            "inputTextTokenCount": words(body["inputText"])}, keep_alive=keep)
            return keep
        texts = body.get("texts")
        if "cohere.embed" in model and isinstance(texts, list) and isinstance(
                body.get("input_type"), str):
            self.counter += 1
            conn.send(200, {"embeddings": [vector(i, 8) for i in range(len(texts))],
                            "id": "fake-%d" % self.counter, "response_type": "embeddings_floats",
                            "texts": texts}, keep_alive=keep)
            return keep
        return self.error(conn, 400, "ValidationException",
                          "Malformed input request for model %s" % model, keep)

    def converse_events(self, body, model, faults):
        """The event messages of one answer, in order, as (content?, bytes)."""
        pieces = self.pieces(model, faults.chunks)

        def ev(kind, payload):
            self.counter += 1    # padding of varying length, as Bedrock's
            payload["p"] = PADDING[:1 + self.counter % len(PADDING)]
            return event(kind, payload)

        yield False, ev("messageStart", {"role": "assistant"})
        if faults.exception_in_stream:
            yield False, exception("throttlingException", ERRORS[429][1])
            return
        if faults.tool:
            yield False, ev("contentBlockStart", {"contentBlockIndex": 0, "start": {"toolUse": {
                "toolUseId": "tooluse_fake1", "name": "get_weather"}}})
            pieces = TOOL_PIECES
        for piece in pieces:
            delta = {"toolUse": {"input": piece}} if faults.tool else {"text": piece}
            yield True, ev("contentBlockDelta", {"contentBlockIndex": 0, "delta": delta})
        yield False, ev("contentBlockStop", {"contentBlockIndex": 0})
        yield False, ev("messageStop", {"stopReason": "tool_use" if faults.tool else "end_turn"})
        yield False, ev("metadata", {"usage": self.usage(body, len(pieces), faults),
                                     "metrics": {"latencyMs": 1}})

    async def converse_stream(self, conn, req, body, model, faults, keep):
        # messageStart always goes out before any @break.
        return await self.stream_events(
            conn, req, self.converse_events(body, model, faults), faults, keep,
            content_type="application/vnd.amazon.eventstream",
            extra=[("x-amzn-RequestId", "fake-%d" % self.counter)])


def _bedrock_arguments(ap):
    ap.add_argument("--access-key", default=DEFAULT_ACCESS_KEY)
    ap.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    ap.add_argument("--max-skew-s", type=int, default=900,
                    help="refuse X-Amz-Date further than this from now (0: any)")


if __name__ == "__main__":
    run_fake(lambda args: FakeBedrock(args.fault, args.access_key, args.secret_key,
                                      args.max_skew_s),
             BedrockFaults, "'429' or 'delay=20@chunks=50'", _bedrock_arguments)
