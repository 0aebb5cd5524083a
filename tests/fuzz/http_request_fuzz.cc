// RequestParser (llhttp plus our limits and smuggling checks) on arbitrary bytes, cut into
// pieces at arbitrary points: never crashes, and whole-input and split feeding agree on
// every request's verdict and content (what the server acts on: method, target, fields,
// body, keep-alive, upgrade, 100-continue; the error's status and message). A parser whose
// answer depends on how TCP cut the bytes is how a proxy and a server get desynchronised.
// The first byte picks the split pattern.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "node/net/request_parser.h"

namespace {

using edge::net::ParserLimits;
using edge::net::RequestParser;

// What feeding produced, request by request, for comparing two ways of feeding.
struct Trace {
  std::vector<std::string> requests;  // what the server reads of each, see Describe()
  int error_status = 0;
  std::string error_message;
};

std::string Describe(const RequestParser& parser) {
  const edge::net::HttpRequest& r = parser.request();
  std::string s = r.method + ' ' + r.target + ' ' + std::to_string(r.version_minor) + '\n';
  for (const auto& [name, value] : r.headers) s += name + ':' + value + '\n';
  s += r.body;
  s += r.keep_alive ? "|ka" : "|close";
  s += parser.upgrade() ? "|upgrade" : "";
  s += parser.expect_continue() ? "|100" : "";
  return s;
}

// Feeds `in` in pieces whose sizes cycle through `steps` (0 = all at once).
Trace Run(std::string_view in, const std::vector<size_t>& steps) {
  ParserLimits limits;
  limits.max_body_bytes = 4096;
  limits.max_header_bytes = 2048;
  limits.max_header_fields = 16;
  RequestParser parser(limits);
  Trace trace;
  size_t pos = 0;
  size_t step_index = 0;
  while (pos < in.size()) {
    size_t step = steps.empty() ? 0 : steps[step_index++ % steps.size()];
    size_t n = step == 0 ? in.size() - pos : std::min(step, in.size() - pos);
    size_t used = 0;
    RequestParser::Outcome outcome = parser.Execute(in.substr(pos, n), &used);
    if (used > n) std::abort();
    pos += used;
    if (outcome == RequestParser::Outcome::kError) {
      if (parser.error_status() < 400 || parser.error_message().empty()) std::abort();
      trace.error_status = parser.error_status();
      trace.error_message = parser.error_message();
      return trace;
    }
    if (outcome == RequestParser::Outcome::kNeedMore) {
      if (used != n) std::abort();
      continue;
    }
    const auto& r = parser.request();
    if (r.body.size() > limits.max_body_bytes || r.headers.size() > limits.max_header_fields) {
      std::abort();
    }
    trace.requests.push_back(Describe(parser));
    if (!r.keep_alive) break;  // the server stops reading here
    parser.Next();
  }
  return trace;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<size_t> steps;
  for (unsigned b = data[0], i = 0; i < 4; ++i, b >>= 2) steps.push_back((b & 3) * 3 + 1);
  Trace whole = Run(in, {});
  Trace split = Run(in, steps);
  Trace bytes = Run(in, {1});
  if (whole.requests != split.requests || whole.requests != bytes.requests) std::abort();
  if (whole.error_status != split.error_status || whole.error_status != bytes.error_status) {
    std::abort();
  }
  if (whole.error_message != split.error_message || whole.error_message != bytes.error_message) {
    std::abort();
  }
  return 0;
}
