#include "bench/enforcement/fake_auth.h"

#include <cstdint>

namespace bastion::bench {
namespace {

constexpr char kBase64Url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// `length` deterministic base64url characters (a token-shaped filler).
std::string Filler(size_t length, uint32_t seed) {
  std::string out(length, 'A');
  for (char& c : out) {
    seed = seed * 1664525u + 1013904223u;
    c = kBase64Url[(seed >> 24) & 63];
  }
  return out;
}

}  // namespace

BenchIdentity MakeBenchIdentity(int64_t now_unix) {
  BenchIdentity identity;
  // RS256-sized: header.payload.signature.
  identity.token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImRldiIsInR5cCI6IkpXVCJ9." +
                   Filler(320, 1) + "." + Filler(342, 2);

  common::v1::Principal& principal = identity.principal;
  principal.set_tenant_id("bench");
  principal.set_subject("bench-user");
  for (const char* scope :
       {"agents:read", "agents:run", "teams:read", "workflows:read",
        "sessions:read", "sessions:write", "memories:read", "traces:read"}) {
    principal.add_scopes(scope);
  }
  principal.add_roles("member");
  principal.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
  principal.set_issuer("https://dev.bastion.local");
  principal.set_token_id("jti-" + Filler(22, 3));
  principal.set_expires_at_unix(now_unix + 3600);

  common::v1::AssertionClaims claims;
  *claims.mutable_principal() = principal;
  claims.add_audiences("bastion");
  claims.set_issued_at_unix(now_unix);
  identity.assertion_expires_at_unix = now_unix + 300;
  claims.set_expires_at_unix(identity.assertion_expires_at_unix);
  claims.set_assertion_id(Filler(22, 4));
  common::v1::SignedAssertion signed_assertion;
  signed_assertion.set_claims(claims.SerializeAsString());
  signed_assertion.set_key_id("bench-key");
  signed_assertion.set_signature(Filler(64, 5));  // Ed25519-sized
  identity.assertion = signed_assertion.SerializeAsString();
  return identity;
}

grpc::Status FakeAuthn::Authenticate(
    grpc::ServerContext* /*context*/,
    const authn::v1::AuthenticateRequest* request,
    authn::v1::AuthenticateResponse* response) {
  calls_.fetch_add(1, std::memory_order_relaxed);
  if (request->credential() != identity_->token) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing or invalid credentials");
  }
  *response->mutable_principal() = identity_->principal;
  response->set_assertion(identity_->assertion);
  response->set_assertion_expires_at_unix(identity_->assertion_expires_at_unix);
  return grpc::Status::OK;
}

grpc::Status FakeAuthz::Check(grpc::ServerContext* /*context*/,
                              const authz::v1::CheckRequest* request,
                              authz::v1::CheckResponse* response) {
  calls_.fetch_add(1, std::memory_order_relaxed);
  const bool allowed = request->assertion() == identity_->assertion &&
                       request->resource() == "agents" &&
                       request->action() == "read";
  response->set_decision(allowed ? authz::v1::DECISION_ALLOW
                                 : authz::v1::DECISION_DENY);
  response->set_reason(allowed ? "role member grants agents:read"
                               : "not granted");
  response->set_policy_version(1);
  response->set_admin_level("none");
  return grpc::Status::OK;
}

}  // namespace bastion::bench
