// Early-return helpers for absl::Status / absl::StatusOr (Abseil 20220623
// ships none).
#ifndef BASTION_COMMON_STATUS_STATUS_MACROS_H_
#define BASTION_COMMON_STATUS_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define BASTION_STATUS_CONCAT_INNER_(a, b) a##b
#define BASTION_STATUS_CONCAT_(a, b) BASTION_STATUS_CONCAT_INNER_(a, b)

// Returns `expr` from the enclosing function if it is not OK.
#define RETURN_IF_ERROR(expr)                              \
  do {                                                     \
    ::absl::Status bastion_status_ = (expr);               \
    if (!bastion_status_.ok()) return bastion_status_;     \
  } while (false)

// `ASSIGN_OR_RETURN(T x, MakeT());` declares/assigns `x` from a StatusOr,
// returning its status from the enclosing function when it is an error.
#define ASSIGN_OR_RETURN(lhs, rexpr)                                          \
  ASSIGN_OR_RETURN_IMPL_(BASTION_STATUS_CONCAT_(bastion_statusor_, __LINE__), \
                         lhs, rexpr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                           \
  if (!statusor.ok()) return statusor.status();      \
  lhs = std::move(statusor).value()

#endif  // BASTION_COMMON_STATUS_STATUS_MACROS_H_
