// RoleStore on PostgreSQL (schema bastion_authz, migrations in
// services/authz/migrations). Every call is one transaction run as the
// actor's tenant (common/pg/principal_transaction.h), so row-level security
// confines it to that tenant a second time.
#ifndef BASTION_SERVICES_AUTHZ_STORAGE_PG_ROLE_STORE_H_
#define BASTION_SERVICES_AUTHZ_STORAGE_PG_ROLE_STORE_H_

#include <string>
#include <vector>

#include "common/pg/pg_pool.h"
#include "services/authz/storage/role_store.h"

namespace bastion::authz {

// Thread-safe (the pool is).
class PgRoleStore final : public RoleStore {
 public:
  // `pool` connects as bastion_authz_svc and must outlive the store.
  explicit PgRoleStore(pg::PgPool* pool) : pool_(pool) {}

  absl::StatusOr<int64_t> Version(const common::v1::Principal& actor) override;
  absl::StatusOr<StoredPolicy> Load(
      const common::v1::Principal& actor) override;
  absl::StatusOr<int64_t> PutRole(const common::v1::Principal& actor,
                                  const Role& role) override;
  absl::StatusOr<int64_t> DeleteRole(const common::v1::Principal& actor,
                                     absl::string_view name) override;
  absl::StatusOr<int64_t> PutToolPolicy(const common::v1::Principal& actor,
                                        const ToolPolicy& policy) override;

 private:
  pg::PgPool* pool_;
};

// A PostgreSQL array literal ({"a","b"}) of `values`, for a $n::text[]
// parameter. Exposed for tests.
std::string PgTextArray(const std::vector<std::string>& values);

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_STORAGE_PG_ROLE_STORE_H_
