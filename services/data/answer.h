// Shared by the data service's gRPC adapters: copies a store's successful
// result into the gRPC response.
#ifndef BASTION_SERVICES_DATA_ANSWER_H_
#define BASTION_SERVICES_DATA_ANSWER_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bastion::data {

// Stores a successful result in the response; passes an error through.
template <typename T>
absl::Status Answer(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return result.status();
  *response = *std::move(result);
  return absl::OkStatus();
}

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_ANSWER_H_
