// Thought signatures carried in tool call ids (the encoding is described in internal.h).
//
// Signatures are protobuf `bytes`, which Gemini writes as standard base64 with padding.
// In an id they are written in the URL-safe alphabet without padding, so that the id is
// [A-Za-z0-9_-] after the base: what Anthropic requires of a tool_use id, and nothing a
// JSON encoder or an SDK rewrites. Going back, the standard padded form is restored, so
// Gemini gets the very text it sent. Both alphabets are read either way, so ids written by
// other gateways in the same form with the raw signature (LiteLLM's) decode too.

#include <optional>
#include <string>
#include <string_view>

#include "providers/gemini/internal.h"

namespace edge::providers::gemini::internal {
namespace {

constexpr std::string_view kSeparator = "__thought__";
// A bound on what an id may carry (it is copied into every later request of a conversation),
// set well above the signatures Gemini is known to send.
constexpr size_t kMaxSignature = 64 * 1024;

// `base64` (either alphabet, padded or not) in the URL-safe alphabet unpadded, or in the
// standard one padded; nullopt when it is empty, too long or not base64.
std::optional<std::string> Rebase64(std::string_view base64, bool url_safe) {
  size_t n = base64.size();
  while (n > 0 && base64[n - 1] == '=') --n;
  const size_t padding = base64.size() - n;
  if (n == 0 || n > kMaxSignature || n % 4 == 1 || padding > 2 ||
      (padding > 0 && base64.size() % 4 != 0)) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(n + 3);
  for (char c : base64.substr(0, n)) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c == '+' || c == '-') {
      out.push_back(url_safe ? '-' : '+');
    } else if (c == '/' || c == '_') {
      out.push_back(url_safe ? '_' : '/');
    } else if (alnum) {
      out.push_back(c);
    } else {
      return std::nullopt;
    }
  }
  while (!url_safe && out.size() % 4 != 0) out.push_back('=');
  return out;
}

}  // namespace

std::string ToolCallId(const Piece& call, int index) {
  // Gemini has no call ids (a few surfaces do): make ones the client can answer. Requests
  // do not send ids back to Gemini, so one that holds the separator is replaced freely.
  const bool own = !call.id.empty() && call.id.find(kSeparator) == std::string::npos;
  std::string id = own ? call.id : "call_" + std::to_string(index);
  if (call.signature.empty()) return id;
  // A signature that is not base64 cannot be carried faithfully: the id stays plain.
  if (std::optional<std::string> sig = Rebase64(call.signature, true)) {
    id.append(kSeparator).append(*sig);
  }
  return id;
}

Result<std::string> ThoughtSignatureOf(std::string_view tool_call_id) {
  const size_t at = tool_call_id.find(kSeparator);
  if (at == std::string_view::npos) return std::string();
  std::optional<std::string> sig =
      Rebase64(tool_call_id.substr(at + kSeparator.size()), /*url_safe=*/false);
  if (!sig) {
    constexpr size_t kShown = 48;
    std::string shown(tool_call_id.substr(0, kShown));
    if (tool_call_id.size() > kShown) shown += "...";
    return InvalidArgument("gemini: tool call id '" + shown +
                           "' carries a malformed thought signature (the id must be sent back "
                           "exactly as it was received)");
  }
  return *std::move(sig);
}

}  // namespace edge::providers::gemini::internal
