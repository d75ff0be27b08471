// Small fakes of authn and authz for the enforcement benchmark. They answer
// one known token and allow agents:read; with warm caches the guard never
// reaches them, so their cost is not what the benchmark measures (their call
// counters show how often it did).
#ifndef BASTION_BENCH_ENFORCEMENT_FAKE_AUTH_H_
#define BASTION_BENCH_ENFORCEMENT_FAKE_AUTH_H_

#include <atomic>
#include <cstdint>
#include <string>

#include <grpcpp/grpcpp.h>

#include "bastion/authn/v1/authn.grpc.pb.h"
#include "bastion/authz/v1/authz.grpc.pb.h"
#include "bastion/common/v1/common.pb.h"

namespace bastion::bench {

// What the fake authn hands out for the one token it knows.
struct BenchIdentity {
  // A compact-JWS-shaped bearer token of realistic length (~700 bytes):
  // the guard hashes it on every call, so its size matters.
  std::string token;
  common::v1::Principal principal;
  // Serialized SignedAssertion of realistic size (opaque to the guard).
  std::string assertion;
  int64_t assertion_expires_at_unix = 0;
};

// Deterministic identity valid for an hour from `now_unix`.
BenchIdentity MakeBenchIdentity(int64_t now_unix);

// Authn.Authenticate: the identity for its token, UNAUTHENTICATED otherwise.
// Thread-safe.
class FakeAuthn final : public authn::v1::Authn::Service {
 public:
  explicit FakeAuthn(const BenchIdentity* identity) : identity_(identity) {}

  grpc::Status Authenticate(grpc::ServerContext* context,
                            const authn::v1::AuthenticateRequest* request,
                            authn::v1::AuthenticateResponse* response) override;

  uint64_t calls() const { return calls_.load(std::memory_order_relaxed); }

 private:
  const BenchIdentity* identity_;
  std::atomic<uint64_t> calls_{0};
};

// Authz.Check: ALLOW for agents:read with the identity's assertion, DENY
// for anything else. Thread-safe.
class FakeAuthz final : public authz::v1::Authz::Service {
 public:
  explicit FakeAuthz(const BenchIdentity* identity) : identity_(identity) {}

  grpc::Status Check(grpc::ServerContext* context,
                     const authz::v1::CheckRequest* request,
                     authz::v1::CheckResponse* response) override;

  uint64_t calls() const { return calls_.load(std::memory_order_relaxed); }

 private:
  const BenchIdentity* identity_;
  std::atomic<uint64_t> calls_{0};
};

}  // namespace bastion::bench

#endif  // BASTION_BENCH_ENFORCEMENT_FAKE_AUTH_H_
