#include "node/cli/audit_witness.h"

#include "ledger/audit_codec.h"
#include "providers/json_tree.h"

namespace edge::cli {
namespace {

Status Bad(const std::string& source, const std::string& what) {
  return InvalidArgument("witness " + source + ": " + what);
}

}  // namespace

Result<std::vector<WitnessClaim>> ParseWitnessJson(std::string_view json, const std::string& node,
                                                  const std::string& source) {
  providers::JsonTree tree;
  Status parsed = tree.Parse(json);
  if (!parsed.ok()) return Bad(source, "answer " + parsed.message());
  const providers::JsonNode& root = tree.root();
  if (!root.IsObject()) return Bad(source, "answer must be a JSON object");
  const providers::JsonNode* who = root.Find("node");
  if (who == nullptr || !who->IsString() || who->text() != node) {
    return Bad(source, "answer is not about node '" + node + "'");
  }
  std::vector<WitnessClaim> out;
  for (const char* kind : {"heads", "digests"}) {
    const providers::JsonNode* list = root.Find(kind);
    if (list == nullptr || !list->IsArray()) return Bad(source, std::string("'") + kind + "' must be an array");
    for (const providers::JsonNode& e : *list) {
      if (!e.IsObject()) return Bad(source, std::string("an entry of '") + kind + "' is not an object");
      WitnessClaim c;
      c.source = source;
      if (const providers::JsonNode* at = e.Find("received_at"); at && at->IsString()) {
        c.received_at = std::string(at->text());
      }
      if (std::string_view(kind) == "heads") {
        const providers::JsonNode* seq = e.Find("seq");
        const providers::JsonNode* hash = e.Find("hash");
        std::optional<int64_t> n = seq != nullptr && seq->IsNumber() ? seq->Int64() : std::nullopt;
        if (!n || *n <= 0 || hash == nullptr || !hash->IsString() || hash->text().size() != 64) {
          return Bad(source, "a head needs a positive integer 'seq' and a 64-hex 'hash'");
        }
        c.seq = static_cast<uint64_t>(*n);
        c.hash = std::string(hash->text());
      } else {
        const providers::JsonNode* line = e.Find("line");
        if (line == nullptr || !line->IsString()) return Bad(source, "a digest needs a string 'line'");
        Result<ledger::DigestLine> d = ledger::DecodeDigestLine(line->text());
        if (!d.ok()) return Bad(source, "a witnessed digest does not decode: " + d.status().message());
        if (d->digest.node != node) return Bad(source, "a witnessed digest is of another node");
        c.digest = true;
        c.seq = d->digest.digest_seq;
        c.line = std::string(line->text());
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

WitnessCheck::WitnessCheck(std::vector<WitnessClaim> claims) : claims_(std::move(claims)) {
  for (const WitnessClaim& c : claims_) {
    (c.digest ? digests_ : heads_).emplace(c.seq, Seen{&c, false, {}});
  }
}

void WitnessCheck::AddRecord(uint64_t seq, const std::string& hash_hex) {
  auto [begin, end] = heads_.equal_range(seq);
  for (auto it = begin; it != end; ++it) {
    it->second.found = true;
    if (it->second.claim->hash != hash_hex) it->second.actual = hash_hex;
  }
}

void WitnessCheck::AddDigest(uint64_t digest_seq, std::string_view line) {
  auto [begin, end] = digests_.equal_range(digest_seq);
  for (auto it = begin; it != end; ++it) {
    it->second.found = true;
    if (it->second.claim->line != line) it->second.actual = std::string(line);
  }
}

std::string WitnessCheck::Finish() const {
  for (const auto& [seq, seen] : heads_) {
    if (seq < first_seq_) continue;
    const WitnessClaim& c = *seen.claim;
    const std::string who = c.source + " (received " + c.received_at + ")";
    if (!seen.found) {
      return "record " + std::to_string(seq) + " is missing, but " + who +
             " witnessed it as the chain head with hash " + c.hash;
    }
    if (!seen.actual.empty()) {
      return "record " + std::to_string(seq) + " has hash " + seen.actual + ", but " + who +
             " witnessed " + c.hash;
    }
  }
  for (const auto& [seq, seen] : digests_) {
    const WitnessClaim& c = *seen.claim;
    const std::string who = c.source + " (received " + c.received_at + ")";
    if (!seen.found) {
      if (first_seq_ > 0) continue;  // an export holds the digests of its window only
      return "digest " + std::to_string(seq) + " is missing, but " + who + " witnessed it";
    }
    if (!seen.actual.empty()) {
      return "digest " + std::to_string(seq) + " differs from the one " + who + " witnessed";
    }
  }
  return {};
}

}  // namespace edge::cli
