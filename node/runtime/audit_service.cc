#include "node/runtime/audit_service.h"

#include <cassert>

#include "ledger/audit_key.h"
#include "node/runtime/log.h"

namespace edge::runtime {

AuditService::AuditService(ledger::Writer& writer, std::unique_ptr<ledger::AuditLog> log)
    : writer_(writer), log_(std::move(log)) {}

AuditService::~AuditService() { assert(!started_ || closing_); }

Result<std::unique_ptr<AuditService>> AuditService::Open(const config::Config& cfg,
                                                         ledger::Store& store,
                                                         ledger::Writer& writer, uv_loop_t* loop) {
  bool created = false;
  Result<std::unique_ptr<ledger::SigningKey>> key =
      ledger::LoadOrCreateNodeKey(cfg.node.data_dir, &created);
  if (!key.ok()) return Status(key.status().code(), "audit key: " + key.status().message());
  if (created) {
    log::Info("audit signing key created: give the public key to your auditor",
              {{"public_key", ledger::NodePublicKeyPath(cfg.node.data_dir)}});
  }
  ledger::AuditLogOptions options;
  options.node = cfg.node.id;
  options.digest_every = cfg.audit.digest_every;
  options.digest_every_us = int64_t{cfg.audit.digest_every_s} * 1000000;
  EDGE_ASSIGN_OR_RETURN(std::unique_ptr<ledger::AuditLog> log,
                        ledger::AuditLog::Open(store, std::move(*key), options));
  std::unique_ptr<AuditService> service(new AuditService(writer, std::move(log)));
  uv_timer_init(loop, &service->timer_);
  service->timer_.data = service.get();
  service->started_ = true;
  uv_timer_start(&service->timer_, [](uv_timer_t* t) {
    auto* self = static_cast<AuditService*>(t->data);
    self->writer_.Submit(self->log_->MakeDigestJob(false));
  }, 1000, 1000);
  uv_unref(reinterpret_cast<uv_handle_t*>(&service->timer_));  // never keeps the node alive
  return service;
}

void AuditService::Close() {
  if (!started_ || closing_) return;
  closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void AuditService::SubmitFinalDigest() { writer_.Submit(log_->MakeDigestJob(true)); }

}  // namespace edge::runtime
