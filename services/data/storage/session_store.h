// Storage seam for sessions: the sessions domain (domain/sessions.h) calls
// this; tests and other deployments may substitute an implementation.
#ifndef BASTION_SERVICES_DATA_STORAGE_SESSION_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_SESSION_STORE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "common/pg/principal_transaction.h"
#include "services/data/storage/owner_filter.h"
#include "services/data/storage/paging.h"
#include "bastion/data/v1/data.pb.h"

namespace bastion::data::storage {

// SQL only, on requests the domain has checked. Every call runs as `scope`
// (row security applies it): it reaches the rows `owner` (or, by id,
// ByIdFilter(scope)) names, a new row's owner is the scope's user whatever
// the request says, and anything else is NOT_FOUND. Implementations are
// thread-safe.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  virtual absl::StatusOr<v1::Session> CreateSession(
      const pg::PrincipalScope& scope,
      const v1::CreateSessionRequest& request) = 0;
  virtual absl::StatusOr<v1::Session> GetSession(
      const pg::PrincipalScope& scope,
      const v1::GetSessionRequest& request) = 0;
  virtual absl::StatusOr<v1::ListSessionsResponse> ListSessions(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListSessionsRequest& request) = 0;
  virtual absl::StatusOr<v1::Session> UpdateSession(
      const pg::PrincipalScope& scope,
      const v1::UpdateSessionRequest& request) = 0;
  virtual absl::Status DeleteSession(const pg::PrincipalScope& scope,
                                     const v1::DeleteSessionRequest& request) = 0;
  virtual absl::StatusOr<v1::DeleteSessionsResponse> DeleteSessions(
      const pg::PrincipalScope& scope,
      const v1::DeleteSessionsRequest& request) = 0;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_SESSION_STORE_H_
