#!/usr/bin/env python3
"""Recomputes every record hash of an audit export, independently of llm-edge.

    python3 tools/audit_hash_check.py EXPORT.jsonl

An auditor's second opinion, with Python's standard library only: it re-encodes each record
as docs/audit.md specifies (format 2: the compact binary encoding; format 1: the line without
its "hash" member), checks that SHA-256(prev || canonical bytes) is the stated hash and that
each record's "prev" is the hash of the record before it. It does not check the digests'
ECDSA signatures (the standard library has no ECDSA): `llm-edge audit verify --export FILE
--pubkey FILE` does. Exit 0 when every record checks, 1 otherwise, 2 on a usage error.
"""
import datetime
import hashlib
import json
import struct
import sys


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def sint(v):  # zigzag, as protobuf's sint64
    return varint(((v << 1) ^ (v >> 63)) & (2**64 - 1))


def text(s):
    b = s.encode("utf-8")
    return varint(len(b)) + b


def micros(rfc3339):
    d = datetime.datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%S.%fZ")
    d = d.replace(tzinfo=datetime.timezone.utc)
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    delta = d - epoch
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


CALLER_IP = {"full": 0, "truncate": 1, "hash": 2}


def format2_canonical(r):
    f = struct.pack("<q", micros(r["time"]))
    for k in ("request_id", "node", "key_id", "caller"):
        f += text(r[k])
    f += bytes([CALLER_IP[r["caller_ip"]]])
    for k in ("country", "jurisdiction", "jurisdiction_source", "residency", "model"):
        f += text(r[k])
    f += varint(len(r["candidates"]))
    for c in r["candidates"]:
        f += text(c["deployment"]) + text(c["jurisdiction"]) + text(c["excluded"])
    f += varint(len(r["attempts"]))
    for a in r["attempts"]:
        f += text(a["deployment"]) + text(a["jurisdiction"]) + text(a["outcome"])
        f += sint(a["status"]) + sint(a["latency_ms"])
    f += sint(r["status"]) + text(r["outcome"])
    return b"\x02" + varint(r["seq"]) + f


def format1_canonical(line):
    at = line.rfind(',"hash":"')
    return (line[:at] + "}").encode("utf-8")


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    records = bad = 0
    last_hash = None
    with open(argv[1], encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            r = json.loads(line)
            if r.get("type") != "record":
                continue
            records += 1
            canonical = format2_canonical(r) if r.get("format") == 2 else format1_canonical(line)
            computed = hashlib.sha256(bytes.fromhex(r["prev"]) + canonical).hexdigest()
            if computed != r["hash"]:
                print(f"line {n}: record {r['seq']} does not match its hash", file=sys.stderr)
                bad += 1
            elif last_hash is not None and r["prev"] != last_hash:
                print(f"line {n}: record {r['seq']} does not follow the record before it",
                      file=sys.stderr)
                bad += 1
            last_hash = r["hash"]
    print(f"{records} records, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
