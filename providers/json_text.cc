#include "providers/json_text.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace edge::providers {

std::string JsonError(simdjson::error_code code) {
  switch (code) {
    case simdjson::EMPTY:
      return "empty document";
    case simdjson::NUMBER_ERROR:
      return "a malformed number, or an integer beyond 64 bits";
    case simdjson::DEPTH_ERROR:
      return "nesting too deep";
    case simdjson::UTF8_ERROR:
      return "invalid UTF-8";
    default:
      return std::string("invalid JSON (") + simdjson::error_message(code) + ")";
  }
}

std::string JsonString(std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace edge::providers
