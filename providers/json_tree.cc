#include "providers/json_tree.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "providers/json_text.h"

namespace edge::providers {

using simdjson::SUCCESS;
namespace ondemand = simdjson::ondemand;

const JsonNode JsonTree::kNull;

namespace {

// Above this, the per-thread parser and scratch are given back after a parse.
constexpr size_t kKeepBytes = 1 << 20;

struct ThreadState {
  ondemand::parser parser;
  std::string scratch;
};

ThreadState& State() {
  thread_local ThreadState state;
  return state;
}

// simdjson reads up to SIMDJSON_PADDING bytes past its input: a zero-padded copy. Zeros,
// never stale bytes, so that a truncated `nu` cannot be completed into `null`.
simdjson::padded_string_view CopyPadded(std::string_view json, std::string* scratch) {
  scratch->resize(json.size() + simdjson::SIMDJSON_PADDING);
  if (!json.empty()) std::memcpy(scratch->data(), json.data(), json.size());
  std::memset(scratch->data() + json.size(), 0, simdjson::SIMDJSON_PADDING);
  return simdjson::padded_string_view(scratch->data(), json.size(), scratch->size());
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i == n) return false;
  if (s[i] == '0') {
    ++i;
  } else if (IsDigit(s[i])) {
    while (i < n && IsDigit(s[i])) ++i;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (i == n || !IsDigit(s[i])) return false;
    while (i < n && IsDigit(s[i])) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i == n || !IsDigit(s[i])) return false;
    while (i < n && IsDigit(s[i])) ++i;
  }
  return i == n;
}

std::optional<int64_t> JsonNode::Int64() const {
  if (type_ != JsonType::kNumber) return std::nullopt;
  int64_t v = 0;
  const char* end = text_.data() + text_.size();
  auto [ptr, ec] = std::from_chars(text_.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;  // a fraction, exponent, or too big
  return v;
}

const JsonNode* JsonNode::Find(std::string_view name) const {
  if (type_ != JsonType::kObject) return nullptr;
  for (const JsonNode& member : *this) {
    if (member.name_ == name) return &member;
  }
  return nullptr;
}

// Builds a tree by walking an On-Demand document once, depth first. Children of a container
// are collected on `pending_` and moved into the tree's nodes in one piece when the
// container ends, so that siblings are contiguous; their own children were placed before.
class JsonTreeBuilder {
 public:
  // `base` and `size`: the padded copy of the input that the document iterates.
  JsonTreeBuilder(JsonTree* tree, const JsonReadOptions& options, const char* base, size_t size)
      : tree_(tree), options_(options), base_(base), size_(size) {}

  Status Invalid(simdjson::error_code err, const char* at) {
    switch (err) {
      case simdjson::UTF8_ERROR:
        return InvalidArgument("is not valid UTF-8");
      case simdjson::EMPTY:
        return Invalid("empty", at);
      case simdjson::DEPTH_ERROR:
        return Invalid("nested too deeply", at);
      default:
        return Invalid(simdjson::error_message(err), at);
    }
  }

  Status Document(ondemand::document& doc) {
    doc_ = &doc;
    ondemand::json_type type;
    if (auto err = doc.type().get(type); err != SUCCESS) return Invalid(err, nullptr);
    JsonNode root;
    const char* end = nullptr;
    if (type == ondemand::json_type::object || type == ondemand::json_type::array) {
      ondemand::value v;
      if (auto err = doc.get_value().get(v); err != SUCCESS) return Invalid(err, nullptr);
      EDGE_RETURN_IF_ERROR(Value(v, 1, &root));
      // Read to its end, the document has no location left unless something follows.
      end = base_ + size_;
      if (const char* at = nullptr; doc.current_location().get(at) != simdjson::OUT_OF_BOUNDS) {
        end = at;
      }
    } else {
      // A scalar document's token spans the whitespace after it up to the next token.
      const std::string_view raw = RawToken(doc);
      ++values_;
      EDGE_RETURN_IF_ERROR(Scalar(doc, type, &root));
      end = raw.data() + raw.size();
    }
    if (end != base_ + size_) {
      return Invalid("unexpected content after the JSON value", end);
    }
    tree_->nodes_.push_back(root);
    for (JsonNode& node : tree_->nodes_) node.children_ = tree_->nodes_.data() + node.first_;
    return Status::Ok();
  }

 private:
  Status Value(ondemand::value v, int depth, JsonNode* out) {
    ondemand::json_type type;
    if (auto err = v.type().get(type); err != SUCCESS) return Invalid(err, Location(v));
    if (type == ondemand::json_type::object || type == ondemand::json_type::array) {
      if (depth > options_.max_depth) return Invalid("nested too deeply", Location(v));
    }
    // Every value costs a node (and, until its container ends, a pending copy of it).
    if (++values_ > options_.max_values) {
      return InvalidArgument("holds more than " + std::to_string(options_.max_values) +
                             " JSON values");
    }
    switch (type) {
      case ondemand::json_type::object: {
        ondemand::object obj;
        if (auto err = v.get_object().get(obj); err != SUCCESS) return Invalid(err, nullptr);
        const size_t mark = pending_.size();
        for (auto field_result : obj) {
          ondemand::field field;
          std::string_view key;
          if (auto err = std::move(field_result).get(field); err != SUCCESS) {
            return Invalid(err, nullptr);
          }
          if (auto err = field.unescaped_key().get(key); err != SUCCESS) {
            return Invalid(err, nullptr);
          }
          JsonNode child;
          child.name_ = Keep(key);
          EDGE_RETURN_IF_ERROR(Value(field.value(), depth + 1, &child));
          pending_.push_back(child);
        }
        out->type_ = JsonType::kObject;
        Place(mark, out);
        if (options_.refuse_duplicate_keys) return CheckUnique(*out);
        return Status::Ok();
      }
      case ondemand::json_type::array: {
        ondemand::array arr;
        if (auto err = v.get_array().get(arr); err != SUCCESS) return Invalid(err, nullptr);
        const size_t mark = pending_.size();
        for (auto element_result : arr) {
          ondemand::value element;
          if (auto err = std::move(element_result).get(element); err != SUCCESS) {
            return Invalid(err, nullptr);
          }
          JsonNode child;
          EDGE_RETURN_IF_ERROR(Value(element, depth + 1, &child));
          pending_.push_back(child);
        }
        out->type_ = JsonType::kArray;
        Place(mark, out);
        return Status::Ok();
      }
      default:
        return Scalar(v, type, out);
    }
  }

  // A string, number, true, false or null, from a value or from a document that is one.
  template <typename Source>
  Status Scalar(Source& src, ondemand::json_type type, JsonNode* out) {
    switch (type) {
      case ondemand::json_type::string: {
        std::string_view s;
        if (auto err = src.get_string().get(s); err != SUCCESS) return Invalid(err, Location(src));
        out->type_ = JsonType::kString;
        out->text_ = Keep(s);
        return Status::Ok();
      }
      case ondemand::json_type::number: {
        const std::string_view token = TrimToken(RawToken(src));
        if (!IsJsonNumber(token)) return Invalid("malformed number", token.data());
        out->type_ = JsonType::kNumber;
        out->text_ = Keep(token);
        return Status::Ok();
      }
      case ondemand::json_type::boolean: {
        bool b = false;
        if (auto err = src.get_bool().get(b); err != SUCCESS) return Invalid(err, Location(src));
        out->type_ = JsonType::kBool;
        out->bool_ = b;
        return Status::Ok();
      }
      case ondemand::json_type::null: {
        bool is_null = false;
        if (src.is_null().get(is_null) != SUCCESS || !is_null) {
          return Invalid("malformed literal", Location(src));
        }
        out->type_ = JsonType::kNull;
        return Status::Ok();
      }
      default:
        return Invalid("unexpected value", Location(src));
    }
  }

  // Moves pending_[mark..] into the tree as the children of *out.
  void Place(size_t mark, JsonNode* out) {
    std::vector<JsonNode>& nodes = tree_->nodes_;
    out->first_ = nodes.size();
    out->size_ = static_cast<uint32_t>(pending_.size() - mark);
    nodes.insert(nodes.end(), pending_.begin() + static_cast<ptrdiff_t>(mark), pending_.end());
    pending_.resize(mark);
  }

  Status CheckUnique(const JsonNode& obj) {
    const JsonNode* members = tree_->nodes_.data() + obj.first_;
    const size_t n = obj.size_;
    if (n < 2) return Status::Ok();
    if (n <= 16) {  // the usual object: pairwise is cheaper than sorting
      for (size_t i = 1; i < n; ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (members[i].name_ == members[j].name_) return Duplicate(members[i].name_);
        }
      }
      return Status::Ok();
    }
    names_.clear();
    for (size_t i = 0; i < n; ++i) names_.push_back(members[i].name_);
    std::sort(names_.begin(), names_.end());
    auto dup = std::adjacent_find(names_.begin(), names_.end());
    return dup == names_.end() ? Status::Ok() : Duplicate(*dup);
  }

  static Status Duplicate(std::string_view name) {
    size_t cut = std::min<size_t>(name.size(), 64);  // a long name cut at a character boundary
    while (cut < name.size() && cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    return InvalidArgument("has a duplicate key " + JsonString(name.substr(0, cut)) +
                           " (a key may appear only once in an object)");
  }

  // Copies into the arena, which was reserved for the whole input: unescaping never makes a
  // string longer, so views taken earlier stay valid.
  std::string_view Keep(std::string_view s) {
    std::vector<char>& arena = tree_->arena_;
    const size_t at = arena.size();
    arena.insert(arena.end(), s.begin(), s.end());
    return std::string_view(arena.data() + at, s.size());
  }

  template <typename Source>
  static const char* Location(Source& src) {
    const char* at = nullptr;
    if (src.current_location().get(at) != SUCCESS) return nullptr;
    return at;
  }
  static const char* Location(ondemand::value& v) { return v.raw_json_token().data(); }

  static std::string_view RawToken(ondemand::value& v) { return v.raw_json_token(); }
  static std::string_view RawToken(ondemand::document& doc) {
    std::string_view token;
    if (doc.raw_json_token().get(token) != SUCCESS) return {};
    return token;
  }

  Status Invalid(std::string_view what, const char* at) {
    std::string message = "is not valid JSON: ";
    message.append(what);
    // Where the document's iteration stopped, when the caller knows no better.
    if (at == nullptr && doc_ != nullptr && doc_->current_location().get(at) != SUCCESS) {
      at = nullptr;
    }
    if (at != nullptr && at >= base_ && at <= base_ + size_) {
      message += " at offset " + std::to_string(at - base_);
    }
    return InvalidArgument(std::move(message));
  }

  JsonTree* tree_;
  const JsonReadOptions& options_;
  const char* base_;
  size_t size_;
  ondemand::document* doc_ = nullptr;
  size_t values_ = 0;
  std::vector<JsonNode> pending_;
  std::vector<std::string_view> names_;
};

Status JsonTree::Parse(std::string_view json, const JsonReadOptions& options) {
  arena_.clear();
  nodes_.clear();
  // Strings, names and numbers together are never longer than the text they came from.
  arena_.reserve(json.size());
  ThreadState& st = State();
  ondemand::document doc;
  Status status;
  simdjson::padded_string_view padded = CopyPadded(json, &st.scratch);
  JsonTreeBuilder builder(this, options, st.scratch.data(), json.size());
  if (auto err = st.parser.iterate(padded).get(doc); err != SUCCESS) {
    status = builder.Invalid(err, nullptr);
  } else {
    status = builder.Document(doc);
  }
  if (st.scratch.capacity() > kKeepBytes) std::string().swap(st.scratch);
  if (st.parser.capacity() > kKeepBytes) st.parser = ondemand::parser();
  if (!status.ok()) {
    arena_.clear();
    nodes_.clear();
  }
  return status;
}

void WriteJson(JsonWriter& w, const JsonNode& node) {
  switch (node.type()) {
    case JsonType::kNull:
      w.Null();
      return;
    case JsonType::kBool:
      w.Bool(node.GetBool());
      return;
    case JsonType::kNumber:
      w.RawValue(node.text().data(), node.text().size(), rapidjson::kNumberType);
      return;
    case JsonType::kString:
      w.String(node.text().data(), static_cast<rapidjson::SizeType>(node.text().size()));
      return;
    case JsonType::kArray:
      w.StartArray();
      for (const JsonNode& element : node) WriteJson(w, element);
      w.EndArray();
      return;
    case JsonType::kObject:
      w.StartObject();
      for (const JsonNode& member : node) {
        w.Key(member.name().data(), static_cast<rapidjson::SizeType>(member.name().size()));
        WriteJson(w, member);
      }
      w.EndObject();
      return;
  }
}

std::string ToJsonText(const JsonNode& node) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteJson(w, node);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace edge::providers
