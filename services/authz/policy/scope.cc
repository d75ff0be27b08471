// Scope grammar; see scope.h.
#include "services/authz/policy/scope.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace bastion::authz {
namespace {

// Printable ASCII other than space: 0x21 ('!') .. 0x7e ('~').
bool IsGraphic(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7e;
}

bool AllGraphic(absl::string_view text) {
  for (char c : text) {
    if (!IsGraphic(c)) return false;
  }
  return true;
}

absl::Status Malformed(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed scope ", QuoteUntrusted(text), ": ", why));
}

// Checks one configured admin scope string.
absl::Status ValidateAdminScope(absl::string_view field,
                                absl::string_view value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  }
  if (value.size() > kMaxScopeBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is longer than ", kMaxScopeBytes, " bytes"));
  }
  if (!AllGraphic(value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " contains whitespace or a non-printable character"));
  }
  const absl::string_view first = value.substr(0, value.find(':'));
  if (ParseResource(first).has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " ", QuoteUntrusted(value),
                     " starts with a resource name and would be ambiguous"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string QuoteUntrusted(absl::string_view text) {
  // Escaped and cut, so a hostile string cannot inject control characters or
  // flood a log line.
  constexpr std::size_t kMaxQuotedBytes = 64;
  const bool cut = text.size() > kMaxQuotedBytes;
  return absl::StrCat("\"", absl::CEscape(text.substr(0, kMaxQuotedBytes)),
                      cut ? "...\"" : "\"");
}

absl::string_view ResourceName(Resource resource) {
  switch (resource) {
    case Resource::kAgents:
      return "agents";
    case Resource::kTeams:
      return "teams";
    case Resource::kWorkflows:
      return "workflows";
    case Resource::kSessions:
      return "sessions";
    case Resource::kMemories:
      return "memories";
    case Resource::kTraces:
      return "traces";
    case Resource::kApprovals:
      return "approvals";
    case Resource::kSchedules:
      return "schedules";
    case Resource::kApiKeys:
      return "api_keys";
    case Resource::kRoles:
      return "roles";
    case Resource::kConfig:
      return "config";
    case Resource::kAudit:
      return "audit";
    case Resource::kRuns:
      return "runs";
  }
  return "";
}

std::optional<Resource> ParseResource(absl::string_view name) {
  for (Resource resource : kAllResources) {
    if (ResourceName(resource) == name) return resource;
  }
  return std::nullopt;
}

bool IsValidAction(absl::string_view action) {
  if (action.empty() || action.size() > kMaxScopeBytes) return false;
  if (action[0] < 'a' || action[0] > 'z') return false;
  for (char c : action) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool IsValidResourceId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxScopeBytes) return false;
  for (char c : id) {
    if (!IsGraphic(c) || c == ':' || c == '*') return false;
  }
  return true;
}

absl::string_view ScopeKindName(ScopeKind kind) {
  switch (kind) {
    case ScopeKind::kMalformed:
      return "malformed";
    case ScopeKind::kResourceAction:
      return "resource:action";
    case ScopeKind::kResourceIdAction:
      return "resource:id:action";
    case ScopeKind::kResourceAnyIdAction:
      return "resource:*:action";
    case ScopeKind::kTenantAdmin:
      return "tenant_admin";
    case ScopeKind::kPlatformAdmin:
      return "platform_admin";
  }
  return "";
}

bool operator==(const Scope& a, const Scope& b) {
  return a.kind == b.kind && a.resource == b.resource && a.id == b.id &&
         a.action == b.action && a.text == b.text;
}

std::ostream& operator<<(std::ostream& os, const Scope& scope) {
  return os << ScopeKindName(scope.kind) << " " << QuoteUntrusted(scope.text);
}

ScopeGrammar::ScopeGrammar() : ScopeGrammar(AdminScopeConfig{}) {}

ScopeGrammar::ScopeGrammar(AdminScopeConfig config)
    : config_(std::move(config)) {}

absl::StatusOr<ScopeGrammar> ScopeGrammar::Create(AdminScopeConfig config) {
  absl::Status status = ValidateAdminScope("tenant_admin", config.tenant_admin);
  if (!status.ok()) return status;
  status = ValidateAdminScope("platform_admin", config.platform_admin);
  if (!status.ok()) return status;
  if (config.tenant_admin == config.platform_admin) {
    return absl::InvalidArgumentError(
        "tenant_admin and platform_admin must differ");
  }
  return ScopeGrammar(std::move(config));
}

absl::StatusOr<Scope> ScopeGrammar::ParseImpl(absl::string_view text) const {
  if (text.empty()) return Malformed(text, "empty");
  if (text.size() > kMaxScopeBytes) {
    return Malformed(text,
                     absl::StrCat("longer than ", kMaxScopeBytes, " bytes"));
  }
  if (!AllGraphic(text)) {
    return Malformed(text, "contains whitespace or a non-printable character");
  }

  Scope scope;
  scope.text = std::string(text);
  if (text == config_.tenant_admin) {
    scope.kind = ScopeKind::kTenantAdmin;
    return scope;
  }
  if (text == config_.platform_admin) {
    scope.kind = ScopeKind::kPlatformAdmin;
    return scope;
  }

  const std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  if (parts.size() != 2 && parts.size() != 3) {
    return Malformed(text, "expected resource:action or resource:id:action");
  }
  for (absl::string_view part : parts) {
    if (part.empty()) return Malformed(text, "empty part");
  }
  const std::optional<Resource> resource = ParseResource(parts.front());
  if (!resource.has_value()) {
    return Malformed(text,
                     absl::StrCat("unknown resource ", QuoteUntrusted(parts.front())));
  }
  const absl::string_view action = parts.back();
  if (!IsValidAction(action)) {
    return Malformed(text, absl::StrCat("invalid action ", QuoteUntrusted(action)));
  }
  scope.resource = *resource;
  scope.action = std::string(action);
  if (parts.size() == 2) {
    scope.kind = ScopeKind::kResourceAction;
    return scope;
  }
  const absl::string_view id = parts[1];
  if (id == "*") {
    scope.kind = ScopeKind::kResourceAnyIdAction;
    return scope;
  }
  if (!IsValidResourceId(id)) {
    return Malformed(text, absl::StrCat("invalid id ", QuoteUntrusted(id)));
  }
  scope.kind = ScopeKind::kResourceIdAction;
  scope.id = std::string(id);
  return scope;
}

Scope ScopeGrammar::Parse(absl::string_view text) const {
  absl::StatusOr<Scope> scope = ParseImpl(text);
  if (scope.ok()) return *std::move(scope);
  Scope malformed;
  malformed.text = std::string(text);
  return malformed;
}

absl::StatusOr<Scope> ScopeGrammar::ParseStrict(absl::string_view text) const {
  return ParseImpl(text);
}

}  // namespace bastion::authz
