// Shared by the services' gRPC adapters: copies a domain's successful
// result into the gRPC response.
#ifndef BASTION_COMMON_STATUS_ANSWER_H_
#define BASTION_COMMON_STATUS_ANSWER_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bastion {

// Stores a successful result in the response; passes an error through.
template <typename T>
absl::Status Answer(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return result.status();
  *response = *std::move(result);
  return absl::OkStatus();
}

}  // namespace bastion

#endif  // BASTION_COMMON_STATUS_ANSWER_H_
