// AgentOS's environment names for authn's keys, accepted as aliases so a
// deployment moving from AgentOS keeps its variables: JWT_VERIFICATION_KEY
// stands for BASTION_VERIFICATION_KEY and JWT_JWKS_FILE for
// BASTION_JWKS_FILE, whenever the BASTION_ name is not set.
#ifndef BASTION_SERVICES_AUTHN_AGENTOS_ENV_H_
#define BASTION_SERVICES_AUTHN_AGENTOS_ENV_H_

#include "common/config/config.h"

namespace bastion::authn {

// `env` with the aliases above. A lookup answered from an alias is logged
// (the variable names, never the value); an alias shadowed by its BASTION_
// name is logged as ignored. Use at startup only, like `env`.
EnvLookup WithAgentOsAliases(EnvLookup env);

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_AGENTOS_ENV_H_
