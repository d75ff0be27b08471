// SessionStore on PostgreSQL (bastion_data.sessions), each call one
// pipelined principal transaction.
#ifndef BASTION_SERVICES_DATA_STORAGE_PG_SESSION_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_PG_SESSION_STORE_H_

#include "common/pg/pg_pool.h"
#include "services/data/storage/session_store.h"

namespace bastion::data::storage {

// Thread-safe; `pool` (connected as bastion_data_svc) must outlive it.
class PgSessionStore : public SessionStore {
 public:
  explicit PgSessionStore(pg::PgPool& pool) : pool_(pool) {}

  absl::StatusOr<v1::Session> CreateSession(
      const pg::PrincipalScope& scope,
      const v1::CreateSessionRequest& request) override;
  absl::StatusOr<v1::Session> GetSession(
      const pg::PrincipalScope& scope,
      const v1::GetSessionRequest& request) override;
  absl::StatusOr<v1::ListSessionsResponse> ListSessions(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListSessionsRequest& request) override;
  absl::StatusOr<v1::Session> UpdateSession(
      const pg::PrincipalScope& scope,
      const v1::UpdateSessionRequest& request) override;
  absl::Status DeleteSession(const pg::PrincipalScope& scope,
                             const v1::DeleteSessionRequest& request) override;
  absl::StatusOr<v1::DeleteSessionsResponse> DeleteSessions(
      const pg::PrincipalScope& scope,
      const v1::DeleteSessionsRequest& request) override;

  // The SQL ListSessions sends for one owner or any, by creation or update
  // time, ascending or descending ($1 tenant, $2 user, $3 type, $4 component,
  // $5 cursor micros, $6 cursor id, $7 limit). Benchmarks replay it.
  static const char* ListSql(bool one_owner, bool by_updated, bool ascending);
  // The Session in row `row` of a result of ListSql. Benchmarks read it.
  static v1::Session SessionOf(const pg::PgResult& rows, int row);

 private:
  pg::PgPool& pool_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PG_SESSION_STORE_H_
