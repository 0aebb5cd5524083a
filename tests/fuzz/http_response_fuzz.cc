// Feeds arbitrary bytes to the upstream client's response parser, split where the first
// byte says, then ends the stream: nothing may crash, leak or break the parser's contract.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "node/net/response_parser.h"

namespace {

struct Checker : edge::net::ResponseParser::Listener {
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // First byte: bit 0 = response to HEAD; the rest picks the piece size.
  bool head_request = data[0] & 1;
  size_t step = 1 + (data[0] >> 1);
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  edge::net::ResponseParser parser;
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
  return 0;
}
