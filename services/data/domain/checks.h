// The checks the data domain makes on request values before a store sees
// them: ids, components, JSON objects and pages. Each answers
// INVALID_ARGUMENT naming the field.
#ifndef BASTION_SERVICES_DATA_DOMAIN_CHECKS_H_
#define BASTION_SERVICES_DATA_DOMAIN_CHECKS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "services/data/storage/paging.h"

namespace bastion::data::domain {

// The suite's id grammar (common/ids/resource_id.h).
absl::Status CheckId(std::string_view id, const char *field);
// Empty (the store generates one) or CheckId.
absl::Status CheckOptionalId(std::string_view id, const char *field);

// A new row's component: a known type and 1 to 256 characters of id.
absl::Status CheckComponent(common::v1::ComponentType type,
                            const std::string &component_id);
// A component-type filter: unspecified (any) or a known type.
absl::Status CheckComponentFilter(common::v1::ComponentType type);

// Non-empty text whose first non-blank character is '{', at most
// `max_bytes`; PostgreSQL then checks the syntax (INVALID_ARGUMENT).
absl::Status CheckJsonObject(std::string_view json, size_t max_bytes,
                             const char *field);

// At most `max_bytes` bytes.
absl::Status CheckMaxBytes(std::string_view text, size_t max_bytes,
                           const char *field);

// 64 lowercase hex digits.
absl::Status CheckSha256Hex(std::string_view text, const char *field);

// The page a list request asks for under `ordering`: page.limit 0 (the
// default page size) to storage::kMaxPageSize, and a cursor made for that
// ordering (or none).
absl::StatusOr<storage::Page> PageOf(std::string ordering,
                                     const common::v1::PageRequest &request);

}  // namespace bastion::data::domain

#endif  // BASTION_SERVICES_DATA_DOMAIN_CHECKS_H_
