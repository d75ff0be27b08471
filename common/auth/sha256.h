// SHA-256 with OpenSSL's digest fetched once per process.
#ifndef BASTION_COMMON_AUTH_SHA256_H_
#define BASTION_COMMON_AUTH_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace bastion {

// SHA-256 of `data`, as 32 raw bytes; empty if OpenSSL fails (never equal
// to a real digest).
std::string Sha256(absl::string_view data);

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_SHA256_H_
