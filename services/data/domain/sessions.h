// The sessions domain: checks a caller's session requests and decides whose
// rows they reach, then hands them to the store.
#ifndef BASTION_SERVICES_DATA_DOMAIN_SESSIONS_H_
#define BASTION_SERVICES_DATA_DOMAIN_SESSIONS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bastion/data/v1/data.pb.h"
#include "common/auth/caller.h"
#include "services/data/storage/session_store.h"

namespace bastion::data::domain {

// Every call acts as the caller: it reaches the caller's own sessions (an
// admin's, as authz decided it: its tenant's or every tenant's, audited),
// the owner of a new session is the caller whatever the request says, and
// anything else is NOT_FOUND. Thread-safe; `store` must outlive it.
class Sessions {
 public:
  explicit Sessions(storage::SessionStore &store) : store_(store) {}

  absl::StatusOr<v1::Session> CreateSession(
      const Caller &caller, const v1::CreateSessionRequest &request);
  absl::StatusOr<v1::Session> GetSession(const Caller &caller,
                                         const v1::GetSessionRequest &request);
  // `user_id` narrows an admin's list to one user; a non-admin always lists
  // its own.
  absl::StatusOr<v1::ListSessionsResponse> ListSessions(
      const Caller &caller, const v1::ListSessionsRequest &request);
  absl::StatusOr<v1::Session> UpdateSession(
      const Caller &caller, const v1::UpdateSessionRequest &request);
  absl::Status DeleteSession(const Caller &caller,
                             const v1::DeleteSessionRequest &request);
  // At most storage::kMaxPageSize ids; ids the caller cannot reach are
  // not counted.
  absl::StatusOr<v1::DeleteSessionsResponse> DeleteSessions(
      const Caller &caller, const v1::DeleteSessionsRequest &request);

 private:
  storage::SessionStore &store_;
};

}  // namespace bastion::data::domain

#endif  // BASTION_SERVICES_DATA_DOMAIN_SESSIONS_H_
