#pragma once

// `llm-edge audit verify --witness URL... --admin-key K` (docs/federation.md, "Witnessing"):
// what peers saw of this log (GET URL/admin/witness?node=ID: chain heads and signed digests
// they received by gossip, and when) must still be in it. A log cut or rewritten after its
// heads were witnessed fails, naming the first mismatch. This is what closes the gap a
// log verified alone leaves: records (and their digests) cut from the end.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace edge::cli {

// One thing a witness saw: a chain head (seq, hash) or a signed digest line.
struct WitnessClaim {
  std::string source;       // the witness's URL
  std::string received_at;  // as the witness wrote it
  bool digest = false;
  uint64_t seq = 0;      // head: record seq; digest: digest_seq
  std::string hash;      // head: record hash, lowercase hex
  std::string line;      // digest: the signed line
};

// Reads a GET /admin/witness answer (untrusted) into claims about `node`. InvalidArgument
// naming what is wrong (not JSON, another node, wrong types, a digest line that does not
// decode).
Result<std::vector<WitnessClaim>> ParseWitnessJson(std::string_view json, const std::string& node,
                                                  const std::string& source);

// Fed the log's lines in any order, checks every claim against them.
class WitnessCheck {
 public:
  explicit WitnessCheck(std::vector<WitnessClaim> claims);
  // A record line's seq and hash (hex), and a digest line with its digest_seq.
  void AddRecord(uint64_t seq, const std::string& hash_hex);
  void AddDigest(uint64_t digest_seq, std::string_view line);
  // Claims about records before `first_seq` are not checked (an export of a window).
  void set_first_seq(uint64_t first_seq) { first_seq_ = first_seq; }
  // "" when every claim holds, else the first failure (lowest seq, heads before digests).
  std::string Finish() const;
  size_t heads() const { return heads_.size(); }
  size_t digests() const { return digests_.size(); }

 private:
  struct Seen {
    const WitnessClaim* claim;
    bool found = false;
    std::string actual;  // what the log holds there, when it differs
  };
  std::vector<WitnessClaim> claims_;
  std::multimap<uint64_t, Seen> heads_, digests_;
  uint64_t first_seq_ = 0;
};

}  // namespace edge::cli
