// The only file that calls yaml-cpp. Every yaml-cpp call happens inside ParseYaml's try
// block, so no exception leaves this file.

#include "config/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <exception>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

namespace edge::config {

const YamlNode* YamlNode::Find(std::string_view key) const {
  for (const YamlEntry& e : entries) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

namespace {

// A config is a few hundred nodes; aliases can make a small file expand exponentially, and we
// copy every alias, so the copy is bounded.
constexpr int kMaxNodes = 200000;
// yaml-cpp bounds its own nesting, but an alias inside its own anchor (`&a [*a]`) makes a
// cycle that only a depth bound stops.
constexpr int kMaxDepth = 200;

// Thrown only inside this file, caught in ParseYaml: a problem with a line.
struct TreeError {
  int line;
  std::string message;
};

int LineOf(const YAML::Node& n, int fallback) {
  YAML::Mark m = n.Mark();
  return m.is_null() || m.line < 0 ? fallback : m.line + 1;
}

class Converter {
 public:
  void Convert(const YAML::Node& in, int parent_line, YamlNode* out, int depth = 0) {
    if (depth > kMaxDepth) {
      throw TreeError{parent_line, "nesting deeper than " + std::to_string(kMaxDepth) +
                                       " levels (or an alias that contains itself)"};
    }
    if (++nodes_ > kMaxNodes) {
      throw TreeError{parent_line, "document too large: more than " + std::to_string(kMaxNodes) +
                                       " nodes once aliases are expanded"};
    }
    out->line = LineOf(in, parent_line);
    switch (in.Type()) {
      case YAML::NodeType::Scalar:
        out->kind = YamlNode::Kind::kScalar;
        out->scalar = in.Scalar();
        break;
      case YAML::NodeType::Sequence:
        out->kind = YamlNode::Kind::kSeq;
        for (const YAML::Node& item : in) {
          out->items.emplace_back();
          Convert(item, out->line, &out->items.back(), depth + 1);
        }
        break;
      case YAML::NodeType::Map:
        ConvertMap(in, out, depth);
        break;
      default:  // Null, Undefined
        out->kind = YamlNode::Kind::kNull;
        break;
    }
  }

 private:
  void ConvertMap(const YAML::Node& in, YamlNode* out, int depth) {
    out->kind = YamlNode::Kind::kMap;
    std::vector<YamlNode> merges;
    for (const auto& kv : in) {
      // Copies: yaml-cpp's iterators hand out temporaries, so references would dangle.
      const YAML::Node k = kv.first;
      const YAML::Node v = kv.second;
      int key_line = LineOf(k, out->line);
      if (!k.IsScalar()) {
        throw TreeError{key_line, "mapping keys must be plain strings"};
      }
      YamlEntry entry;
      entry.key = k.Scalar();
      entry.key_line = key_line;
      Convert(v, key_line, &entry.value, depth + 1);
      if (entry.key == "<<" && k.Tag() == "?") {
        merges.push_back(std::move(entry.value));
        continue;
      }
      if (out->Find(entry.key) != nullptr) {
        throw TreeError{key_line, "duplicate key '" + entry.key + "'"};
      }
      out->entries.push_back(std::move(entry));
    }
    for (YamlNode& m : merges) Merge(std::move(m), out);
  }

  // PyYAML's merge: keys written in the map win, then earlier merged maps win.
  static void Merge(YamlNode&& from, YamlNode* into) {
    if (from.is_seq()) {
      for (YamlNode& item : from.items) Merge(std::move(item), into);
      return;
    }
    if (!from.is_map()) {
      throw TreeError{from.line, "a merge key '<<' takes a mapping or a list of mappings"};
    }
    for (YamlEntry& e : from.entries) {
      if (into->Find(e.key) == nullptr) into->entries.push_back(std::move(e));
    }
  }

  int nodes_ = 0;
};

// Where each document of a stream starts. yaml-cpp 0.7 (Debian 12) never ends some
// malformed streams (a stray ',' at the top level, jbeder/yaml-cpp#1040, fixed upstream in
// #1319): it reports the same empty document over and over without consuming input, and
// YAML::LoadAll grows until memory runs out. A document starting where the previous one
// did is that loop, and ends the scan.
class DocumentScan final : public YAML::EventHandler {
 public:
  // Stops at the second document: a config has one.
  void Run(const std::string& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    while (starts_.size() < 2 && parser.HandleNextDocument(*this)) {
    }
  }
  size_t documents() const { return starts_.size(); }
  // The 1-based line of document i.
  int line(size_t i) const { return starts_[i].line + 1; }
  bool stuck() const { return starts_.size() == 2 && starts_[0].pos == starts_[1].pos; }

  void OnDocumentStart(const YAML::Mark& mark) override { starts_.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  std::vector<YAML::Mark> starts_;
};

}  // namespace

Status ParseYaml(const std::string& text, YamlNode* out, int* error_line) {
  *out = YamlNode{};
  out->line = 1;
  try {
    DocumentScan scan;
    scan.Run(text);
    if (scan.stuck()) {
      *error_line = scan.line(0);
      return InvalidArgument("YAML syntax error: a token that cannot start a value");
    }
    if (scan.documents() > 1) {
      *error_line = scan.line(1);
      return InvalidArgument("only one YAML document is allowed");
    }
    if (scan.documents() == 0) return Status::Ok();
    Converter().Convert(YAML::Load(text), 1, out);
    return Status::Ok();
  } catch (const TreeError& e) {
    *error_line = std::max(1, e.line);
    return InvalidArgument(e.message);
  } catch (const YAML::Exception& e) {
    *error_line = e.mark.is_null() ? 1 : std::max(1, e.mark.line + 1);
    return InvalidArgument("YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {  // bad_alloc and the like: still not a crash
    *error_line = 1;
    return InvalidArgument(std::string("cannot parse YAML: ") + e.what());
  }
}

}  // namespace edge::config
