// A fresh PostgreSQL database with authz's schema applied, for authz's
// pgtests (test-only). Connect as bastion_authz_svc with
// db->Conninfo(kAuthzTestServiceRole).
#ifndef BASTION_SERVICES_AUTHZ_STORAGE_AUTHZ_TEST_DATABASE_H_
#define BASTION_SERVICES_AUTHZ_STORAGE_AUTHZ_TEST_DATABASE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "tests/pg/test_database.h"

namespace bastion::authz {

inline constexpr char kAuthzTestServiceRole[] = "bastion_authz_svc";

// FAILED_PRECONDITION without the test cluster (see TestDatabase).
absl::StatusOr<std::unique_ptr<testing::TestDatabase>>
CreateAuthzTestDatabase();

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_STORAGE_AUTHZ_TEST_DATABASE_H_
