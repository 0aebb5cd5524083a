// `llm-edge audit verify|export|residency` and `llm-edge keygen --node`: the offline side of
// the routing audit log (ledger/audit_*.h). They open the data dir's store as a RocksDB
// secondary, so they work beside a running node, or read an export file with no node at all.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/utc_time.h"
#include "ledger/audit_key.h"
#include "ledger/audit_store.h"
#include "ledger/audit_codec.h"
#include "ledger/audit_hash.h"
#include "node/cli/admin_get.h"
#include "node/cli/audit_witness.h"
#include "node/cli/commands.h"
#include "node/runtime/journal_recovery.h"

namespace edge::cli {
namespace {

constexpr char kAuditUsage[] =
    "usage: llm-edge audit verify (--data-dir DIR | --export FILE) [--pubkey FILE]\n"
    "                             [--witness URL... --admin-key K]\n"
    "       llm-edge audit export --data-dir DIR [--from T] [--to T]\n"
    "       llm-edge audit residency (--data-dir DIR | --export FILE) [--from T] [--to T]\n"
    "T: RFC 3339 (2026-12-06T04:00:00Z) or YYYY-MM-DD, UTC; --to DATE includes that day.\n";

struct AuditArgs {
  std::string data_dir, export_file, pubkey, from, to, admin_key;
  std::vector<std::string> witnesses;
  std::string error;  // a usage problem
};

AuditArgs ParseArgs(const std::vector<std::string>& args) {
  AuditArgs a;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i], value;
    size_t eq = name.find('=');
    if (name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      a.error = name + " needs a value";
      return a;
    }
    if (name == "--data-dir") {
      a.data_dir = value;
    } else if (name == "--export") {
      a.export_file = value;
    } else if (name == "--pubkey") {
      a.pubkey = value;
    } else if (name == "--from") {
      a.from = value;
    } else if (name == "--to") {
      a.to = value;
    } else if (name == "--witness") {
      a.witnesses.push_back(value);
    } else if (name == "--admin-key") {
      a.admin_key = value;
    } else {
      a.error = "unknown option " + name;
      return a;
    }
  }
  return a;
}

int Usage(const std::string& sub, const std::string& problem) {
  std::fprintf(stderr, "llm-edge audit %s: %s\n%s", sub.c_str(), problem.c_str(), kAuditUsage);
  return 2;
}

// The node's store, opened beside a possibly running node.
Result<std::unique_ptr<ledger::Store>> OpenStore(const std::string& data_dir) {
  const std::string dir = (std::filesystem::path(data_dir) / "ledger").string();
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    return NotFound("no ledger store in " + data_dir + " (looked for " + dir + ")");
  }
  EDGE_RETURN_IF_ERROR(runtime::RecoverJournalsOfStoppedNode(data_dir));
  ledger::StoreOptions options;
  options.mode = ledger::OpenMode::kSecondary;
  EDGE_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Store> store, ledger::Store::Open(dir, options));
  EDGE_RETURN_IF_ERROR(store->CatchUp());
  return store;
}

Result<ledger::TimeWindow> Window(const AuditArgs& a) {
  ledger::TimeWindow w;
  if (!a.from.empty()) {
    EDGE_ASSIGN_OR_RETURN(w.from_us, ParseUtcTime(a.from));
  }
  if (!a.to.empty()) {
    EDGE_ASSIGN_OR_RETURN(w.to_us, ParseUtcTimeEnd(a.to));
  }
  return w;
}

// Calls visit(line, line_number) for each non-empty line of FILE.
Status ForEachLine(const std::string& file,
                   const std::function<void(std::string_view, size_t)>& visit) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return NotFound("cannot read " + file);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty()) visit(line, n);
  }
  if (in.bad()) return Internal("error reading " + file);
  return Status::Ok();
}

// Every line of the log (the store's, in log order, or the export's).
Status ForEachLogLine(const AuditArgs& a, const std::function<void(std::string_view)>& visit) {
  if (!a.data_dir.empty()) {
    EDGE_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Store> store, OpenStore(a.data_dir));
    return ledger::ScanAuditLog(*store, [&](std::string_view line, std::string_view, uint64_t) {
      visit(line);
      return true;
    });
  }
  return ForEachLine(a.export_file, [&](std::string_view line, size_t) { visit(line); });
}

// --witness: what the peers saw of this log must still be in it (audit_witness.h).
int CheckWitnesses(const AuditArgs& a) {
  std::string node;
  uint64_t first_seq = 0;
  Status st = ForEachLogLine(a, [&](std::string_view line) {
    if (ledger::TypeOfLine(line) == ledger::LineType::kRecord) {
      Result<ledger::RecordLine> r = ledger::DecodeRecordLine(line);
      if (!r.ok()) return;
      if (node.empty()) node = r->record.node;
      if (first_seq == 0) first_seq = r->seq;
    } else if (node.empty()) {
      Result<ledger::DigestLine> d = ledger::DecodeDigestLine(line);
      if (d.ok()) node = d->digest.node;
    }
  });
  if (!st.ok() || node.empty()) {
    std::printf("witness: FAILED: cannot tell whose log this is: %s\n",
                st.ok() ? "no record or digest decodes" : st.message().c_str());
    return 1;
  }
  std::vector<WitnessClaim> claims;
  for (const std::string& url : a.witnesses) {
    Result<AdminResponse> r = AdminGet(url, "/admin/witness?node=" + node, a.admin_key);
    if (!r.ok() || r->status != 200) {
      std::printf("witness: FAILED: cannot ask %s: %s\n", url.c_str(),
                  r.ok() ? ("it answered " + std::to_string(r->status) + ": " + r->body).c_str()
                         : r.status().message().c_str());
      return 1;
    }
    Result<std::vector<WitnessClaim>> c = ParseWitnessJson(r->body, node, url);
    if (!c.ok()) {
      std::printf("witness: FAILED: %s\n", c.status().message().c_str());
      return 1;
    }
    claims.insert(claims.end(), c->begin(), c->end());
  }
  WitnessCheck check(std::move(claims));
  if (!a.export_file.empty()) check.set_first_seq(first_seq);
  st = ForEachLogLine(a, [&](std::string_view line) {
    if (ledger::TypeOfLine(line) == ledger::LineType::kRecord) {
      Result<ledger::RecordLine> r = ledger::DecodeRecordLine(line);
      if (r.ok()) check.AddRecord(r->seq, ledger::ToHex(r->hash));
    } else if (ledger::TypeOfLine(line) == ledger::LineType::kDigest) {
      Result<ledger::DigestLine> d = ledger::DecodeDigestLine(line);
      if (d.ok()) check.AddDigest(d->digest.digest_seq, line);
    }
  });
  if (!st.ok()) {
    std::printf("witness: FAILED: %s\n", st.message().c_str());
    return 1;
  }
  std::string failure = check.Finish();
  if (!failure.empty()) {
    std::printf("witness: FAILED: %s\n", failure.c_str());
    return 1;
  }
  std::printf("witness: OK: %zu chain heads and %zu digests that %zu peer(s) witnessed of %s are "
              "in the log\n",
              check.heads(), check.digests(), a.witnesses.size(), node.c_str());
  return 0;
}

int Verify(const AuditArgs& a) {
  if (a.data_dir.empty() == a.export_file.empty()) {
    return Usage("verify", "give one of --data-dir DIR or --export FILE");
  }
  if (!a.witnesses.empty() && a.admin_key.empty()) {
    return Usage("verify", "--witness needs --admin-key K (the witnessing nodes' admin key)");
  }
  std::string pubkey = a.pubkey;
  if (pubkey.empty() && !a.data_dir.empty()) pubkey = ledger::NodePublicKeyPath(a.data_dir);
  if (pubkey.empty()) {
    return Usage("verify", "--pubkey FILE (the node's node_key.pub) is needed to check an export");
  }
  Result<std::string> pem = ledger::ReadWholeFile(pubkey);
  if (!pem.ok()) return Usage("verify", pem.status().message());
  Result<std::unique_ptr<ledger::VerifyingKey>> key = ledger::VerifyingKey::FromPem(*pem);
  if (!key.ok()) return Usage("verify", pubkey + ": " + key.status().message());

  ledger::AuditVerifyReport report;
  if (!a.data_dir.empty()) {
    Result<std::unique_ptr<ledger::Store>> store = OpenStore(a.data_dir);
    if (!store.ok()) return Usage("verify", store.status().message());
    Result<ledger::AuditVerifyReport> r = ledger::VerifyAuditStore(**store, key->get());
    if (!r.ok()) return Usage("verify", r.status().message());
    report = *r;
  } else {
    // An export may start anywhere: its first record's link is checked by the digests.
    ledger::AuditVerifier verifier(key->get(), /*from_genesis=*/false);
    Status st = ForEachLine(a.export_file, [&](std::string_view line, size_t n) {
      verifier.AddLine(line, "line " + std::to_string(n));
    });
    if (!st.ok()) return Usage("verify", st.message());
    report = verifier.Finish();
  }
  std::fputs(report.Summary().c_str(), stdout);
  int code = report.ok() ? 0 : 1;
  if (!a.witnesses.empty() && CheckWitnesses(a) != 0) code = 1;
  return code;
}

int Export(const AuditArgs& a) {
  if (a.data_dir.empty() || !a.export_file.empty()) return Usage("export", "--data-dir DIR is required");
  Result<ledger::TimeWindow> w = Window(a);
  if (!w.ok()) return Usage("export", w.status().message());
  Result<std::unique_ptr<ledger::Store>> store = OpenStore(a.data_dir);
  if (!store.ok()) return Usage("export", store.status().message());
  Status st = ledger::ExportAuditLog(**store, *w, [](std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  });
  if (!st.ok()) {
    std::fprintf(stderr, "llm-edge audit export: %s\n", st.message().c_str());
    return 1;
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

int Residency(const AuditArgs& a) {
  if (a.data_dir.empty() == a.export_file.empty()) {
    return Usage("residency", "give one of --data-dir DIR or --export FILE");
  }
  Result<ledger::TimeWindow> w = Window(a);
  if (!w.ok()) return Usage("residency", w.status().message());
  ledger::ResidencyTally tally;
  Status st;
  if (!a.data_dir.empty()) {
    Result<std::unique_ptr<ledger::Store>> store = OpenStore(a.data_dir);
    if (!store.ok()) return Usage("residency", store.status().message());
    st = ledger::TallyResidency(**store, *w, &tally);
  } else {
    size_t unreadable = 0;
    st = ForEachLine(a.export_file, [&](std::string_view line, size_t) {
      if (ledger::TypeOfLine(line) != ledger::LineType::kRecord) return;
      Result<ledger::RecordLine> r = ledger::DecodeRecordLine(line);
      if (!r.ok()) {
        ++unreadable;
      } else if (w->Contains(r->record.time_us)) {
        tally.Add(r->seq, r->record);
      }
    });
    if (unreadable > 0) {
      std::fprintf(stderr, "llm-edge audit residency: %zu record lines do not decode (run audit verify)\n",
                   unreadable);
    }
  }
  if (!st.ok()) return Usage("residency", st.message());
  std::fputs(tally.Report().c_str(), stdout);
  return tally.ok() ? 0 : 1;
}

}  // namespace

int RunAudit(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::fputs(kAuditUsage, stderr);
    return 2;
  }
  const std::string sub = args[0];
  AuditArgs a = ParseArgs(std::vector<std::string>(args.begin() + 1, args.end()));
  if (!a.error.empty()) return Usage(sub, a.error);
  if (sub == "verify") return Verify(a);
  if (sub == "export") return Export(a);
  if (sub == "residency") return Residency(a);
  return Usage(sub, "unknown subcommand");
}

int RunNodeKeygen(const std::string& data_dir) {
  if (data_dir.empty()) {
    std::fputs("llm-edge keygen --node: --data-dir DIR is required\n", stderr);
    return 2;
  }
  bool created = false;
  Result<std::unique_ptr<ledger::SigningKey>> key = ledger::LoadOrCreateNodeKey(data_dir, &created);
  if (!key.ok()) {
    std::fprintf(stderr, "llm-edge keygen --node: %s\n", key.status().message().c_str());
    return 1;
  }
  if (!created) {
    std::fprintf(stderr, "llm-edge keygen --node: %s exists and is kept (digests already name it)\n",
                 ledger::NodeKeyPath(data_dir).c_str());
  } else {
    std::fprintf(stderr, "llm-edge keygen --node: wrote %s and %s\n", ledger::NodeKeyPath(data_dir).c_str(),
                 ledger::NodePublicKeyPath(data_dir).c_str());
  }
  std::fputs((*key)->PublicPem().c_str(), stdout);
  return 0;
}

}  // namespace edge::cli
