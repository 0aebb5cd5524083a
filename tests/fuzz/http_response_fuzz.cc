// The upstream client's response parser on arbitrary bytes: nothing may crash, leak or
// break the parser's contract, and the answer never depends on how the bytes were cut into
// reads: fed whole, in pieces and byte by byte, the same bytes give the same status, fields,
// body, completion, keep-alive and error message. A parser whose answer depends on how TCP
// cut the bytes is how a client and a server get desynchronised.
// First byte: bit 0 = response to HEAD; the rest picks the piece sizes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "node/net/response_parser.h"

namespace {

using edge::net::ResponseLimits;
using edge::net::ResponseParser;

// The contract, with a listener that stops mid-body.
struct Checker : ResponseParser::Listener {
  bool OnHead(int status, const edge::net::HeaderList& headers) override {
    if (heads != 0 || status < 200 || status > 999) std::abort();  // one final head only
    ++heads;
    for (const auto& [name, value] : headers) bytes += name.size() + value.size();
    return true;
  }
  bool OnBody(std::string_view data) override {
    if (heads != 1 || data.empty()) std::abort();  // body only after the head
    body += data.size();
    return body < (1u << 20);  // exercises stopping mid-body too
  }
  int heads = 0;
  size_t bytes = 0;
  size_t body = 0;
};

void CheckContract(std::string_view input, bool head_request, size_t step) {
  ResponseParser parser;
  Checker checker;
  parser.Reset(&checker, head_request);
  bool failed = false;
  for (size_t i = 0; i < input.size() && !failed; i += step) {
    failed = !parser.Feed(input.substr(i, step)).ok();
  }
  edge::Status end = parser.Finish();
  if (parser.complete() && checker.heads != 1) std::abort();
  if (failed && end.ok()) std::abort();  // errors stick
  if (!end.ok() && end.message().empty()) std::abort();
  if (parser.head_done() != (checker.heads == 1)) std::abort();
}

// Everything the owner learns, as text, for comparing two ways of feeding.
struct Recorder : ResponseParser::Listener {
  bool OnHead(int status, const edge::net::HeaderList& headers) override {
    if (data.size() > 0) std::abort();
    data = "head " + std::to_string(status) + '\n';
    for (const auto& [name, value] : headers) data += name + ':' + value + '\n';
    return true;
  }
  bool OnBody(std::string_view body) override {
    if (data.empty()) std::abort();
    data.append(body);
    return true;
  }
  std::string data;
};

// Small limits, so that the caps are reached by short inputs.
std::string Run(std::string_view in, bool head_request, const std::vector<size_t>& steps) {
  ResponseLimits limits;
  limits.max_head_bytes = 512;
  limits.max_header_fields = 8;
  ResponseParser parser(limits);
  Recorder recorder;
  parser.Reset(&recorder, head_request);
  std::string error;
  size_t pos = 0;
  for (size_t i = 0; pos < in.size(); ++i) {
    size_t step = steps.empty() ? in.size() : steps[i % steps.size()];
    size_t n = std::min(step, in.size() - pos);
    edge::Status s = parser.Feed(in.substr(pos, n));
    pos += n;
    if (!s.ok()) {
      if (s.message().empty()) std::abort();
      error = s.message();
      break;
    }
  }
  edge::Status end = parser.Finish();
  if (!error.empty() && end.ok()) std::abort();
  return recorder.data + "|feed:" + error + "|finish:" + std::string(end.message()) +
         (parser.complete() ? "|complete" : "") +
         (parser.complete() && parser.keep_alive() ? "|ka" : "") +
         (parser.head_done() ? "|head" : "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool head_request = data[0] & 1;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  CheckContract(input, head_request, 1 + (data[0] >> 1));

  std::vector<size_t> steps;
  for (unsigned b = data[0] >> 1, i = 0; i < 4; ++i, b >>= 2) steps.push_back((b & 3) * 3 + 1);
  std::string whole = Run(input, head_request, {});
  if (Run(input, head_request, steps) != whole) std::abort();
  if (Run(input, head_request, {1}) != whole) std::abort();
  return 0;
}
