// The scope grammar: parses scope strings ("agents:run", "sessions:s-42:read",
// "agents:*:run", the admin scopes) into typed values. Anything that does not
// match the grammar exactly is a malformed scope that grants nothing.
#ifndef BASTION_SERVICES_AUTHZ_POLICY_SCOPE_H_
#define BASTION_SERVICES_AUTHZ_POLICY_SCOPE_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/admin_level.h"
#include "common/auth/permission_set.h"

namespace bastion::authz {

// Resources (Resource, ResourceName, ParseResource) are the suite's closed
// set in common/auth/permission_set.h.

// Longest scope string accepted, in bytes. Longer ones are malformed.
inline constexpr std::size_t kMaxScopeBytes = 256;

// An action ("read", "write", "delete", "run", ...) is one or more of
// [a-z0-9_], starting with a letter. Actions are opaque exact strings: no
// action implies another (write does NOT imply read), so a role that should
// read and write must be granted both.
bool IsValidAction(absl::string_view action);

// The id slot of a "resource:<id>:action" scope: 1..kMaxScopeBytes bytes of
// printable ASCII other than '*' (space and control characters are not
// printable-without-whitespace, so they are excluded too). ':' is allowed:
// a scope is split at its first and last ':', so every id of the suite's
// grammar (common/ids/resource_id.h, which permissions must match) can be
// granted on its own. "*" on its own is not an id: in a scope's id slot it
// means "every id".
bool IsValidScopeId(absl::string_view id);

// `"text"` with the text C-escaped and cut after 64 bytes: for putting
// untrusted scopes, ids and tool names into reasons and log lines.
std::string QuoteUntrusted(absl::string_view text);

// The admin scope strings (common/auth/admin_level.h), configurable per
// deployment. Both must be printable ASCII without whitespace, at most
// kMaxScopeBytes, distinct, and must not themselves parse as a resource
// scope (their first segment must not be a resource name), so an admin
// scope can never be confused with an ordinary grant.
using AdminScopeConfig = ::bastion::AdminScopes;

// What kind of grant a scope is.
enum class ScopeKind {
  // Did not match the grammar; grants nothing.
  kMalformed,
  // "resource:action": the action on every id of the resource, and the
  // id-less form of the action (list, create).
  kResourceAction,
  // "resource:<id>:action": the action on that one id only.
  kResourceIdAction,
  // "resource:*:action": the action on every id, and the id-less form.
  kResourceAnyIdAction,
  // The configured tenant admin scope.
  kTenantAdmin,
  // The configured platform admin scope.
  kPlatformAdmin,
};

absl::string_view ScopeKindName(ScopeKind kind);

// One parsed scope. A value type; copy freely. Build it with
// ScopeGrammar::Parse, never field by field.
struct Scope {
  ScopeKind kind = ScopeKind::kMalformed;
  // Set for the three resource kinds.
  Resource resource = Resource::kAgents;
  // Set for kResourceIdAction only.
  std::string id;
  // Set for the three resource kinds.
  std::string action;
  // The text the scope was parsed from (for reasons and audit).
  std::string text;

  bool malformed() const { return kind == ScopeKind::kMalformed; }
};

bool operator==(const Scope& a, const Scope& b);
inline bool operator!=(const Scope& a, const Scope& b) { return !(a == b); }
std::ostream& operator<<(std::ostream& os, const Scope& scope);

// Parses scopes with a given admin configuration. Immutable after Create;
// safe to share between threads.
class ScopeGrammar {
 public:
  // The default admin scopes ("agent_os:admin", "bastion:platform_admin").
  ScopeGrammar();

  // Validates `config` (see AdminScopeConfig); INVALID_ARGUMENT naming the
  // offending field otherwise.
  static absl::StatusOr<ScopeGrammar> Create(AdminScopeConfig config);

  // Never fails: anything outside the grammar yields a kMalformed scope that
  // carries the text and grants nothing. Builds no error message (the
  // per-request path: a token's malformed scope is simply ignored).
  Scope Parse(absl::string_view text) const;

  // Like Parse, but a malformed scope is INVALID_ARGUMENT whose message names
  // the scope and says why (for validating configuration and custom roles).
  absl::StatusOr<Scope> ParseStrict(absl::string_view text) const;

  // Parses each string with Parse (malformed ones are kept, as kMalformed).
  // Works for std::vector<std::string> and protobuf RepeatedPtrField.
  template <typename Container>
  std::vector<Scope> ParseAll(const Container& texts) const {
    std::vector<Scope> scopes;
    scopes.reserve(static_cast<std::size_t>(texts.size()));
    for (const auto& text : texts) scopes.push_back(Parse(text));
    return scopes;
  }

  const AdminScopeConfig& config() const { return config_; }

 private:
  explicit ScopeGrammar(AdminScopeConfig config);

  AdminScopeConfig config_;
};

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_POLICY_SCOPE_H_
