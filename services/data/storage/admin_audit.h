// An admin's reach into other users' rows is recorded: the audit statements
// the stores put before an admin's operation, in the same transaction, and
// the helpers that run them together.
#ifndef BASTION_SERVICES_DATA_STORAGE_ADMIN_AUDIT_H_
#define BASTION_SERVICES_DATA_STORAGE_ADMIN_AUDIT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pg/pg_connection.h"
#include "common/pg/pg_pool.h"
#include "common/pg/principal_transaction.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace bastion::data::storage {

// The audit statement for an admin call, or nothing for a non-admin. Put
// it before the operation in the same transaction.
std::vector<pg::Statement> AdminAudit(const pg::PrincipalScope &scope,
                                      const char *action, const char *resource,
                                      const std::string &resource_id,
                                      const std::string &target_user_id);

// Runs the `audit` statements (none for a non-admin), then `statement`, as
// the principal in one transaction; returns the statement's result.
absl::StatusOr<pg::PgResult> RunAudited(pg::PgPool &pool,
                                        const pg::PrincipalScope &scope,
                                        std::vector<pg::Statement> audit,
                                        pg::Statement statement);

// The tables whose rows an admin reaches by id.
enum class AuditedTable {
  kSessions,
  kMemories,
  kSpans,
  kRuns,
  kApprovals,
  kSchedules,
};

// Like AdminAudit for a call on one identified row of `table` in the
// principal's tenant: the audit row names that row's owner as
// target_user_id (looked up in the same transaction; empty when there is no
// such row). Put it before the operation, so a delete is recorded with the
// owner it had.
std::vector<pg::Statement> AdminAuditById(const pg::PrincipalScope &scope,
                                          AuditedTable table,
                                          const char *action,
                                          const std::string &resource_id);

// Like AdminAuditById for a call on many identified rows at once: one
// statement writing one audit row per entry of `resource_ids` (duplicates
// included), each naming that row's owner.
std::vector<pg::Statement> AdminAuditByIds(
    const pg::PrincipalScope &scope, AuditedTable table, const char *action,
    const google::protobuf::RepeatedPtrField<std::string> &resource_ids);

// Runs `statement` on one identified row as the principal: a by-id
// statement's [one owner] pair (BASTION_BY_ID) taking $1 tenant, $2 owner
// (NULL for an admin), $3 the id and `extra` as $4...; the admin audit, if
// any, runs first in the same transaction. Returns the statement's result
// (callers decide what no row means).
absl::StatusOr<pg::PgResult> RunById(pg::PgPool &pool,
                                     const pg::PrincipalScope &scope,
                                     AuditedTable table, const char *action,
                                     const std::string &id,
                                     const char *const statement[2],
                                     std::vector<pg::Param> extra = {});

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_ADMIN_AUDIT_H_
