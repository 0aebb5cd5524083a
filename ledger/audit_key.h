#pragma once

// The node's audit signing key: ECDSA over NIST P-256 with SHA-256, which signs
// the audit digests. The private key stays in the data dir (node_key.pem, mode 0600); the
// auditor receives node_key.pub (a PEM public key) and needs nothing else to check them.

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace edge::ledger {

// Files in a node's data dir.
std::string NodeKeyPath(std::string_view data_dir);        // DIR/node_key.pem
std::string NodePublicKeyPath(std::string_view data_dir);  // DIR/node_key.pub

class VerifyingKey;

// A private key. One thread signs, the audit chain's (the ledger writer's); Generate() uses
// the key's own DRBG, Sign() libcrypto's (see audit_key.cc).
class SigningKey {
 public:
  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  // A fresh P-256 key from the system's entropy.
  static Result<std::unique_ptr<SigningKey>> Generate();
  // A PEM private key (SEC1 or PKCS#8); anything but an unencrypted P-256 key is refused.
  static Result<std::unique_ptr<SigningKey>> FromPem(std::string_view pem);

  std::string PrivatePem() const;
  std::string PublicPem() const;
  // Hex SHA-256 of the public key's DER SubjectPublicKeyInfo: names the key in digests.
  const std::string& key_id() const { return key_id_; }

  // DER-encoded ECDSA signature of SHA-256(bytes). Randomised (libcrypto 3.0 has no RFC 6979):
  // two signatures of the same bytes differ; both verify.
  Result<std::string> Sign(std::string_view bytes);

 private:
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string key_id_;
};

// A public key; Verify() is const and thread-safe.
class VerifyingKey {
 public:
  ~VerifyingKey();
  VerifyingKey(const VerifyingKey&) = delete;
  VerifyingKey& operator=(const VerifyingKey&) = delete;

  static Result<std::unique_ptr<VerifyingKey>> FromPem(std::string_view pem);
  const std::string& key_id() const { return key_id_; }
  bool Verify(std::string_view bytes, std::string_view signature_der) const;

 private:
  struct Impl;
  explicit VerifyingKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string key_id_;
};

// The node's key from DIR/node_key.pem; when the file does not exist, a new key is made and
// written there (0600) with DIR/node_key.pub beside it, and *created is set. DIR is created
// if missing. An existing key is never replaced: digests already signed name it.
Result<std::unique_ptr<SigningKey>> LoadOrCreateNodeKey(std::string_view data_dir, bool* created);

// The whole file, or kNotFound / kInternal naming it.
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace edge::ledger
