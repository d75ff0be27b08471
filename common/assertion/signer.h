// Signs principal assertions (authn only): an Ed25519 private key, its key
// id, and Sign() producing a serialized SignedAssertion.
#ifndef BASTION_COMMON_ASSERTION_SIGNER_H_
#define BASTION_COMMON_ASSERTION_SIGNER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bastion/common/v1/common.pb.h"
#include "common/assertion/ed25519.h"

namespace bastion::assertion {

// Holds authn's assertion signing key. Movable, not copyable. Thread-safe
// after construction: Sign, PublicKey and SaveTo are const and may run
// concurrently.
class AssertionSigner {
 public:
  // A fresh random key. INTERNAL if OpenSSL fails.
  static absl::StatusOr<AssertionSigner> Generate();

  // The key from an unencrypted PKCS#8 PEM file (as SaveTo writes it).
  // NOT_FOUND if the file does not exist, INVALID_ARGUMENT if it is not an
  // Ed25519 private key, FAILED_PRECONDITION if it cannot be read.
  static absl::StatusOr<AssertionSigner> LoadPemFile(const std::string& path);

  // LoadPemFile(path) if the file exists; otherwise generates a key and
  // stores it at `path` (mode 0600) without ever replacing a file: if another
  // process creates the file first, that process's key is loaded instead, so
  // replicas sharing the path end up with one key. For authn's first start.
  static absl::StatusOr<AssertionSigner> LoadOrGenerate(
      const std::string& path);

  AssertionSigner(AssertionSigner&&) = default;
  AssertionSigner& operator=(AssertionSigner&&) = default;

  // Writes the private key as PEM, mode 0600, atomically replacing `path`
  // (written to a temporary file in the same directory, then renamed).
  // FAILED_PRECONDITION if the file cannot be written.
  absl::Status SaveTo(const std::string& path) const;

  // First 16 hex chars of SHA-256 of the raw public key.
  const std::string& key_id() const { return key_id_; }

  // The public key for GetAssertionKeys: key_id, "EdDSA", raw 32 bytes.
  bastion::common::v1::AssertionKey PublicKey() const;

  // A serialized SignedAssertion carrying `principal` for `audiences`, valid
  // from issued_at to expires_at (whole seconds, rounded down), with a random
  // 128-bit assertion_id; the signature covers
  // "bastion.assertion.v1" || 0x00 || claims. Refuses (INVALID_ARGUMENT) to
  // sign what a verifier would reject: a principal without tenant_id or
  // subject or with an unspecified/unknown credential_kind, no audience or an
  // empty one, expires_at <= issued_at, a lifetime over 15 minutes, an expiry
  // after the principal's own expires_at_unix (when set), or a result over
  // 16 KiB. INTERNAL if OpenSSL fails.
  absl::StatusOr<std::string> Sign(
      const bastion::common::v1::Principal& principal,
      const std::vector<std::string>& audiences, absl::Time issued_at,
      absl::Time expires_at) const;

  // Like Sign, but the result is a delegation carrying `delegation` (see
  // DelegationClaims): refused (INVALID_ARGUMENT) too when its
  // delegation_id, run_id or holder_service is empty.
  absl::StatusOr<std::string> SignDelegation(
      const bastion::common::v1::Principal& principal,
      const bastion::common::v1::DelegationClaims& delegation,
      const std::vector<std::string>& audiences, absl::Time issued_at,
      absl::Time expires_at) const;

 private:
  AssertionSigner(internal::PkeyPtr pkey, std::string raw_public_key);
  static absl::StatusOr<AssertionSigner> FromPrivateKey(internal::PkeyPtr pkey);
  absl::StatusOr<std::string> SignClaims(
      const bastion::common::v1::Principal& principal,
      const bastion::common::v1::DelegationClaims* delegation,
      const std::vector<std::string>& audiences, absl::Time issued_at,
      absl::Time expires_at) const;

  internal::PkeyPtr pkey_;
  std::string raw_public_key_;
  std::string key_id_;
};

}  // namespace bastion::assertion

#endif  // BASTION_COMMON_ASSERTION_SIGNER_H_
