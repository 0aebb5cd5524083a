#include "providers/openai/openai.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <algorithm>
#include <vector>

#include "providers/openai/internal.h"
#include "providers/json_text.h"
#include "providers/json_tree.h"

namespace edge::providers::openai {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;
namespace ondemand = simdjson::ondemand;

Status BadBody(std::string message) { return InvalidArgument(std::move(message)); }

Status ParseError(simdjson::error_code err) {
  switch (err) {
    case simdjson::EMPTY:
      return BadBody("request body is empty; expected a JSON object");
    case simdjson::UTF8_ERROR:
      return BadBody("request body is not valid UTF-8");
    case simdjson::DEPTH_ERROR:
      return BadBody("request body is not valid JSON: nested too deeply");
    default:
      return BadBody(std::string("request body is not valid JSON: ") +
                     simdjson::error_message(err));
  }
}

Status Duplicate(std::string_view name) {
  return BadBody("duplicate member '" + std::string(name) + "' in the request body");
}

// The two parsed trees InspectRequest reads, behind one small interface: simdjson's DOM
// (the fast path) and a JsonTree (for the numbers simdjson 3.0 refuses but JSON allows:
// integers beyond 64 bits, exponents beyond a double's range; they pass through as text).
struct SimdjsonTree {
  using Value = dom::element;
  static bool IsNull(Value v) { return v.is_null(); }
  static bool GetBool(Value v, bool* b) { return v.get_bool().get(*b) == SUCCESS; }
  static bool GetString(Value v, std::string_view* s) { return v.get_string().get(*s) == SUCCESS; }
  // Calls fn(key, value) for each member; false when v is not an object or fn says stop.
  template <typename Fn>
  static bool ForEachMember(Value v, Fn&& fn) {
    dom::object obj;
    if (v.get_object().get(obj) != SUCCESS) return false;
    for (dom::key_value_pair m : obj) {
      if (!fn(m.key, m.value)) return false;
    }
    return true;
  }
};

struct JsonTreeView {
  using Value = const JsonNode&;
  static bool IsNull(Value v) { return v.IsNull(); }
  static bool GetBool(Value v, bool* b) {
    if (!v.IsBool()) return false;
    *b = v.GetBool();
    return true;
  }
  static bool GetString(Value v, std::string_view* s) {
    if (!v.IsString()) return false;
    *s = v.text();
    return true;
  }
  template <typename Fn>
  static bool ForEachMember(Value v, Fn&& fn) {
    if (!v.IsObject()) return false;
    for (const JsonNode& m : v) {
      if (!fn(m.name(), m)) return false;
    }
    return true;
  }
};

// "true"/"false"/"null" as RequestInfo wants them; anything else is an error.
template <typename Tree>
Status OptionalBool(typename Tree::Value value, std::string_view name, bool* out) {
  *out = false;
  if (Tree::IsNull(value) || Tree::GetBool(value, out)) return Status::Ok();
  return BadBody("'" + std::string(name) + "' must be a boolean");
}

template <typename Tree>
Status ReadStreamOptions(typename Tree::Value value, bool* include_usage) {
  if (Tree::IsNull(value)) return Status::Ok();
  Status status;
  bool seen = false;
  const bool is_object = Tree::ForEachMember(value, [&](std::string_view key, auto&& v) {
    if (key != "include_usage") return true;
    status = seen ? Duplicate("stream_options.include_usage")
                  : OptionalBool<Tree>(v, "stream_options.include_usage", include_usage);
    seen = true;
    return status.ok();
  });
  if (!status.ok()) return status;
  if (!is_object) return BadBody("'stream_options' must be an object");
  return Status::Ok();
}

template <typename Tree>
Result<RequestInfo> ReadRequest(typename Tree::Value root) {
  RequestInfo info;
  Status status;
  bool seen_model = false, seen_stream = false, seen_options = false;
  auto once = [&status](bool* seen, std::string_view name) {
    if (*seen) status = Duplicate(name);
    *seen = true;
    return status.ok();
  };
  const bool is_object = Tree::ForEachMember(root, [&](std::string_view key, auto&& value) {
    if (key == "model") {
      if (!once(&seen_model, "model")) return false;
      std::string_view model;
      if (!Tree::GetString(value, &model)) {
        status = BadBody("'model' must be a string");
      } else if (model.empty()) {
        status = BadBody("'model' must not be empty");
      }
      info.model.assign(model);
    } else if (key == "stream") {
      if (!once(&seen_stream, "stream")) return false;
      status = OptionalBool<Tree>(value, "stream", &info.stream);
    } else if (key == "stream_options") {
      if (!once(&seen_options, "stream_options")) return false;
      status = ReadStreamOptions<Tree>(value, &info.client_wants_usage);
    }
    return status.ok();
  });
  if (!status.ok()) return status;
  if (!is_object) return BadBody("request body must be a JSON object");
  if (!seen_model) return BadBody("missing required parameter: 'model'");
  // OpenAI ignores include_usage without stream; so do we, so the relay is never asked to
  // keep a usage chunk that a non-stream request cannot have.
  if (!info.stream) info.client_wants_usage = false;
  return info;
}

// A JsonTree validates and reads what simdjson refused for its numbers alone.
Result<RequestInfo> InspectWithTree(std::string_view body) {
  JsonTree tree;
  if (Status s = tree.Parse(body); !s.ok()) return BadBody("request body " + s.message());
  return ReadRequest<JsonTreeView>(tree.root());
}

}  // namespace

Result<RequestInfo> InspectRequest(std::string_view body) {
  {
    internal::DomLease lease;
    dom::element root;
    const simdjson::error_code err = lease.Parse(body, &root);
    if (err == SUCCESS) {
      // As JsonTree does: a key twice in one object is refused, wherever it is.
      if (auto dup = DuplicateKey(root)) {
        return BadBody("request body has a duplicate key " + JsonString(*dup) +
                       " (a key may appear only once in an object)");
      }
      Result<RequestInfo> info = ReadRequest<SimdjsonTree>(root);
      if (info.ok()) info->estimate = EstimateParsedRequest(root);
      return info;
    }
    if (err != simdjson::NUMBER_ERROR) return ParseError(err);
  }
  return InspectWithTree(body);
}

namespace {

// One replacement of body[begin, end) by text; begin == end inserts.
struct Splice {
  size_t begin;
  size_t end;
  std::string text;
};

Status Unreadable() { return BadBody("request body is not a valid JSON object"); }

// Splices that make stream_options.include_usage true inside the stream_options value.
Status AskUsage(ondemand::value value, const char* base, std::vector<Splice>* splices) {
  ondemand::json_type type;
  if (value.type().get(type) != SUCCESS) return Unreadable();
  const std::string_view token = TrimToken(value.raw_json_token());
  const size_t at = static_cast<size_t>(token.data() - base);
  if (type == ondemand::json_type::null) {
    splices->push_back({at, at + token.size(), R"({"include_usage":true})"});
    return Status::Ok();
  }
  ondemand::object options;
  if (type != ondemand::json_type::object || value.get_object().get(options) != SUCCESS) {
    return BadBody("'stream_options' must be an object");
  }
  bool empty = true, found = false;
  for (auto field_result : options) {
    ondemand::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != SUCCESS ||
        field.unescaped_key().get(key) != SUCCESS) {
      return Unreadable();
    }
    empty = false;
    if (key != "include_usage") continue;
    found = true;  // every duplicate is set, whichever one the upstream keeps
    std::string_view v = TrimToken(field.value().raw_json_token());
    if (v != "true") {
      const size_t pos = static_cast<size_t>(v.data() - base);
      splices->push_back({pos, pos + v.size(), "true"});
    }
  }
  if (!found) {
    // Right after the '{'.
    splices->push_back(
        {at + 1, at + 1, empty ? R"("include_usage":true)" : R"("include_usage":true,)"});
  }
  return Status::Ok();
}

std::string ApplySplices(std::string_view body, std::vector<Splice>* splices) {
  std::sort(splices->begin(), splices->end(),
            [](const Splice& a, const Splice& b) { return a.begin < b.begin; });
  size_t extra = 0;
  for (const Splice& s : *splices) extra += s.text.size();
  std::string out;
  out.reserve(body.size() + extra);
  size_t pos = 0;
  for (const Splice& s : *splices) {
    out.append(body.substr(pos, s.begin - pos));
    out.append(s.text);
    pos = s.end;
  }
  out.append(body.substr(pos));
  return out;
}

}  // namespace

Result<std::string> RewriteRequest(std::string_view body, std::string_view upstream_model,
                                   bool ask_usage) {
  internal::OnDemandLease lease;
  ondemand::document doc;
  if (auto err = lease.Iterate(body, &doc); err != SUCCESS) return ParseError(err);
  const char* base = lease.scratch_begin();
  ondemand::object obj;
  if (doc.get_object().get(obj) != SUCCESS) return BadBody("request body must be a JSON object");

  std::vector<Splice> splices;
  const std::string model_json = JsonString(upstream_model);
  bool seen_model = false, seen_options = false;
  for (auto field_result : obj) {
    ondemand::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != SUCCESS ||
        field.unescaped_key().get(key) != SUCCESS) {
      return Unreadable();
    }
    if (key == "model") {
      // Every "model" member is replaced, so no duplicate can smuggle another model past.
      std::string_view token = TrimToken(field.value().raw_json_token());
      if (token.empty() || token.front() != '"') return BadBody("'model' must be a string");
      const size_t at = static_cast<size_t>(token.data() - base);
      splices.push_back({at, at + token.size(), model_json});
      seen_model = true;
    } else if (key == "stream_options" && ask_usage) {
      seen_options = true;
      EDGE_RETURN_IF_ERROR(AskUsage(field.value(), base, &splices));
    }
  }
  if (!internal::AtEnd(doc)) return Unreadable();
  if (!seen_model) return BadBody("missing required parameter: 'model'");
  if (ask_usage && !seen_options) {
    // Before the closing brace of the top-level object: the last byte that is not
    // whitespace, as the document was read to its end. The object has a member ("model").
    size_t close = body.size();
    while (close > 0 && IsJsonSpace(body[close - 1])) --close;
    if (close == 0 || body[close - 1] != '}') return Unreadable();
    splices.push_back({close - 1, close - 1, R"(,"stream_options":{"include_usage":true})"});
  }
  return ApplySplices(body, &splices);
}

std::optional<Usage> ExtractUsage(std::string_view response_body) {
  internal::OnDemandLease lease;
  ondemand::document doc;
  if (lease.Iterate(response_body, &doc) != SUCCESS) return std::nullopt;
  ondemand::object obj;
  if (doc.get_object().get(obj) != SUCCESS) return std::nullopt;
  ondemand::object usage;
  if (obj["usage"].get_object().get(usage) != SUCCESS) return std::nullopt;
  return internal::ReadUsage(usage);
}

std::string StreamErrorEvent(std::string_view message, std::string_view type,
                             std::string_view code) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.Key("type");
  w.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
  w.Key("code");
  if (code.empty()) {
    w.Null();
  } else {
    w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
  }
  w.EndObject();
  w.EndObject();
  std::string out = "data: ";
  out.append(buf.GetString(), buf.GetSize());
  out.append("\n\n");
  return out;
}

}  // namespace edge::providers::openai
