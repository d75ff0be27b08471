#include "services/authn/authn_options.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/auth/caller.h"
#include "common/status/status_macros.h"

namespace bastion::authn {
namespace {

template <typename Field>
std::vector<std::string> ToVector(const Field& field) {
  return std::vector<std::string>(field.begin(), field.end());
}

void SetIfNotEmpty(const std::string& value, std::string* out) {
  if (!value.empty()) *out = value;
}

}  // namespace

absl::StatusOr<jwt::JwtVerifierOptions> VerifierOptionsFrom(
    const v1::AuthnConfig& config) {
  jwt::JwtVerifierOptions options;
  if (config.issuer().empty()) {
    return absl::InvalidArgumentError(
        "issuer: at least one accepted issuer is required (BASTION_ISSUER)");
  }
  options.claims.allowed_issuers = ToVector(config.issuer());
  options.claims.audiences = config.audience().empty()
                                 ? std::vector<std::string>{kDefaultAudience}
                                 : ToVector(config.audience());
  if (config.leeway_seconds() < 0 || config.leeway_seconds() > 300) {
    return absl::InvalidArgumentError("leeway_seconds: must be 0..300");
  }
  // 0 means the default; a deployment wanting no leeway sets 1.
  options.claims.leeway = absl::Seconds(
      config.leeway_seconds() == 0 ? 60 : config.leeway_seconds());
  if (config.max_token_lifetime_seconds() < 0) {
    return absl::InvalidArgumentError(
        "max_token_lifetime_seconds: must be positive");
  }
  if (config.max_token_lifetime_seconds() > 0) {
    options.claims.max_lifetime =
        absl::Seconds(config.max_token_lifetime_seconds());
  }
  options.claims.default_tenant =
      config.default_tenant().empty() ? "default" : config.default_tenant();
  if (!config.reserved_subject_prefixes().empty()) {
    options.claims.reserved_subject_prefixes =
        ToVector(config.reserved_subject_prefixes());
  }
  SetIfNotEmpty(config.subject_claim(), &options.claims.names.subject);
  SetIfNotEmpty(config.scopes_claim(), &options.claims.names.scopes);
  SetIfNotEmpty(config.tenant_claim(), &options.claims.names.tenant);
  SetIfNotEmpty(config.roles_claim(), &options.claims.names.roles);
  options.header.required_typ = config.required_typ();
  if (config.max_token_bytes() != 0) {
    // Every entry point refuses a credential over kMaxCredentialBytes before
    // it reaches the verifier, so a larger bound would never apply.
    if (config.max_token_bytes() < 1024 ||
        static_cast<size_t>(config.max_token_bytes()) > kMaxCredentialBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("max_token_bytes: must be 1024..", kMaxCredentialBytes));
    }
    options.max_token_bytes = static_cast<size_t>(config.max_token_bytes());
  }
  RETURN_IF_ERROR(jwt::ValidateClaimsPolicy(options.claims));
  return options;
}

absl::StatusOr<absl::Duration> AssertionTtlFrom(const v1::AuthnConfig& config) {
  if (config.assertion_ttl_seconds() == 0) return absl::Seconds(300);
  if (config.assertion_ttl_seconds() < 0 ||
      config.assertion_ttl_seconds() > 900) {
    return absl::InvalidArgumentError("assertion_ttl_seconds: must be 1..900");
  }
  return absl::Seconds(config.assertion_ttl_seconds());
}

absl::StatusOr<absl::Duration> ApiKeyAssertionTtlFrom(
    const v1::AuthnConfig& config, absl::Duration assertion_ttl) {
  const int64_t seconds = config.api_key_assertion_ttl_seconds();
  if (seconds == 0) return std::min(absl::Seconds(60), assertion_ttl);
  if (seconds < 0 || absl::Seconds(seconds) > assertion_ttl) {
    return absl::InvalidArgumentError(
        "api_key_assertion_ttl_seconds: must be 1..assertion_ttl_seconds");
  }
  return absl::Seconds(seconds);
}

}  // namespace bastion::authn
