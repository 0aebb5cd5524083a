#include "federation/gossiper.h"

#include <algorithm>
#include <cassert>
#include <set>

#include "federation/codec.h"
#include "federation/frame.h"
#include "federation/scuttlebutt.h"

namespace edge::federation {
namespace {

// The largest entry a message must be able to carry whole: a digest line and its framing.
constexpr size_t kMaxEntryBytes = kMaxDigestBytes + 64;
constexpr size_t kMaxBudgetBytes = 256 * 1024;  // keeps arrays under kMaxArrayElements

class SplitMix64 {  // Steele, Lea, Flood 2014; the caller's random seeds it
 public:
  explicit SplitMix64(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t s_;
};

Status TooLong(const char* what, size_t max) {
  return InvalidArgument(std::string("federation: ") + what + " is longer than " +
                         std::to_string(max) + " bytes");
}

Status CheckCell(const UsageCell& c) {
  for (const std::string* f : {&c.period, &c.team, &c.feature, &c.env, &c.model})
    if (f->size() > kMaxNameBytes) return TooLong("a usage cell field", kMaxNameBytes);
  return Status::Ok();
}

// Estimated encoded size of one digest entry.
size_t DigestEntryBytes(const DigestEntry& d) { return d.origin.size() + 5 + 1 + 9 + 9; }

// Keeps at most `max_bytes` of `digest`, starting at a rotating offset so that every origin is
// mentioned now and then. Leaving an origin out is safe: the peer then sends it whole or
// does not ask for it, and the next exchange mentions it.
void TrimDigest(std::vector<DigestEntry>& digest, size_t max_bytes, uint64_t rotation) {
  size_t total = 0;
  for (const DigestEntry& d : digest) total += DigestEntryBytes(d);
  if (total <= max_bytes || digest.empty()) return;
  std::rotate(digest.begin(), digest.begin() + static_cast<ptrdiff_t>(rotation % digest.size()),
              digest.end());
  size_t bytes = 0, keep = 0;
  while (keep < digest.size() && bytes + DigestEntryBytes(digest[keep]) <= max_bytes)
    bytes += DigestEntryBytes(digest[keep++]);
  digest.resize(keep);
}

}  // namespace

Status ValidateGossipOptions(const GossipOptions& o) {
  if (o.id.empty()) return InvalidArgument("federation: the node id is empty");
  for (const std::string* f : {&o.id, &o.region, &o.jurisdiction, &o.advertise})
    if (f->size() > kMaxNameBytes)
      return TooLong("id, region, jurisdiction or advertise", kMaxNameBytes);
  if (o.admin_url.size() > kMaxUrlBytes) return TooLong("admin_url", kMaxUrlBytes);
  if (o.generation <= 0) return InvalidArgument("federation: generation must be > 0");
  if (o.keys.empty()) return InvalidArgument("federation: the keyring is empty");
  for (const std::string& k : o.keys)
    if (k.empty()) return InvalidArgument("federation: a keyring key is empty");
  if (o.interval_ms == 0) return InvalidArgument("federation: interval_ms must be > 0");
  if (!(o.phi_suspect > 0) || !(o.phi_dead > o.phi_suspect))
    return InvalidArgument("federation: want 0 < phi_suspect < phi_dead");
  if (o.fanout < 1 || o.fanout > 3) return InvalidArgument("federation: fanout must be 1..3");
  if (o.round_byte_budget < kMaxEntryBytes || o.round_byte_budget > kMaxBudgetBytes)
    return InvalidArgument("federation: round_byte_budget must be in [" +
                           std::to_string(kMaxEntryBytes) + ", " + std::to_string(kMaxBudgetBytes) +
                           "]");
  if (o.max_frame_bytes < 2 * o.round_byte_budget || o.max_frame_bytes > (64u << 20))
    return InvalidArgument(
        "federation: max_frame_bytes must be in [2 x round_byte_budget, 64 MiB]");
  if (o.max_origins < 1 || o.max_origins > kMaxArrayElements)
    return InvalidArgument("federation: max_origins must be in [1, " +
                           std::to_string(kMaxArrayElements) + "]");
  return Status::Ok();
}

Gossiper::Gossiper(GossipOptions options) : options_(std::move(options)) {
  assert(ValidateGossipOptions(options_).ok());
  options_.fanout = std::clamp<uint32_t>(options_.fanout, 1, 3);
  options_.round_byte_budget =
      std::clamp(options_.round_byte_budget, kMaxEntryBytes, kMaxBudgetBytes);
  options_.max_frame_bytes = std::max(options_.max_frame_bytes, 2 * options_.round_byte_budget);
  options_.max_origins = std::clamp<size_t>(options_.max_origins, 1, kMaxArrayElements);
  OriginState& me =
      states_.emplace(options_.id, OriginState(options_.id, options_.generation)).first->second;
  me.Put(NodeMeta{options_.id, options_.region, options_.jurisdiction, options_.advertise,
                  options_.admin_url, options_.generation});
  me.Put(Heartbeat{heartbeat_});
}

// ---- local state

Status Gossiper::SetUsage(const UsageCell& cell, const UsageCounters& counters) {
  EDGE_RETURN_IF_ERROR(CheckCell(cell));
  if (!usage_.MergeUsage(options_.id, cell, counters)) return Status::Ok();
  const UsageView::Origin* mine = usage_.Find(options_.id);
  self().Put(UsageEntry{cell, mine->cells.at(cell)});
  return Status::Ok();
}

Status Gossiper::SetBudgetSpend(const BudgetCell& cell, uint64_t cost_micro_usd) {
  if (cell.month.size() > kMaxNameBytes || cell.subject.size() > kMaxNameBytes)
    return TooLong("a budget cell field", kMaxNameBytes);
  if (!usage_.MergeBudget(options_.id, cell, cost_micro_usd)) return Status::Ok();
  self().Put(BudgetEntry{cell, cost_micro_usd});
  return Status::Ok();
}

Status Gossiper::SetChainHead(uint64_t seq, std::string hash_hex) {
  if (hash_hex.size() > kMaxNameBytes) return TooLong("the chain head hash", kMaxNameBytes);
  const Entry* current = self().Find(ChainHead{});
  if (current != nullptr && std::get<ChainHead>(current->payload).seq >= seq) return Status::Ok();
  self().Put(ChainHead{seq, std::move(hash_hex)});
  return Status::Ok();
}

Status Gossiper::SetDigest(std::string line) {
  if (line.size() > kMaxDigestBytes) return TooLong("the signed digest", kMaxDigestBytes);
  const Entry* current = self().Find(SignedDigest{});
  if (current != nullptr && std::get<SignedDigest>(current->payload).line == line)
    return Status::Ok();
  self().Put(SignedDigest{std::move(line)});
  return Status::Ok();
}

void Gossiper::Tick(int64_t now_us) {
  last_tick_us_ = now_us;
  self().Put(Heartbeat{++heartbeat_});
}

// ---- exchanges

std::vector<std::string> Gossiper::PickTargets(const std::vector<std::string>& seeds,
                                               uint64_t random) const {
  SplitMix64 rng(random);
  std::vector<const std::string*> live, dead;
  for (const auto& [id, peer] : peers_) {
    if (peer.address.empty() || peer.address == options_.advertise) continue;
    bool is_dead = StateOf(PhiOf(peer, last_tick_us_)) == MemberState::kDead;
    (is_dead ? dead : live).push_back(&peer.address);
  }
  std::vector<std::string> out;
  auto add = [&out](const std::string& a) {
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  };
  size_t n_live = live.size(), n_dead = dead.size();
  for (size_t i = 0; i < options_.fanout && i < live.size(); ++i) {  // partial Fisher-Yates
    std::swap(live[i], live[i + rng.Below(live.size() - i)]);
    add(*live[i]);
  }
  if (n_dead > 0 && rng.Unit() < static_cast<double>(n_dead) / static_cast<double>(n_live + 1))
    add(*dead[rng.Below(n_dead)]);
  std::vector<const std::string*> other_seeds;
  for (const std::string& s : seeds)
    if (!s.empty() && s != options_.advertise) other_seeds.push_back(&s);
  if (!other_seeds.empty() &&
      (n_live == 0 || rng.Unit() < static_cast<double>(other_seeds.size()) /
                                       static_cast<double>(n_live + n_dead + 1)))
    add(*other_seeds[rng.Below(other_seeds.size())]);
  return out;
}

std::vector<DigestEntry> Gossiper::Digest() const {
  std::vector<DigestEntry> digest;
  digest.reserve(states_.size());
  for (const auto& [id, s] : states_) digest.push_back({id, s.generation(), s.max_version()});
  return digest;
}

std::vector<uint8_t> Gossiper::BeginExchange(int64_t now_us) {
  std::vector<DigestEntry> digest = Digest();
  TrimDigest(digest, options_.max_frame_bytes - options_.round_byte_budget - 1024, ++exchanges_);
  return Seal(EncodeMessage(MessageType::kSyn, options_.id, digest, {}));
}

std::vector<uint8_t> Gossiper::Seal(std::vector<uint8_t> body) {
  std::vector<uint8_t> frame = SealFrame(body, options_.keys.front());
  ++stats_.frames_out;
  stats_.bytes_out += frame.size();
  return frame;
}

Result<std::vector<std::vector<uint8_t>>> Gossiper::Drop(DropReason reason, std::string detail) {
  ++stats_.dropped[static_cast<size_t>(reason)];
  last_drop_ = reason;
  return Status(reason == DropReason::kTag ? Code::kUnauthenticated : Code::kInvalidArgument,
                "federation frame dropped (" + std::string(DropReasonName(reason)) +
                    "): " + std::move(detail));
}

Result<std::vector<std::vector<uint8_t>>> Gossiper::OnFrame(std::span<const uint8_t> frame,
                                                            int64_t now_us) {
  ++stats_.frames_in;
  stats_.bytes_in += frame.size();
  OpenedFrame opened = OpenFrame(frame, options_.keys, options_.max_frame_bytes);
  if (!opened.ok) {
    const char* what = opened.reason == DropReason::kTag       ? "no keyring key signed it"
                       : opened.reason == DropReason::kVersion ? "unknown frame version"
                                                               : "bad frame size";
    return Drop(opened.reason, what);
  }
  Message msg;
  DecodeStatus decoded = DecodeMessage(opened.body, msg);
  if (!decoded.ok) return Drop(decoded.reason, std::move(decoded.detail));
  std::string detail;
  if (!DeltasConsistent(msg.deltas, &detail)) return Drop(DropReason::kSchema, std::move(detail));

  std::vector<std::vector<uint8_t>> replies;
  switch (msg.type) {
    case MessageType::kSyn:
      replies.push_back(Reply(MessageType::kAck, msg.digest, /*send_unmentioned=*/true));
      break;
    case MessageType::kAck: {
      ApplyDeltas(msg.deltas, now_us);
      std::vector<uint8_t> ack2 = Reply(MessageType::kAck2, msg.digest, false);
      if (!ack2.empty()) replies.push_back(std::move(ack2));
      break;
    }
    case MessageType::kAck2:
      ApplyDeltas(msg.deltas, now_us);
      break;
  }
  return replies;
}

std::vector<uint8_t> Gossiper::Reply(MessageType type, const std::vector<DigestEntry>& peer,
                                     bool send_unmentioned) {
  Reconciliation r = Reconcile(states_, peer, send_unmentioned, options_.id);
  // Origins this node could not keep are not asked for.
  size_t room = options_.max_origins > states_.size() ? options_.max_origins - states_.size() : 0;
  std::erase_if(r.to_request, [&](const DigestEntry& d) {
    if (states_.contains(d.origin)) return false;
    if (room == 0) {
      ++stats_.origins_refused;
      return true;
    }
    --room;
    return false;
  });
  for (const DigestEntry& d : peer) {
    if (d.origin == options_.id && d.generation > options_.generation) ++stats_.self_conflicts;
  }
  TrimDigest(r.to_request, options_.max_frame_bytes - options_.round_byte_budget - 1024,
             exchanges_);
  Selection sel = SelectDeltas(std::move(r.to_send), options_.round_byte_budget, ++exchanges_);
  if (type == MessageType::kAck2 && sel.deltas.empty()) return {};
  stats_.entries_sent += sel.entries;
  return Seal(EncodeMessage(type, options_.id, r.to_request, sel.deltas));
}

bool Gossiper::DeltasConsistent(const std::vector<OriginDelta>& deltas, std::string* detail) const {
  for (const OriginDelta& d : deltas) {
    if (d.origin.empty() || d.generation <= 0) {
      *detail = "a delta without origin or generation";
      return false;
    }
    for (const Entry& e : d.entries) {
      const auto* meta = std::get_if<NodeMeta>(&e.payload);
      if (meta != nullptr && (meta->id != d.origin || meta->generation != d.generation)) {
        *detail = "meta of " + meta->id + " in a delta of " + d.origin;
        return false;
      }
    }
  }
  return true;
}

void Gossiper::ApplyDeltas(const std::vector<OriginDelta>& deltas, int64_t now_us) {
  for (const OriginDelta& d : deltas) {
    if (d.entries.empty()) continue;  // nothing to learn (and no empty origin to keep)
    if (d.origin == options_.id) {    // only this node writes its state
      if (d.generation > options_.generation) ++stats_.self_conflicts;
      continue;
    }
    auto it = states_.find(d.origin);
    if (it == states_.end()) {
      if (states_.size() >= options_.max_origins) {
        ++stats_.origins_refused;
        continue;
      }
      it = states_.emplace(d.origin, OriginState(d.origin, d.generation)).first;
    } else if (d.generation < it->second.generation()) {
      continue;  // an older life of the origin: superseded
    } else if (d.generation > it->second.generation()) {
      it->second.Reset(d.generation);  // restarted: its versioned state starts over
      peers_.erase(d.origin);
    }
    Peer& peer = peers_[d.origin];
    for (const Entry& e : d.entries) ApplyEntry(it->second, peer, e, now_us);
  }
}

void Gossiper::ApplyEntry(OriginState& state, Peer& peer, const Entry& entry, int64_t now_us) {
  if (!state.Apply(entry)) return;
  ++stats_.entries_applied;
  const std::string& origin = state.id();
  if (const auto* hb = std::get_if<Heartbeat>(&entry.payload)) {
    if (!peer.detector || hb->counter > peer.heartbeat) {
      const int64_t interval_us = int64_t{options_.interval_ms} * 1000;
      if (!peer.detector) peer.detector.emplace(2 * interval_us, 2 * interval_us);
      peer.heartbeat = hb->counter;
      peer.detector->Heartbeat(now_us);
    }
  } else if (const auto* meta = std::get_if<NodeMeta>(&entry.payload)) {
    peer.address = meta->advertise;
  } else if (const auto* u = std::get_if<UsageEntry>(&entry.payload)) {
    usage_.MergeUsage(origin, u->cell, u->counters);
  } else if (const auto* b = std::get_if<BudgetEntry>(&entry.payload)) {
    usage_.MergeBudget(origin, b->cell, b->cost_micro_usd);
  } else if (const auto* h = std::get_if<ChainHead>(&entry.payload)) {
    witness_.RecordHead(origin, state.generation(), h->seq, h->hash_hex, now_us);
  } else if (const auto* g = std::get_if<SignedDigest>(&entry.payload)) {
    witness_.RecordDigest(origin, state.generation(), g->line, now_us);
  }
}

// ---- views

const Gossiper::Peer* Gossiper::FindPeer(const std::string& id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : &it->second;
}

double Gossiper::PhiOf(const Peer& peer, int64_t now_us) const {
  return peer.detector ? peer.detector->Phi(now_us) : 0;
}

MemberState Gossiper::StateOf(double phi) const {
  if (phi >= options_.phi_dead) return MemberState::kDead;
  if (phi >= options_.phi_suspect) return MemberState::kSuspect;
  return MemberState::kAlive;
}

std::vector<MemberInfo> Gossiper::Members(int64_t now_us) const {
  std::vector<MemberInfo> out;
  for (const auto& [id, state] : states_) {
    MemberInfo m;
    m.id = id;
    m.incarnation = state.generation();
    if (const Entry* e = state.Find(NodeMeta{})) {
      const auto& meta = std::get<NodeMeta>(e->payload);
      m.address = meta.advertise;
      m.region = meta.region;
      m.jurisdiction = meta.jurisdiction;
      m.admin_url = meta.admin_url;
    }
    if (id == options_.id) {
      m.self = true;
      m.last_seen_us = now_us;
    } else if (const Peer* peer = FindPeer(id); peer != nullptr && peer->detector) {
      m.last_seen_us = peer->detector->last_us();
      m.phi = peer->detector->Phi(now_us);
      m.state = StateOf(m.phi);
    }
    out.push_back(std::move(m));
  }
  return out;
}

GlobalUsage Gossiper::Usage(int64_t now_us) const {
  std::set<std::string> ids;
  for (const auto& [id, s] : states_) ids.insert(id);
  for (const auto& [id, o] : usage_.origins()) ids.insert(id);
  std::vector<MemberInfo> members = Members(now_us);
  GlobalUsage out;
  for (const std::string& id : ids) {
    OriginUsage o;
    o.id = id;
    auto m = std::lower_bound(members.begin(), members.end(), id,
                              [](const MemberInfo& a, const std::string& b) { return a.id < b; });
    if (m != members.end() && m->id == id) {
      o.region = m->region;
      o.jurisdiction = m->jurisdiction;
      o.generation = m->incarnation;
      o.as_of_us = m->last_seen_us;
      o.reachable = m->state != MemberState::kDead;
      o.self = m->self;
    }
    if (const UsageView::Origin* u = usage_.Find(id)) {
      for (const auto& [cell, counters] : u->cells) o.cells.push_back({cell, counters});
      for (const auto& [cell, cost] : u->budget) o.budget.push_back({cell, cost});
    }
    out.origins.push_back(std::move(o));
  }
  return out;
}

}  // namespace edge::federation
