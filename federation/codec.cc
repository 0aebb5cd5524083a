#include "federation/codec.h"

#include <limits>
#include <msgpack.hpp>
#include <new>
#include <utility>

namespace edge::federation {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

template <typename P>
void PackStr(P& pk, std::string_view s) {
  pk.pack_str(static_cast<uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

template <typename Buffer>
struct PayloadPacker {
  msgpack::packer<Buffer>& pk;
  uint64_t version;
  void Head(uint32_t fields, EntryKind kind) {
    pk.pack_array(fields);
    pk.pack_uint64(version);
    pk.pack_uint8(static_cast<uint8_t>(kind));
  }
  void operator()(const Heartbeat& h) {
    Head(3, EntryKind::kHeartbeat);
    pk.pack_uint64(h.counter);
  }
  void operator()(const NodeMeta& m) {
    Head(8, EntryKind::kMeta);
    for (const std::string* s : {&m.id, &m.region, &m.jurisdiction, &m.advertise, &m.admin_url})
      PackStr(pk, *s);
    pk.pack_uint64(static_cast<uint64_t>(m.generation));
  }
  void operator()(const UsageEntry& u) {
    Head(13, EntryKind::kUsage);
    const UsageCell& c = u.cell;
    for (const std::string* s : {&c.period, &c.team, &c.feature, &c.env, &c.model}) PackStr(pk, *s);
    const UsageCounters& n = u.counters;
    for (uint64_t v : {n.requests, n.input_tokens, n.output_tokens, n.cached_tokens,
                       n.cost_micro_usd, n.estimated_cost_micro_usd})
      pk.pack_uint64(v);
  }
  void operator()(const BudgetEntry& b) {
    Head(5, EntryKind::kBudget);
    PackStr(pk, b.cell.month);
    PackStr(pk, b.cell.subject);
    pk.pack_uint64(b.cost_micro_usd);
  }
  void operator()(const ChainHead& h) {
    Head(4, EntryKind::kChainHead);
    pk.pack_uint64(h.seq);
    PackStr(pk, h.hash_hex);
  }
  void operator()(const SignedDigest& d) {
    Head(3, EntryKind::kDigest);
    PackStr(pk, d.line);
  }
};

void PackDigest(Packer& pk, const std::vector<DigestEntry>& digest) {
  pk.pack_array(static_cast<uint32_t>(digest.size()));
  for (const DigestEntry& d : digest) {
    pk.pack_array(3);
    PackStr(pk, d.origin);
    pk.pack_uint64(static_cast<uint64_t>(d.generation));
    pk.pack_uint64(d.max_version);
  }
}

// ---- decoding: a failure is a value, never an exception

class Reader {
 public:
  std::string error;

  bool Fail(std::string what) {
    if (error.empty()) error = std::move(what);
    return false;
  }
  bool Array(const msgpack::object& o, uint32_t size, const char* what,
             const msgpack::object** out) {
    if (o.type != msgpack::type::ARRAY) return Fail(std::string(what) + ": not an array");
    if (size != 0 && o.via.array.size != size)
      return Fail(std::string(what) + ": " + std::to_string(o.via.array.size) + " fields, want " +
                  std::to_string(size));
    *out = o.via.array.ptr;
    return true;
  }
  bool AnyArray(const msgpack::object& o, const char* what) {
    return o.type == msgpack::type::ARRAY || Fail(std::string(what) + ": not an array");
  }
  bool U64(const msgpack::object& o, const char* what, uint64_t* out) {
    if (o.type != msgpack::type::POSITIVE_INTEGER)
      return Fail(std::string(what) + ": not an unsigned integer");
    *out = o.via.u64;
    return true;
  }
  bool Generation(const msgpack::object& o, int64_t* out) {
    uint64_t v = 0;
    if (!U64(o, "generation", &v)) return false;
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return Fail("generation: over INT64_MAX");
    *out = static_cast<int64_t>(v);
    return true;
  }
  bool Str(const msgpack::object& o, const char* what, size_t max, std::string* out) {
    if (o.type != msgpack::type::STR) return Fail(std::string(what) + ": not a string");
    if (o.via.str.size > max)
      return Fail(std::string(what) + ": longer than " + std::to_string(max) + " bytes");
    out->assign(o.via.str.ptr, o.via.str.size);
    return true;
  }
  bool Name(const msgpack::object& o, const char* what, std::string* out) {
    return Str(o, what, kMaxNameBytes, out);
  }

  bool Entry(const msgpack::object& o, federation::Entry* e);
  bool Digest(const msgpack::object& o, std::vector<DigestEntry>* out);
  bool Deltas(const msgpack::object& o, std::vector<OriginDelta>* out);
  bool Message(const msgpack::object& o, federation::Message* m);
};

bool Reader::Entry(const msgpack::object& o, federation::Entry* e) {
  if (!AnyArray(o, "entry")) return false;
  uint32_t n = o.via.array.size;
  const msgpack::object* f = o.via.array.ptr;
  uint64_t kind = 0;
  if (n < 3 || !U64(f[0], "entry version", &e->version) || !U64(f[1], "entry kind", &kind))
    return Fail("entry: want [version, kind, ...]");
  if (e->version == 0) return Fail("entry version: 0");
  auto want = [&](uint32_t fields) {
    return n == fields || Fail("entry of kind " + std::to_string(kind) + ": " + std::to_string(n) +
                               " fields, want " + std::to_string(fields));
  };
  switch (kind) {
    case uint64_t(EntryKind::kHeartbeat): {
      Heartbeat h;
      if (!want(3) || !U64(f[2], "heartbeat", &h.counter)) return false;
      e->payload = h;
      return true;
    }
    case uint64_t(EntryKind::kMeta): {
      NodeMeta m;
      if (!want(8) || !Name(f[2], "id", &m.id) || !Name(f[3], "region", &m.region) ||
          !Name(f[4], "jurisdiction", &m.jurisdiction) || !Name(f[5], "advertise", &m.advertise) ||
          !Str(f[6], "admin_url", kMaxUrlBytes, &m.admin_url) || !Generation(f[7], &m.generation))
        return false;
      e->payload = std::move(m);
      return true;
    }
    case uint64_t(EntryKind::kUsage): {
      UsageEntry u;
      UsageCounters& c = u.counters;
      if (!want(13) || !Name(f[2], "period", &u.cell.period) || !Name(f[3], "team", &u.cell.team) ||
          !Name(f[4], "feature", &u.cell.feature) || !Name(f[5], "env", &u.cell.env) ||
          !Name(f[6], "model", &u.cell.model) || !U64(f[7], "requests", &c.requests) ||
          !U64(f[8], "input_tokens", &c.input_tokens) ||
          !U64(f[9], "output_tokens", &c.output_tokens) ||
          !U64(f[10], "cached_tokens", &c.cached_tokens) ||
          !U64(f[11], "cost_micro_usd", &c.cost_micro_usd) ||
          !U64(f[12], "estimated_cost_micro_usd", &c.estimated_cost_micro_usd))
        return false;
      e->payload = std::move(u);
      return true;
    }
    case uint64_t(EntryKind::kBudget): {
      BudgetEntry b;
      if (!want(5) || !Name(f[2], "month", &b.cell.month) ||
          !Name(f[3], "subject", &b.cell.subject) || !U64(f[4], "budget cost", &b.cost_micro_usd))
        return false;
      e->payload = std::move(b);
      return true;
    }
    case uint64_t(EntryKind::kChainHead): {
      ChainHead h;
      if (!want(4) || !U64(f[2], "chain seq", &h.seq) || !Name(f[3], "chain hash", &h.hash_hex))
        return false;
      e->payload = std::move(h);
      return true;
    }
    case uint64_t(EntryKind::kDigest): {
      SignedDigest d;
      if (!want(3) || !Str(f[2], "digest", kMaxDigestBytes, &d.line)) return false;
      e->payload = std::move(d);
      return true;
    }
    default:
      return Fail("entry kind " + std::to_string(kind) + ": unknown");
  }
}

bool Reader::Digest(const msgpack::object& o, std::vector<DigestEntry>* out) {
  if (!AnyArray(o, "digest")) return false;
  out->resize(o.via.array.size);
  for (uint32_t i = 0; i < o.via.array.size; ++i) {
    const msgpack::object* f = nullptr;
    DigestEntry& d = (*out)[i];
    if (!Array(o.via.array.ptr[i], 3, "digest entry", &f) || !Name(f[0], "origin", &d.origin) ||
        !Generation(f[1], &d.generation) || !U64(f[2], "max_version", &d.max_version))
      return false;
  }
  return true;
}

bool Reader::Deltas(const msgpack::object& o, std::vector<OriginDelta>* out) {
  if (!AnyArray(o, "deltas")) return false;
  out->resize(o.via.array.size);
  for (uint32_t i = 0; i < o.via.array.size; ++i) {
    const msgpack::object* f = nullptr;
    OriginDelta& d = (*out)[i];
    if (!Array(o.via.array.ptr[i], 3, "delta", &f) || !Name(f[0], "origin", &d.origin) ||
        !Generation(f[1], &d.generation) || !AnyArray(f[2], "delta entries"))
      return false;
    d.entries.resize(f[2].via.array.size);
    for (uint32_t j = 0; j < f[2].via.array.size; ++j) {
      if (!Entry(f[2].via.array.ptr[j], &d.entries[j])) return false;
      if (j > 0 && d.entries[j].version <= d.entries[j - 1].version)
        return Fail("delta of " + d.origin + ": versions not increasing");
    }
  }
  return true;
}

bool Reader::Message(const msgpack::object& o, federation::Message* m) {
  if (!AnyArray(o, "message") || o.via.array.size < 3)
    return Fail("message: want [type, from, ...]");
  const msgpack::object* f = o.via.array.ptr;
  uint64_t type = 0;
  if (!U64(f[0], "message type", &type) || !Name(f[1], "from", &m->from)) return false;
  uint32_t n = o.via.array.size;
  switch (type) {
    case uint64_t(MessageType::kSyn):
      m->type = MessageType::kSyn;
      return (n == 3 || Fail("SYN: want 3 fields")) && Digest(f[2], &m->digest);
    case uint64_t(MessageType::kAck):
      m->type = MessageType::kAck;
      return (n == 4 || Fail("ACK: want 4 fields")) && Deltas(f[2], &m->deltas) &&
             Digest(f[3], &m->digest);
    case uint64_t(MessageType::kAck2):
      m->type = MessageType::kAck2;
      return (n == 3 || Fail("ACK2: want 3 fields")) && Deltas(f[2], &m->deltas);
    default:
      return Fail("message type " + std::to_string(type) + ": unknown");
  }
}

}  // namespace

std::string EncodeEntry(const federation::Entry& entry) {
  // Straight into the string: a heartbeat entry (~12 bytes) then needs no allocation at all.
  struct StringWriter {
    std::string& out;
    void write(const char* p, size_t n) { out.append(p, n); }
  };
  std::string out;
  StringWriter writer{out};
  msgpack::packer<StringWriter> pk(writer);
  std::visit(PayloadPacker<StringWriter>{pk, entry.version}, entry.payload);
  return out;
}

std::vector<uint8_t> EncodeMessage(MessageType type, std::string_view from,
                                   const std::vector<DigestEntry>& digest,
                                   const std::vector<EncodedDelta>& deltas) {
  msgpack::sbuffer buf(256);
  Packer pk(buf);
  pk.pack_array(type == MessageType::kAck ? 4 : 3);
  pk.pack_uint8(static_cast<uint8_t>(type));
  PackStr(pk, from);
  if (type == MessageType::kSyn) {
    PackDigest(pk, digest);
  } else {
    pk.pack_array(static_cast<uint32_t>(deltas.size()));
    for (const EncodedDelta& d : deltas) {
      pk.pack_array(3);
      PackStr(pk, d.origin);
      pk.pack_uint64(static_cast<uint64_t>(d.generation));
      pk.pack_array(static_cast<uint32_t>(d.entries.size()));
      for (std::string_view e : d.entries) buf.write(e.data(), e.size());  // already msgpack
    }
    if (type == MessageType::kAck) PackDigest(pk, digest);
  }
  return std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(buf.data()),
                              reinterpret_cast<const uint8_t*>(buf.data()) + buf.size());
}

std::vector<uint8_t> EncodeMessage(const federation::Message& message) {
  std::vector<std::vector<std::string>> encoded;
  std::vector<EncodedDelta> deltas;
  for (const OriginDelta& d : message.deltas) {
    std::vector<std::string>& bytes = encoded.emplace_back();
    for (const federation::Entry& e : d.entries) bytes.push_back(EncodeEntry(e));
  }
  for (size_t i = 0; i < message.deltas.size(); ++i) {
    EncodedDelta& d = deltas.emplace_back();
    d.origin = message.deltas[i].origin;
    d.generation = message.deltas[i].generation;
    for (const std::string& b : encoded[i]) d.entries.push_back(b);
  }
  return EncodeMessage(message.type, message.from, message.digest, deltas);
}

DecodeStatus DecodeMessage(std::span<const uint8_t> body, federation::Message& out) {
  DecodeStatus status;
  out = federation::Message{};
  // Limits so that declared sizes cannot make msgpack-c allocate more than the body justifies:
  // no maps, bins or exts in the schema, strings within the largest field, depth of the schema.
  const msgpack::unpack_limit limit(/*array=*/kMaxArrayElements, /*map=*/16,
                                    /*str=*/kMaxDigestBytes, /*bin=*/kMaxDigestBytes, /*ext=*/16,
                                    /*depth=*/6);
  msgpack::object_handle handle;
  try {
    size_t offset = 0;
    handle = msgpack::unpack(reinterpret_cast<const char*>(body.data()), body.size(), offset,
                             nullptr, nullptr, limit);
    if (offset != body.size()) {
      status.ok = false;
      status.reason = DropReason::kMsgpack;
      status.detail = std::to_string(body.size() - offset) + " bytes after the message";
      return status;
    }
  } catch (const std::exception& e) {  // msgpack::unpack_error family, std::bad_alloc
    status.ok = false;
    status.reason = DropReason::kMsgpack;
    status.detail = e.what();
    return status;
  } catch (...) {  // nothing msgpack-c throws may cross the API, whatever its type
    status.ok = false;
    status.reason = DropReason::kMsgpack;
    status.detail = "msgpack: unknown error";
    return status;
  }
  Reader reader;
  if (!reader.Message(handle.get(), &out)) {
    status.ok = false;
    status.reason = DropReason::kSchema;
    status.detail = std::move(reader.error);
    out = federation::Message{};
  }
  return status;
}

}  // namespace edge::federation
