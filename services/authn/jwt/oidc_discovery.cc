// Discovery document checks; see oidc_discovery.h.
#include "services/authn/jwt/oidc_discovery.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/authn/jwt/https_fetcher.h"
#include "services/authn/jwt/json.h"

namespace bastion::authn::jwt {
namespace {

// Issuer names are URLs; anything longer is not one we would log.
constexpr size_t kMaxIssuerBytes = 1024;

}  // namespace

std::optional<std::string> IssuerOfDiscoveryUrl(absl::string_view url) {
  if (url.find_first_of("?#") != absl::string_view::npos) return std::nullopt;
  if (!absl::EndsWith(url, kDiscoveryPath)) return std::nullopt;
  return std::string(url.substr(0, url.size() - kDiscoveryPath.size()));
}

absl::StatusOr<std::string> JwksUriFromDiscovery(
    absl::string_view document, absl::string_view expected_issuer) {
  JsonError error;
  std::optional<JsonValue> root = ParseJson(document, &error);
  if (!root.has_value() || !root->is_object()) {
    return absl::InvalidArgumentError(
        "discovery document is not a strict JSON object");
  }
  const JsonValue* issuer = root->Find("issuer");
  if (issuer == nullptr || !issuer->is_string()) {
    return absl::InvalidArgumentError("discovery document has no \"issuer\"");
  }
  if (issuer->string_value() != expected_issuer) {
    const std::string& named = issuer->string_value();
    return absl::InvalidArgumentError(
        absl::StrCat("discovery document names issuer \"",
                     named.size() <= kMaxIssuerBytes ? named : "(overlong)",
                     "\", expected \"", expected_issuer, "\""));
  }
  const JsonValue* jwks_uri = root->Find("jwks_uri");
  if (jwks_uri == nullptr || !jwks_uri->is_string()) {
    return absl::InvalidArgumentError("discovery document has no \"jwks_uri\"");
  }
  if (absl::Status https = CheckHttpsUrl(jwks_uri->string_value());
      !https.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("discovery \"jwks_uri\": ", https.message()));
  }
  return jwks_uri->string_value();
}

}  // namespace bastion::authn::jwt
