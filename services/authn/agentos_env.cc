// AgentOS variable aliases; see agentos_env.h.
#include "services/authn/agentos_env.h"

#include <string>
#include <utility>

#include "common/log/log.h"

namespace bastion::authn {
namespace {

struct Alias {
  absl::string_view bastion_name;
  absl::string_view agentos_name;
};

constexpr Alias kAliases[] = {
    {"BASTION_VERIFICATION_KEY", "JWT_VERIFICATION_KEY"},
    {"BASTION_JWKS_FILE", "JWT_JWKS_FILE"},
};

}  // namespace

EnvLookup WithAgentOsAliases(EnvLookup env) {
  return [env = std::move(env)](
             absl::string_view name) -> std::optional<std::string> {
    std::optional<std::string> value = env(name);
    for (const Alias& alias : kAliases) {
      if (name != alias.bastion_name) continue;
      std::optional<std::string> aliased = env(alias.agentos_name);
      if (!aliased.has_value()) break;
      if (value.has_value()) {
        Log(LogLevel::kWarning, "config_alias_ignored",
            {{"variable", alias.agentos_name},
             {"because_set", alias.bastion_name}});
        break;
      }
      Log(LogLevel::kInfo, "config_alias_used",
          {{"variable", alias.agentos_name}, {"for", alias.bastion_name}});
      return aliased;
    }
    return value;
  };
}

}  // namespace bastion::authn
