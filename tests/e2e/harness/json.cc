#include "tests/e2e/harness/json.h"

#include <charconv>

namespace edge::e2e {

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  return doc;
}

const rapidjson::Value* JsonAt(const rapidjson::Value& v, std::string_view path) {
  const rapidjson::Value* at = &v;
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string_view step = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    size_t index = 0;
    auto [end, err] = std::from_chars(step.data(), step.data() + step.size(), index);
    if (at->IsArray() && err == std::errc() && end == step.data() + step.size()) {
      if (index >= at->Size()) return nullptr;
      at = &(*at)[static_cast<rapidjson::SizeType>(index)];
    } else if (at->IsObject()) {
      auto m = at->FindMember(rapidjson::Value(step.data(),
                                               static_cast<rapidjson::SizeType>(step.size())));
      if (m == at->MemberEnd()) return nullptr;
      at = &m->value;
    } else {
      return nullptr;
    }
  }
  return at;
}

std::string JsonString(const rapidjson::Value& v, std::string_view path) {
  const rapidjson::Value* at = JsonAt(v, path);
  return at != nullptr && at->IsString() ? std::string(at->GetString(), at->GetStringLength())
                                         : std::string();
}

int64_t JsonInt(const rapidjson::Value& v, std::string_view path) {
  const rapidjson::Value* at = JsonAt(v, path);
  return at != nullptr && at->IsInt64() ? at->GetInt64() : -1;
}

}  // namespace edge::e2e
