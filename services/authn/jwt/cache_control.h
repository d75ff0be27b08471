// Reads the freshness lifetime a JWKS response grants from its
// Cache-Control header (RFC 9111 section 5.2.2), for a private cache.
#ifndef BASTION_SERVICES_AUTHN_JWT_CACHE_CONTROL_H_
#define BASTION_SERVICES_AUTHN_JWT_CACHE_CONTROL_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace bastion::authn::jwt {

// The lifetime the header grants: max-age=N (seconds, optionally quoted,
// directive names case-insensitive). Zero for no-store, no-cache, a
// malformed or repeated max-age, since each asks for the shortest cache.
// nullopt when the header says nothing about the lifetime. s-maxage is for
// shared caches and ignored. Values saturate at 2^31 - 1 seconds.
std::optional<absl::Duration> CacheControlMaxAge(absl::string_view header);

// `max_age` clamped to [min, max]; nullopt gives `min`.
absl::Duration CacheLifetime(std::optional<absl::Duration> max_age,
                             absl::Duration min, absl::Duration max);

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_CACHE_CONTROL_H_
