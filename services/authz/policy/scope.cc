// Scope grammar; see scope.h.
#include "services/authz/policy/scope.h"

#include <array>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

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

bool IsValidAction(absl::string_view action) {
  if (action.empty() || action.size() > kMaxScopeBytes) return false;
  if (action[0] < 'a' || action[0] > 'z') return false;
  for (char c : action) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool IsValidScopeId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxScopeBytes) return false;
  for (char c : id) {
    if (!IsGraphic(c) || c == '*') return false;
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

namespace {

// Why a text is not a scope. Only ParseStrict turns it into a message; Parse
// (the per-request path) drops it without formatting anything.
enum class Flaw {
  kNone,
  kEmpty,
  kTooLong,
  kNotGraphic,
  kWrongShape,
  kEmptyPart,
  kUnknownResource,
  kInvalidAction,
  kInvalidId,
};

struct Outcome {
  Flaw flaw = Flaw::kNone;
  // The offending part of the text, for the flaws that name one.
  absl::string_view part = {};
};

std::string FlawMessage(const Outcome& outcome) {
  switch (outcome.flaw) {
    case Flaw::kNone:
      return "";
    case Flaw::kEmpty:
      return "empty";
    case Flaw::kTooLong:
      return absl::StrCat("longer than ", kMaxScopeBytes, " bytes");
    case Flaw::kNotGraphic:
      return "contains whitespace or a non-printable character";
    case Flaw::kWrongShape:
      return "expected resource:action or resource:id:action";
    case Flaw::kEmptyPart:
      return "empty part";
    case Flaw::kUnknownResource:
      return absl::StrCat("unknown resource ", QuoteUntrusted(outcome.part));
    case Flaw::kInvalidAction:
      return absl::StrCat("invalid action ", QuoteUntrusted(outcome.part));
    case Flaw::kInvalidId:
      return absl::StrCat("invalid id ", QuoteUntrusted(outcome.part));
  }
  return "";
}

// Parses `text` under `config`. Fills `*scope` (all but its text) only when
// the text is a scope; leaves it untouched otherwise.
Outcome ParseInto(const AdminScopeConfig& config, absl::string_view text,
                  Scope* scope) {
  if (text.empty()) return {Flaw::kEmpty};
  if (text.size() > kMaxScopeBytes) return {Flaw::kTooLong};
  if (!AllGraphic(text)) return {Flaw::kNotGraphic};
  if (text == config.tenant_admin) {
    scope->kind = ScopeKind::kTenantAdmin;
    return {};
  }
  if (text == config.platform_admin) {
    scope->kind = ScopeKind::kPlatformAdmin;
    return {};
  }

  // resource ':' [id ':'] action: split at the first and the last ':' (an
  // id may itself hold ':'), without allocating.
  const std::size_t first = text.find(':');
  if (first == absl::string_view::npos) return {Flaw::kWrongShape};
  const std::size_t last = text.rfind(':');
  std::array<absl::string_view, 3> parts;
  std::size_t count = 0;
  parts[count++] = text.substr(0, first);
  if (last != first) parts[count++] = text.substr(first + 1, last - first - 1);
  parts[count++] = text.substr(last + 1);
  for (std::size_t i = 0; i < count; ++i) {
    if (parts[i].empty()) return {Flaw::kEmptyPart};
  }
  const std::optional<Resource> resource = ParseResource(parts[0]);
  if (!resource.has_value()) return {Flaw::kUnknownResource, parts[0]};
  const absl::string_view action = parts[count - 1];
  if (!IsValidAction(action)) return {Flaw::kInvalidAction, action};
  ScopeKind kind = ScopeKind::kResourceAction;
  absl::string_view id;
  if (count == 3) {
    id = parts[1];
    if (id == "*") {
      kind = ScopeKind::kResourceAnyIdAction;
      id = {};
    } else if (!IsValidScopeId(id)) {
      return {Flaw::kInvalidId, id};
    } else {
      kind = ScopeKind::kResourceIdAction;
    }
  }
  scope->kind = kind;
  scope->resource = *resource;
  scope->id = std::string(id);
  scope->action = std::string(action);
  return {};
}

}  // namespace

Scope ScopeGrammar::Parse(absl::string_view text) const {
  Scope scope;
  // A malformed scope keeps only its kind (kMalformed) and text.
  ParseInto(config_, text, &scope);
  scope.text = std::string(text);
  return scope;
}

absl::StatusOr<Scope> ScopeGrammar::ParseStrict(absl::string_view text) const {
  Scope scope;
  const Outcome outcome = ParseInto(config_, text, &scope);
  if (outcome.flaw != Flaw::kNone) {
    return Malformed(text, FlawMessage(outcome));
  }
  scope.text = std::string(text);
  return scope;
}

}  // namespace bastion::authz
