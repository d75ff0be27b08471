// PROTOTYPE of a cheaper warm path for common/auth/remote.h, kept in the
// benchmark to measure the fix proposed in README.md before it is made in
// common/. Same caching rules and bounds as RemoteAuthenticator and
// RemoteAuthorizer; what changes on a cache hit:
//   1. SHA-256 of the credential through an EVP_MD fetched once and a
//      per-thread EVP_MD_CTX (EVP_sha256() in EVP_Digest re-fetches the
//      algorithm from OpenSSL 3's provider store, under a global lock, and
//      allocates a context, on every call);
//   2. the credential cache hands out a shared immutable SharedCaller instead
//      of copying the Principal and the assertion out of the cache per call;
//   3. the assertion's digest is computed once per authn answer and kept in
//      the SharedCaller; the decision cache key is that digest plus the
//      permission, instead of a SHA-256 over the whole assertion per call;
//   4. decisions are shared too (no copy of the reason string per call);
//   5. refresh ahead: once 80% of an entry's lifetime has passed, ONE call
//      asks authn/authz again while the others keep using the entry, so a
//      hot credential never expires under load and N concurrent calls do not
//      all miss and send N identical RPCs (common/auth/remote.cc does, every
//      second per credential). An entry is still never used past its
//      expiry, so the revocation and role-change bounds are unchanged; an
//      UNAUTHENTICATED answer to a refresh drops the entry at once.
// Never used outside the benchmark.
#ifndef BASTION_BENCH_ENFORCEMENT_PROTO_REMOTE_H_
#define BASTION_BENCH_ENFORCEMENT_PROTO_REMOTE_H_

#include <functional>
#include <memory>
#include <string>

#include <openssl/evp.h>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/remote.h"

namespace bastion::bench {

// The prototype keeps the lambda clock it was measured with.
using NowFunction = std::function<absl::Time()>;

// SHA-256 with the algorithm fetched once. Thread-safe.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  // 32 raw bytes.
  std::string operator()(absl::string_view data) const;

 private:
  EVP_MD* md_;
};

// A verified caller as cached: immutable, shared by every call that
// presents the same credential while the entry lives.
struct SharedCaller {
  Caller caller;
  // SHA-256 of caller.assertion, computed once.
  std::string assertion_digest;
};

// RemoteAuthenticator returning the shared cache entry. Thread-safe.
class ProtoRemoteAuthenticator {
 public:
  ProtoRemoteAuthenticator(std::shared_ptr<grpc::Channel> authn,
                           absl::Duration max_ttl, size_t capacity,
                           NowFunction now);
  absl::StatusOr<std::shared_ptr<const SharedCaller>> Authenticate(
      absl::string_view credential);

 private:
  struct Entry {
    std::shared_ptr<const SharedCaller> caller;
    absl::Time expires;
    absl::Time refresh_at;
    bool refreshing = false;
  };
  // Asks authn; on success the entry to cache.
  absl::StatusOr<Entry> Fetch(absl::string_view credential, absl::Time now);

  std::unique_ptr<authn::v1::Authn::Stub> stub_;
  absl::Duration max_ttl_;
  size_t capacity_;
  NowFunction now_;
  Sha256Hasher sha256_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mutex_);
};

// RemoteAuthorizer keyed by (assertion digest, permission). Thread-safe.
class ProtoRemoteAuthorizer {
 public:
  ProtoRemoteAuthorizer(std::shared_ptr<grpc::Channel> authz,
                        absl::Duration max_ttl, size_t capacity,
                        NowFunction now);
  absl::StatusOr<std::shared_ptr<const AuthzDecision>> Check(
      const SharedCaller& caller, const PermissionRequest& wanted);

 private:
  struct Entry {
    std::shared_ptr<const AuthzDecision> decision;
    absl::Time expires;
    absl::Time refresh_at;
    bool refreshing = false;
  };
  // Asks authz; on success the entry to cache.
  absl::StatusOr<Entry> Fetch(const Caller& caller,
                              const PermissionRequest& wanted, absl::Time now);

  std::unique_ptr<authz::v1::Authz::Stub> stub_;
  absl::Duration max_ttl_;
  size_t capacity_;
  NowFunction now_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace bastion::bench

#endif  // BASTION_BENCH_ENFORCEMENT_PROTO_REMOTE_H_
