// Cache-Control parsing; see cache_control.h.
#include "services/authn/jwt/cache_control.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace bastion::authn::jwt {
namespace {

constexpr int64_t kMaxSeconds = 2147483647;  // RFC 9111 section 1.2.2.

// Delta-seconds: one or more digits, saturating; false if not digits.
bool ParseDeltaSeconds(absl::string_view text, int64_t* seconds) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty()) return false;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = std::min(kMaxSeconds, value * 10 + (c - '0'));
  }
  *seconds = value;
  return true;
}

}  // namespace

std::optional<absl::Duration> CacheControlMaxAge(absl::string_view header) {
  std::optional<absl::Duration> max_age;
  bool shortest = false;
  for (absl::string_view directive : absl::StrSplit(header, ',')) {
    directive = absl::StripAsciiWhitespace(directive);
    if (directive.empty()) continue;
    const size_t eq = directive.find('=');
    const std::string name = absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(directive.substr(0, eq)));
    if (name == "no-store" || name == "no-cache") {
      shortest = true;
    } else if (name == "max-age") {
      int64_t seconds = 0;
      if (max_age.has_value() || eq == absl::string_view::npos ||
          !ParseDeltaSeconds(
              absl::StripAsciiWhitespace(directive.substr(eq + 1)), &seconds)) {
        shortest = true;
      } else {
        max_age = absl::Seconds(seconds);
      }
    }
  }
  if (shortest) return absl::ZeroDuration();
  return max_age;
}

absl::Duration CacheLifetime(std::optional<absl::Duration> max_age,
                             absl::Duration min, absl::Duration max) {
  if (!max_age.has_value()) return min;
  return std::clamp(*max_age, min, max);
}

}  // namespace bastion::authn::jwt
