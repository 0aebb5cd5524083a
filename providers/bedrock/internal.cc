#include "providers/bedrock/internal.h"

#include <cassert>
#include <cstring>

namespace edge::providers::bedrock::internal {
namespace {

// Above this, a parser and its scratch are given back after use rather than kept.
constexpr size_t kKeepBytes = 1 << 20;
constexpr int kSlots = 2;

struct Slot {
  simdjson::dom::parser parser;
  std::string scratch;
  bool leased = false;
};

Slot* Slots() {
  thread_local Slot slots[kSlots];
  return slots;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

struct KnownType {
  std::string_view type;
  int status;  // what the client sees
  bool retryable;
};

// Bedrock Runtime's documented errors. Failures that another deployment may not have
// (throttling, capacity, server faults, timeouts) are retryable; a request the model cannot
// take is the client's 400; credentials, permissions and unknown model ids are this
// gateway's configuration, shown as 502 and not retried (the next attempt would fail alike).
constexpr KnownType kKnownTypes[] = {
    {"ThrottlingException", 429, true},
    {"ServiceQuotaExceededException", 429, true},
    {"ServiceUnavailableException", 503, true},
    {"ModelNotReadyException", 503, true},
    {"InternalServerException", 502, true},
    {"InternalFailure", 502, true},
    {"ModelStreamErrorException", 502, true},
    {"ModelErrorException", 502, true},
    {"ModelTimeoutException", 504, true},
    {"ValidationException", 400, false},
    {"AccessDeniedException", 502, false},
    {"ResourceNotFoundException", 502, false},
    {"UnrecognizedClientException", 502, false},
    {"InvalidSignatureException", 502, false},
    {"IncompleteSignatureException", 502, false},
    {"ExpiredTokenException", 502, false},
    {"ConflictException", 409, false},
};

ProviderError ByStatus(int status) {
  ProviderError e;
  if (status == 429) {
    e.status = 429, e.retryable = true;
  } else if (status == 408 || status == 504) {
    e.status = 504, e.retryable = true;
  } else if (status == 503) {
    e.status = 503, e.retryable = true;
  } else if (status >= 500 || status == 0 || status == 424) {
    e.status = 502, e.retryable = true;  // 424: the model failed (Bedrock's ModelError...)
  } else if (status == 401 || status == 403 || status == 404) {
    e.status = 502, e.retryable = false;
  } else if (status >= 400) {
    e.status = status, e.retryable = false;
  } else {
    e.status = 502, e.retryable = false;  // a non-error status is not expected here
  }
  return e;
}

}  // namespace

DomLease::DomLease() : slot_(-1) {
  for (int i = 0; i < kSlots; ++i) {
    if (!Slots()[i].leased) {
      slot_ = i;
      break;
    }
  }
  assert(slot_ >= 0 && "more than two JSON leases on one thread");
  Slots()[slot_].leased = true;
}

DomLease::~DomLease() {
  Slot& s = Slots()[slot_];
  s.leased = false;
  if (s.scratch.capacity() > kKeepBytes) std::string().swap(s.scratch);
  if (s.parser.capacity() > kKeepBytes) s.parser = simdjson::dom::parser();
}

simdjson::error_code DomLease::Parse(std::string_view json, simdjson::dom::element* root) {
  Slot& s = Slots()[slot_];
  s.scratch.resize(json.size() + simdjson::SIMDJSON_PADDING);
  if (!json.empty()) std::memcpy(s.scratch.data(), json.data(), json.size());
  std::memset(s.scratch.data() + json.size(), 0, simdjson::SIMDJSON_PADDING);
  return s.parser.parse(s.scratch.data(), json.size(), false).get(*root);
}

void WriteElement(JsonWriter& w, simdjson::dom::element e) {
  simdjson::dom::array arr;
  simdjson::dom::object obj;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string_view s;
  bool b = false;
  // Integers before doubles: get_double() accepts integers too, and would turn them into
  // doubles.
  if (e.get_array().get(arr) == simdjson::SUCCESS) {
    w.StartArray();
    for (simdjson::dom::element v : arr) WriteElement(w, v);
    w.EndArray();
  } else if (e.get_object().get(obj) == simdjson::SUCCESS) {
    w.StartObject();
    for (simdjson::dom::key_value_pair m : obj) {
      WriteKey(w, m.key);
      WriteElement(w, m.value);
    }
    w.EndObject();
  } else if (e.get_string().get(s) == simdjson::SUCCESS) {
    WriteString(w, s);
  } else if (e.get_int64().get(i) == simdjson::SUCCESS) {
    w.Int64(i);
  } else if (e.get_uint64().get(u) == simdjson::SUCCESS) {
    w.Uint64(u);
  } else if (e.get_double().get(d) == simdjson::SUCCESS) {
    w.Double(d);
  } else if (e.get_bool().get(b) == simdjson::SUCCESS) {
    w.Bool(b);
  } else {
    w.Null();
  }
}

std::string ToJson(simdjson::dom::element e) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteElement(w, e);
  return std::string(buf.GetString(), buf.GetSize());
}

bool Member(simdjson::dom::element obj, std::string_view key, simdjson::dom::element* out) {
  return obj[key].get(*out) == simdjson::SUCCESS && !out->is_null();
}

std::string_view StringMember(simdjson::dom::element obj, std::string_view key) {
  std::string_view s;
  if (obj[key].get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

const JsonNode* Member(const JsonNode* obj, std::string_view key) {
  const JsonNode* v = obj == nullptr ? nullptr : obj->Find(key);
  return v == nullptr || v->IsNull() ? nullptr : v;
}

std::string_view StringMember(const JsonNode* obj, std::string_view key) {
  const JsonNode* v = obj == nullptr ? nullptr : obj->Find(key);
  return v != nullptr && v->IsString() ? v->text() : std::string_view();
}

int64_t CountMember(simdjson::dom::element obj, std::string_view key) {
  int64_t n = 0;
  if (obj[key].get_int64().get(n) != simdjson::SUCCESS) return 0;
  return ClampTokens(n);
}

std::string_view BareType(std::string_view type) {
  const size_t hash = type.rfind('#');
  if (hash != std::string_view::npos) type.remove_prefix(hash + 1);
  const size_t colon = type.find(':');
  if (colon != std::string_view::npos) type = type.substr(0, colon);
  return type;
}

ProviderError ClassifyType(std::string_view type, int http_status) {
  const std::string_view bare = BareType(type);
  for (const KnownType& k : kKnownTypes) {
    if (EqualsIgnoreCase(bare, k.type)) {
      ProviderError e;
      e.status = k.status;
      e.retryable = k.retryable;
      e.type = std::string(k.type);
      return e;
    }
  }
  ProviderError e = ByStatus(http_status);
  e.type = std::string(bare);
  return e;
}

}  // namespace edge::providers::bedrock::internal
