// A fresh test database (tests/pg/test_database.h) with authn's schema:
// the role bastion_authn_svc, CONNECT for it, and authn's migrations
// applied as bastion_owner. Test-only.
#ifndef BASTION_SERVICES_AUTHN_STORAGE_AUTHN_TEST_DATABASE_H_
#define BASTION_SERVICES_AUTHN_STORAGE_AUTHN_TEST_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/pg/test_database.h"

namespace bastion::authn::testing {

// FAILED_PRECONDITION when the test cluster is not announced (see
// TestDatabase::Create): a pg test fails, never passes silently.
absl::StatusOr<std::unique_ptr<::bastion::testing::TestDatabase>>
CreateAuthnTestDatabase();

// Conninfo for authn's service role on `db`.
std::string AuthnServiceConninfo(const ::bastion::testing::TestDatabase& db);

}  // namespace bastion::authn::testing

#endif  // BASTION_SERVICES_AUTHN_STORAGE_AUTHN_TEST_DATABASE_H_
