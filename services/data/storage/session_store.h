// Storage seam for sessions: the gRPC adapter calls this; tests and other
// deployments may substitute an implementation.
#ifndef BASTION_SERVICES_DATA_STORAGE_SESSION_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_SESSION_STORE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "services/data/storage/actor.h"
#include "bastion/data/v1/data.pb.h"

namespace bastion::data::storage {

// Every call acts as `principal`: it reaches only the principal's own
// sessions (an admin's: see principal_scope.h), takes the owner from the
// principal, and answers NOT_FOUND for anything else. Implementations are
// thread-safe.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  virtual absl::StatusOr<v1::Session> CreateSession(
      const Actor& actor,
      const v1::CreateSessionRequest& request) = 0;
  virtual absl::StatusOr<v1::Session> GetSession(
      const Actor& actor,
      const v1::GetSessionRequest& request) = 0;
  virtual absl::StatusOr<v1::ListSessionsResponse> ListSessions(
      const Actor& actor,
      const v1::ListSessionsRequest& request) = 0;
  virtual absl::StatusOr<v1::Session> UpdateSession(
      const Actor& actor,
      const v1::UpdateSessionRequest& request) = 0;
  virtual absl::Status DeleteSession(const Actor& actor,
                                     const v1::DeleteSessionRequest& request) = 0;
  virtual absl::StatusOr<v1::DeleteSessionsResponse> DeleteSessions(
      const Actor& actor,
      const v1::DeleteSessionsRequest& request) = 0;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_SESSION_STORE_H_
