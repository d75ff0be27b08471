// The one mapping from PostgreSQL/libpq failures to absl::Status.
#ifndef BASTION_COMMON_PG_PG_ERROR_H_
#define BASTION_COMMON_PG_PG_ERROR_H_

#include <string_view>

#include <postgresql/libpq-fe.h>

#include "absl/status/status.h"

namespace bastion::pg {

// Maps a SQLSTATE (five characters, or empty when the server sent none) to
// a caller-safe status. `connection_lost` wins over any SQLSTATE. The
// returned message never contains server or libpq text:
//   connection lost, class 08, 57P01..57P03, 53300 -> UNAVAILABLE
//   23505 unique violation, 23P01 exclusion      -> ALREADY_EXISTS
//   40001 serialization, 40P01 deadlock          -> ABORTED
//   23503 foreign key                            -> FAILED_PRECONDITION
//   23502 not null, 23514 check, class 22 data   -> INVALID_ARGUMENT
//   57014 statement timeout / cancel             -> DEADLINE_EXCEEDED
//   anything else                                -> INTERNAL
absl::Status StatusFromSqlState(std::string_view sqlstate,
                                bool connection_lost);

// Maps a failed libpq call: reads the SQLSTATE from `result` (may be null)
// and the connection state from `conn` (may be null), logs the raw libpq
// text with `context` (a constant label, never user data), and returns
// StatusFromSqlState's answer. This is the only place raw libpq error text
// goes anywhere, and it goes only to the log.
absl::Status StatusFromPg(const PGresult* result, const PGconn* conn,
                          std::string_view context);

}  // namespace bastion::pg

#endif  // BASTION_COMMON_PG_PG_ERROR_H_
