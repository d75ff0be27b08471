// Development tokens for `bastion login --dev-key`: a JWT signed with the
// suite's development key (tools/up.sh makes .bastion/keys/dev.private.pem,
// Ed25519) carrying the claims authn reads by default (the same token
// tools/mint_token.py makes). For development suites only: whoever holds
// that key can be anyone.
#ifndef BASTION_TOOLS_CLI_DEV_TOKEN_H_
#define BASTION_TOOLS_CLI_DEV_TOKEN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace bastion::cli {

struct DevTokenClaims {
  std::string subject;              // `sub`; required
  std::string tenant;               // `tenant_id`; omitted when empty
  std::vector<std::string> scopes;  // `scopes` (always present, maybe empty)
  std::vector<std::string> roles;   // `roles`; omitted when empty
  std::string issuer = "https://dev.bastion.local";
  std::string audience = "bastion";
  std::string key_id = "dev";  // header `kid`
  absl::Duration lifetime = absl::Hours(1);
};

// Signs the claims with `key`: a PEM private key (Ed25519 -> EdDSA, RSA ->
// RS256, P-256 -> ES256) or, when `hmac_secret` is true, the raw bytes of an
// HMAC secret (HS256). `iat`/`nbf` are `now`, `exp` is now + lifetime, `jti`
// is random. INVALID_ARGUMENT when the key cannot be used (an encrypted or
// unsupported key, another curve) or the claims are incomplete.
absl::StatusOr<std::string> MintDevToken(absl::string_view key,
                                         bool hmac_secret,
                                         const DevTokenClaims& claims,
                                         absl::Time now);

// Reads the key file (a `.secret` file is an HMAC secret, anything else a
// PEM private key, as tools/keygen.py writes them) and mints with it.
// FAILED_PRECONDITION when the file cannot be read or exceeds 64 KiB.
absl::StatusOr<std::string> MintDevTokenFromFile(const std::string& path,
                                                 const DevTokenClaims& claims,
                                                 absl::Time now);

// The key id tools/keygen.py gives a key file: "DIR/dev.private.pem" ->
// "dev", "DIR/k1.secret" -> "k1"; empty when the name has neither suffix.
std::string KeyIdFromPath(absl::string_view path);

}  // namespace bastion::cli

#endif  // BASTION_TOOLS_CLI_DEV_TOKEN_H_
