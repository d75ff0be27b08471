// OpenID Connect Discovery 1.0: finds the JWKS URL of an issuer from its
// discovery document (<issuer>/.well-known/openid-configuration), checking
// that the document speaks for that issuer (section 4.3) and that it points
// at keys over HTTPS.
#ifndef BASTION_SERVICES_AUTHN_JWT_OIDC_DISCOVERY_H_
#define BASTION_SERVICES_AUTHN_JWT_OIDC_DISCOVERY_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bastion::authn::jwt {

inline constexpr absl::string_view kDiscoveryPath =
    "/.well-known/openid-configuration";

// For a URL whose path ends with kDiscoveryPath (no query or fragment): the
// issuer it names, i.e. the URL without that suffix. nullopt for any other
// URL (then it is a JWKS URL).
std::optional<std::string> IssuerOfDiscoveryUrl(absl::string_view url);

// The "jwks_uri" of a discovery document whose "issuer" is exactly
// `expected_issuer`. INVALID_ARGUMENT when the document is not a strict
// JSON object, names another issuer (the names are given, never the body),
// or has no https jwks_uri.
absl::StatusOr<std::string> JwksUriFromDiscovery(
    absl::string_view document, absl::string_view expected_issuer);

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_OIDC_DISCOVERY_H_
