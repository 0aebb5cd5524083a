#include "node/gossip/gossip_loop.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "common/clock.h"
#include "ledger/audit_chain.h"
#include "ledger/audit_hash.h"
#include "ledger/audit_store.h"
#include "ledger/rollup_key.h"
#include "node/runtime/log.h"

namespace edge::gossip {
namespace {

constexpr int64_t kSeedRefreshUs = 30'000'000;     // seeds' names are resolved again after this
constexpr int64_t kLogEveryUs = 10'000'000;        // bounded logging of bad frames
constexpr size_t kMaxLinkBuffered = 4u << 20;      // a peer that stopped reading is cut off
constexpr int kBacklog = 128;

// "host:port" -> host (brackets removed) and port.
bool SplitHostPort(const std::string& hp, std::string* host, uint16_t* port) {
  size_t colon = hp.rfind(':');
  if (colon == std::string::npos || colon + 1 >= hp.size()) return false;
  std::string h = hp.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned long p = std::strtoul(hp.c_str() + colon + 1, nullptr, 10);
  if (p == 0 || p > 65535) return false;
  *host = std::move(h);
  *port = static_cast<uint16_t>(p);
  return true;
}

std::string FormatAddress(const sockaddr_storage& a, uint16_t port) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (a.ss_family == AF_INET) {
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&a), buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port);
  }
  uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&a), buf, sizeof buf);
  std::string out(1, '[');  // appends: `"[" + std::string(..)` trips gcc 12's -Wrestrict
  out.append(buf).append("]:").append(std::to_string(port));
  return out;
}

federation::UsageCounters ToFederation(const ledger::UsageCounters& c) {
  auto u = [](int64_t v) { return v < 0 ? uint64_t{0} : static_cast<uint64_t>(v); };
  return {u(c.requests),    u(c.input_tokens), u(c.output_tokens), u(c.cached_input_tokens),
          u(c.cost_micros), u(c.estimated_cost_micros)};
}

}  // namespace

// ---- Link

void Link::OnConnected(net::StreamTransport&) { owner_.OnLinkConnected(*this); }
void Link::OnData(net::StreamTransport&, std::string_view data) { owner_.OnLinkData(*this, data); }
void Link::OnClosed(net::StreamTransport&, const Status& why) { owner_.OnLinkClosed(*this, why); }

void Seed::OnResolved(const Status& status, const net::AddressList& addresses) {
  owner->OnSeedResolved(*this, status, addresses);
}

// ---- GossipLoop

GossipLoop::GossipLoop(federation::GossipOptions options, LoopSettings settings)
    : gossiper(options), options_(std::move(options)), settings_(std::move(settings)),
      rng_(std::random_device{}()) {
  uv_loop_init(&loop_);
  dns_ = std::make_unique<net::DnsCache>(&loop_, static_cast<uint32_t>(kSeedRefreshUs / 1000));
  for (const std::string& s : settings_.seeds) {
    auto seed = std::make_unique<Seed>();
    seed->owner = this;
    if (!SplitHostPort(s, &seed->host, &seed->port)) continue;  // config checked it
    sockaddr_storage literal;
    if (net::ParseIpLiteral(seed->host, seed->port, &literal)) {
      seed->literal = true;
      seed->resolved.push_back(FormatAddress(literal, seed->port));
    }
    seeds_.push_back(std::move(seed));
  }
  uv_tcp_init(&loop_, &listener_);
  listener_.data = this;
  uv_timer_init(&loop_, &timer_);
  timer_.data = this;
  uv_async_init(&loop_, &stop_async_, OnStopAsync);
  stop_async_.data = this;
}

GossipLoop::~GossipLoop() {
  // Run() closed every handle; a loop that never ran closes them here.
  if (settings_.listen_fd >= 0) ::close(settings_.listen_fd);  // Run() never took it
  if (!closing_) {
    BeginClose();
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  closed_.clear();
  int rc = uv_loop_close(&loop_);
  if (rc != 0) log::Error("gossip loop closed with handles open", {{"error", uv_strerror(rc)}});
}

void GossipLoop::Run() {
  int r = uv_tcp_open(&listener_, settings_.listen_fd);
  if (r != 0) ::close(settings_.listen_fd);
  settings_.listen_fd = -1;  // the handle owns it now
  if (r == 0) r = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), kBacklog, OnAccept);
  if (r != 0) {
    log::Error("federation.listen: cannot listen", {{"error", uv_strerror(r)}});
  } else {
    listener_open_ = true;
  }
  // The first round at once: a starting node makes itself known without waiting.
  uv_timer_start(&timer_, OnTimer, 0, settings_.interval_ms);
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void GossipLoop::Stop() { uv_async_send(&stop_async_); }

void GossipLoop::OnStopAsync(uv_async_t* a) noexcept {
  static_cast<GossipLoop*>(a->data)->BeginClose();
}

void GossipLoop::BeginClose() {
  if (closing_) return;
  closing_ = true;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
  // Closing a transport calls back OnLinkClosed later, which moves the link to closed_.
  std::vector<Link*> open(links_.begin(), links_.end());
  for (Link* link : open) {
    if (link->transport != nullptr) link->transport->Close();
  }
  dns_->Shutdown([] {});
}

void GossipLoop::OnTimer(uv_timer_t* t) noexcept { static_cast<GossipLoop*>(t->data)->Round(); }

bool GossipLoop::Blocked() {
  if (settings_.block_file.empty()) return false;
  struct stat st;
  return ::stat(settings_.block_file.c_str(), &st) == 0;
}

void GossipLoop::Round() {
  closed_.clear();  // links closed during earlier turns: no callback of theirs is running
  const int64_t now = SystemClock().WallMicros();
  FeedLocalState();
  const bool blocked = Blocked();
  std::vector<std::string> seeds = SeedAddresses(now);
  std::vector<std::pair<std::string, std::vector<uint8_t>>> sends;
  {
    std::lock_guard lock(mu);
    gossiper.Tick(now);
    if (!blocked) {
      for (std::string& addr : gossiper.PickTargets(seeds, rng_())) {
        sends.emplace_back(std::move(addr), gossiper.BeginExchange(now));
      }
    }
  }
  if (blocked) {
    // Partition tests: cut every connection, both directions.
    std::vector<Link*> open(links_.begin(), links_.end());
    for (Link* link : open) {
      if (link->transport != nullptr) link->transport->Close();
    }
  }
  for (const auto& [addr, frame] : sends) SendTo(addr, frame, now);
  CloseIdleLinks(now);
  PublishRemoteSpend(now);
}

void GossipLoop::FeedLocalState() {
  const GossipInputs& in = settings_.inputs;
  ledger::SummaryUpdate update;
  if (in.summary != nullptr) update = in.summary->TakeUpdates();
  std::optional<ledger::AuditChainHead> head;
  std::string digest_line;
  if (in.audit != nullptr) {
    head = in.audit->head();
    if (head->digest_seq != last_digest_seq_ && in.store != nullptr) {
      auto line = ledger::GetAuditDigest(*in.store, head->digest_seq);
      if (line.ok() && line->has_value()) digest_line = std::move(**line);
    }
  }
  std::lock_guard lock(mu);
  for (const auto& [cell, counters] : update.usage) {
    federation::UsageCell c{cell.period, cell.team, cell.feature, cell.env, cell.model};
    Status s = gossiper.SetUsage(c, ToFederation(counters));
    if (!s.ok()) LogLimited("usage", "usage cell not gossiped", s.message());
  }
  for (const auto& [cell, cost] : update.budgets) {
    Status s = gossiper.SetBudgetSpend({cell.month, cell.subject},
                                       cost < 0 ? 0 : static_cast<uint64_t>(cost));
    if (!s.ok()) LogLimited("usage", "budget cell not gossiped", s.message());
  }
  if (head && head->seq != last_chain_seq_ && head->seq != 0) {
    if (gossiper.SetChainHead(head->seq, ledger::ToHex(head->hash)).ok()) last_chain_seq_ = head->seq;
  }
  if (!digest_line.empty()) {
    Status s = gossiper.SetDigest(std::move(digest_line));
    if (s.ok()) {
      last_digest_seq_ = head->digest_seq;
    } else {
      LogLimited("digest", "signed digest not gossiped", s.message());
    }
  }
}

// Other nodes' month spend per budget subject into the accounts' atomics: the request path
// reads them without a lock (ledger::Account::TryReserve).
void GossipLoop::PublishRemoteSpend(int64_t now) {
  ledger::BudgetBook* book = settings_.inputs.budgets;
  if (book == nullptr) return;
  const std::string month =
      ledger::DisplayPeriod(ledger::PeriodOf(ledger::Granularity::kMonth, now));
  const int32_t month_index = ledger::MonthIndex(now);
  for (const ledger::Account* a : book->All()) {
    if (!a->global_budget_micros()) continue;
    std::string subject = a->kind();  // "key:<id>" / "team:<name>" (appends: no gcc 12
    subject.push_back(':');            // -Wrestrict false positive)
    subject.append(a->name());
    uint64_t remote;
    {
      std::lock_guard lock(mu);
      // Every origin but this one: this node's own spend is its live account, not gossip.
      remote = gossiper.usage_view().BudgetTotal({month, std::move(subject)}, options_.id);
    }
    book->Find(a->kind(), a->name())
        ->SetRemoteSpent(month_index, static_cast<int64_t>(std::min<uint64_t>(remote, INT64_MAX)));
  }
}

std::vector<std::string> GossipLoop::SeedAddresses(int64_t now) {
  std::vector<std::string> out;
  for (auto& seed : seeds_) {
    if (!seed->literal && !seed->resolving && now - seed->resolved_at_us >= kSeedRefreshUs) {
      if (dns_->Resolve(seed->host, seed.get()).ok()) seed->resolving = true;
    }
    out.insert(out.end(), seed->resolved.begin(), seed->resolved.end());
  }
  return out;
}

void GossipLoop::OnSeedResolved(Seed& seed, const Status& status,
                                const net::AddressList& addresses) {
  seed.resolving = false;
  seed.resolved_at_us = SystemClock().WallMicros();
  if (!status.ok()) {
    // Keep the addresses of the last good answer: a DNS hiccup must not cut the seed off.
    LogLimited("dns", "federation.peers: cannot resolve a seed", status.message());
    return;
  }
  seed.resolved.clear();
  for (const sockaddr_storage& a : addresses) seed.resolved.push_back(FormatAddress(a, seed.port));
}

void GossipLoop::SendTo(const std::string& addr, const std::vector<uint8_t>& frame, int64_t now) {
  std::string_view bytes(reinterpret_cast<const char*>(frame.data()), frame.size());
  auto it = outbound_.find(addr);
  if (it != outbound_.end() && it->second->transport != nullptr &&
      !it->second->transport->closing()) {
    Link& link = *it->second;
    if (link.transport->buffered() > kMaxLinkBuffered) {
      Drop(link, "stalled", "peer " + addr + " does not read");
      return;
    }
    link.last_active_us = now;
    link.transport->Write(bytes);
    return;
  }
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(addr, &host, &port)) return;
  sockaddr_storage sa;
  if (!net::ParseIpLiteral(host, port, &sa)) {
    const net::AddressList* cached = dns_->Lookup(host);
    if (cached == nullptr || cached->empty()) {
      (void)dns_->Resolve(host, &cache_filler_);  // connects on a later round
      return;
    }
    sa = cached->front();
    net::SetPort(&sa, port);
  }
  auto link = std::make_unique<Link>(*this, addr, options_.max_frame_bytes);
  link->last_active_us = now;
  Link* raw = link.release();
  links_.insert(raw);
  outbound_[addr] = raw;
  {
    std::lock_guard lock(mu);
    ++transport.connections_opened;
  }
  raw->transport = net::StreamTransport::Connect(&loop_, reinterpret_cast<const sockaddr*>(&sa),
                                                 settings_.tls_client, host, raw);
  if (raw->transport == nullptr) {  // not expected: errors come as OnClosed
    links_.erase(raw);
    outbound_.erase(addr);
    closed_.emplace_back(raw);
    return;
  }
  raw->transport->Write(bytes);  // queued until connected
}

void GossipLoop::OnAccept(uv_stream_t* server, int status) noexcept {
  auto* self = static_cast<GossipLoop*>(server->data);
  if (status != 0 || self->closing_) return;
  auto link = std::make_unique<Link>(*self, "", self->options_.max_frame_bytes);
  Link* raw = link.get();
  net::StreamTransport* t = net::StreamTransport::Accept(server, self->settings_.tls_server, raw);
  if (t == nullptr) return;
  link.release();
  raw->transport = t;
  raw->connected = true;
  raw->last_active_us = SystemClock().WallMicros();
  self->links_.insert(raw);
  {
    std::lock_guard lock(self->mu);
    ++self->transport.connections_accepted;
  }
  if (self->Blocked()) {
    std::lock_guard lock(self->mu);
    ++self->transport.blocked_drops;
    t->Close();
  }
}

void GossipLoop::OnLinkConnected(Link& link) { link.connected = true; }

void GossipLoop::OnLinkData(Link& link, std::string_view data) {
  if (link.transport == nullptr || link.transport->closing()) return;
  const int64_t now = SystemClock().WallMicros();
  link.last_active_us = now;
  if (!settings_.block_file.empty() && Blocked()) {
    {
      std::lock_guard lock(mu);
      ++transport.blocked_drops;
    }
    link.transport->Close();
    return;
  }
  std::vector<std::vector<uint8_t>> frames;
  Status split = link.splitter_.Feed(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()),
      frames);
  std::vector<std::vector<uint8_t>> replies;
  std::string drop_reason, drop_detail;
  {
    std::lock_guard lock(mu);
    for (const auto& f : frames) {
      Result<std::vector<std::vector<uint8_t>>> r = gossiper.OnFrame(f, now);
      if (!r.ok()) {
        drop_reason = std::string(federation::DropReasonName(gossiper.last_drop_reason()));
        drop_detail = r.status().message();
        break;
      }
      for (auto& reply : *r) replies.push_back(std::move(reply));
    }
    if (drop_reason.empty() && !split.ok()) {
      ++split_drops;
      drop_reason = "size";
      drop_detail = split.message();
    }
  }
  for (const auto& reply : replies) {
    link.transport->Write(
        std::string_view(reinterpret_cast<const char*>(reply.data()), reply.size()));
  }
  if (!drop_reason.empty()) Drop(link, drop_reason, drop_detail);
}

void GossipLoop::Drop(Link& link, const std::string& reason, const std::string& detail) {
  std::string peer = link.transport != nullptr ? link.transport->peer_ip() : std::string();
  LogLimited(reason, "gossip frame dropped, connection closed",
             detail + (peer.empty() ? "" : " (peer " + peer + ")"));
  if (link.transport != nullptr) link.transport->Close();
}

void GossipLoop::OnLinkClosed(Link& link, const Status& why) {
  if (!link.connected && !link.addr().empty()) {
    std::lock_guard lock(mu);
    ++transport.connect_failures;
    LogLimited("connect", "cannot reach a federation peer", link.addr() + ": " + why.message());
  }
  link.transport = nullptr;  // the transport deletes itself after this call
  if (!link.addr().empty()) {
    auto it = outbound_.find(link.addr());
    if (it != outbound_.end() && it->second == &link) outbound_.erase(it);
  }
  links_.erase(&link);
  closed_.emplace_back(&link);  // freed later, never inside its own callback
}

void GossipLoop::CloseIdleLinks(int64_t now) {
  // A connection neither side used for this long belongs to a peer that left.
  const int64_t idle_us = 10 * static_cast<int64_t>(settings_.interval_ms) * 1000 + 5'000'000;
  std::vector<Link*> open(links_.begin(), links_.end());
  for (Link* link : open) {
    if (link->transport != nullptr && now - link->last_active_us > idle_us) {
      link->transport->Close();
    }
  }
}

void GossipLoop::LogLimited(const std::string& kind, const std::string& message,
                            const std::string& detail) {
  const int64_t now = SystemClock().WallMicros();
  LogState& st = log_state_[kind];
  if (now - st.last_us < kLogEveryUs) {
    ++st.suppressed;
    return;
  }
  std::string suppressed = std::to_string(st.suppressed);
  st.last_us = now;
  st.suppressed = 0;
  log::Warn(message, {{"reason", kind}, {"detail", detail}, {"not_logged_since", suppressed}});
}

}  // namespace edge::gossip
