// What the call guard checks in a request before anyone (authn, authz, a
// handler) is asked about it: no string field holds a NUL character, and
// every resource id matches the suite's id grammar. A malformed request is
// INVALID_ARGUMENT naming the field, never something that looks like an
// outage.
#ifndef BASTION_COMMON_AUTH_REQUEST_CHECK_H_
#define BASTION_COMMON_AUTH_REQUEST_CHECK_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace bastion {

// Walks every set field of `request` (nested and repeated messages and map
// entries included) once, by reflection:
//  - a string field (not bytes) holding a NUL character -> INVALID_ARGUMENT
//    "<field>: contains a NUL character" (PostgreSQL text cannot hold one,
//    and a store would keep only what precedes it);
//  - a set string field marked [(bastion.common.v1.resource_id) = true], or
//    the string at `id_path` (the method's permission id_field, named
//    `id_field` in messages) when set, outside the id grammar ->
//    INVALID_ARGUMENT "<field> must match [A-Za-z0-9._:-]{1,128}".
// Fields are named by path, e.g. "spans[2].span_id" or "role.name". The
// value itself is never echoed. Thread-safe (reads only).
absl::Status CheckRequest(
    const google::protobuf::Message& request,
    absl::Span<const google::protobuf::FieldDescriptor* const> id_path,
    absl::string_view id_field);

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_REQUEST_CHECK_H_
