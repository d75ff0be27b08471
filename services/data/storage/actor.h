// Who a store call acts for.
#ifndef BASTION_SERVICES_DATA_STORAGE_ACTOR_H_
#define BASTION_SERVICES_DATA_STORAGE_ACTOR_H_

#include <optional>

#include "bastion/common/v1/common.pb.h"
#include "common/auth/admin_level.h"
#include "common/auth/caller.h"

namespace bastion::data::storage {

// The verified principal a store call acts for and, when authz authorized
// the call, the admin level authz granted it (from scopes and roles; it is
// then the only source of admin power). Without one (internal calls, which
// a calling service authorized at its edge) the principal's own scopes
// decide. A view: it must not outlive the call it is passed to.
struct Actor {
  // Implicit so that adapters pass their Caller and internal callers and
  // tests a Principal, unchanged.
  Actor(const Caller& caller)  // NOLINT(google-explicit-constructor)
      : principal(caller.principal), granted(caller.admin_level) {}
  Actor(const common::v1::Principal& p)  // NOLINT(google-explicit-constructor)
      : principal(p) {}

  const common::v1::Principal& principal;
  const std::optional<AdminLevel> granted;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_ACTOR_H_
