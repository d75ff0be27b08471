// The resource id grammar of the whole suite: what a request may name as the
// id of a session, memory, trace, run, API key, role or registered component,
// and what authz accepts as the id of a permission. Any id that can be
// created can therefore be read, changed and deleted everywhere.
#ifndef BASTION_COMMON_IDS_RESOURCE_ID_H_
#define BASTION_COMMON_IDS_RESOURCE_ID_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bastion {

// Longest id, in bytes.
inline constexpr std::size_t kMaxResourceIdBytes = 128;

// The grammar as a regular expression, for messages and documentation.
inline constexpr char kResourceIdPattern[] = "[A-Za-z0-9._:-]{1,128}";

// True for 1..kMaxResourceIdBytes of [A-Za-z0-9._:-].
bool IsValidResourceId(absl::string_view id);

// OK for a valid id; otherwise INVALID_ARGUMENT
// "<field> must match [A-Za-z0-9._:-]{1,128}" (the id itself is not echoed).
absl::Status CheckResourceId(absl::string_view id, absl::string_view field);

}  // namespace bastion

#endif  // BASTION_COMMON_IDS_RESOURCE_ID_H_
