// Claims validation; see claims.h.
#include "services/authn/jwt/claims.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/authn/jwt/reason.h"

namespace bastion::authn::jwt {
namespace {

// Reads an optional NumericDate. Absent → nullopt with OK status.
absl::Status TimeClaim(const JsonValue& claims, absl::string_view name,
                       std::optional<int64_t>* out) {
  out->reset();
  const JsonValue* v = claims.Find(name);
  if (v == nullptr) return absl::OkStatus();
  *out = v->AsNonNegativeSafeInteger();
  if (!out->has_value()) {
    return Reject(
        Reason::kBadTimeClaim,
        absl::StrCat("\"", name, "\" is not a non-negative integer <= 2^53"));
  }
  return absl::OkStatus();
}

void AddUnique(const std::string& s, std::vector<std::string>* out) {
  if (std::find(out->begin(), out->end(), s) == out->end()) out->push_back(s);
}

void AddScopeString(const JsonValue& v, std::vector<std::string>* out) {
  for (absl::string_view part :
       absl::StrSplit(v.string_value(), ' ', absl::SkipEmpty())) {
    AddUnique(std::string(part), out);
  }
}

absl::Status AddStringArray(const JsonValue& v, Reason reason,
                            absl::string_view name,
                            std::vector<std::string>* out) {
  if (!v.is_array()) {
    return Reject(reason, absl::StrCat("\"", name, "\" is not an array"));
  }
  for (const JsonValue& item : v.array_items()) {
    if (!item.is_string() || item.string_value().empty()) {
      return Reject(reason, absl::StrCat("\"", name,
                                         "\" has a non-string or empty item"));
    }
    AddUnique(item.string_value(), out);
  }
  return absl::OkStatus();
}

absl::Status ReadScopes(const JsonValue& claims, const ClaimNames& names,
                        std::vector<std::string>* out) {
  if (const JsonValue* v = claims.Find(names.scopes); v != nullptr) {
    if (v->is_string()) {
      AddScopeString(*v, out);
    } else {
      absl::Status st =
          AddStringArray(*v, Reason::kBadScopes, names.scopes, out);
      if (!st.ok()) return st;
    }
  }
  if (names.scopes != "scope") {
    if (const JsonValue* v = claims.Find("scope"); v != nullptr) {
      if (!v->is_string())
        return Reject(Reason::kBadScopes, "\"scope\" not a string");
      AddScopeString(*v, out);
    }
  }
  if (names.scopes != "permissions") {
    if (const JsonValue* v = claims.Find("permissions"); v != nullptr) {
      absl::Status st =
          AddStringArray(*v, Reason::kBadScopes, "permissions", out);
      if (!st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckAudience(const JsonValue& claims, const ClaimsPolicy& policy,
                           std::vector<std::string>* out) {
  const JsonValue* aud = claims.Find("aud");
  if (aud == nullptr) {
    if (policy.require_audience) return Reject(Reason::kAudMissing, "no aud");
    return absl::OkStatus();
  }
  if (aud->is_string()) {
    if (aud->string_value().empty())
      return Reject(Reason::kBadAud, "empty aud");
    out->push_back(aud->string_value());
  } else if (aud->is_array()) {
    if (aud->array_items().empty()) return Reject(Reason::kBadAud, "aud is []");
    for (const JsonValue& item : aud->array_items()) {
      if (!item.is_string() || item.string_value().empty()) {
        return Reject(Reason::kBadAud, "aud has a non-string or empty item");
      }
      out->push_back(item.string_value());
    }
  } else {
    return Reject(Reason::kBadAud, "aud is neither string nor array");
  }
  if (policy.audiences.empty()) return absl::OkStatus();
  for (const std::string& a : *out) {
    if (std::find(policy.audiences.begin(), policy.audiences.end(), a) !=
        policy.audiences.end()) {
      return absl::OkStatus();
    }
  }
  return Reject(Reason::kAudNotAllowed, "no expected audience in aud");
}

}  // namespace

absl::Status ValidateClaimsPolicy(const ClaimsPolicy& policy) {
  if (policy.allowed_issuers.empty()) {
    return absl::InvalidArgumentError("claims: allowed_issuers is empty");
  }
  for (const std::string& iss : policy.allowed_issuers) {
    if (iss.empty()) return absl::InvalidArgumentError("claims: empty issuer");
  }
  if (policy.require_audience && policy.audiences.empty()) {
    return absl::InvalidArgumentError(
        "claims: require_audience is set but audiences is empty");
  }
  if (policy.leeway < absl::ZeroDuration() ||
      policy.leeway > absl::Minutes(10)) {
    return absl::InvalidArgumentError("claims: leeway must be in [0, 10m]");
  }
  if (policy.max_lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("claims: max_lifetime must be positive");
  }
  const ClaimNames& n = policy.names;
  if (n.subject.empty() || n.scopes.empty() || n.tenant.empty() ||
      n.roles.empty()) {
    return absl::InvalidArgumentError("claims: empty claim name");
  }
  return absl::OkStatus();
}

absl::Status ValidateClaims(const JsonValue& claims, const ClaimsPolicy& policy,
                            absl::Time now_time, VerifiedToken* out) {
  if (!claims.is_object()) {
    return Reject(Reason::kNotJsonObject, "payload is not a JSON object");
  }
  const int64_t now = absl::ToUnixSeconds(now_time);
  const int64_t leeway = absl::ToInt64Seconds(policy.leeway);

  std::optional<int64_t> exp, nbf, iat;
  absl::Status st = TimeClaim(claims, "exp", &exp);
  if (!st.ok()) return st;
  if (!exp.has_value()) return Reject(Reason::kExpMissing, "no exp");
  st = TimeClaim(claims, "nbf", &nbf);
  if (!st.ok()) return st;
  st = TimeClaim(claims, "iat", &iat);
  if (!st.ok()) return st;
  if (*exp <= now - leeway) return Reject(Reason::kExpired, "exp has passed");
  if (nbf.has_value() && *nbf > now + leeway) {
    return Reject(Reason::kNotYetValid, "nbf is in the future");
  }
  if (iat.has_value() && *iat > now + leeway) {
    return Reject(Reason::kIssuedInFuture, "iat is in the future");
  }
  const int64_t start = iat.has_value() ? *iat : nbf.has_value() ? *nbf : now;
  if (*exp - start > absl::ToInt64Seconds(policy.max_lifetime)) {
    return Reject(Reason::kLifetimeTooLong, "lifetime above maximum");
  }

  const JsonValue* iss = claims.Find("iss");
  if (iss == nullptr) return Reject(Reason::kIssMissing, "no iss");
  if (!iss->is_string() ||
      std::find(policy.allowed_issuers.begin(), policy.allowed_issuers.end(),
                iss->string_value()) == policy.allowed_issuers.end()) {
    return Reject(Reason::kIssNotAllowed, "iss not allowed");
  }

  std::vector<std::string> audiences;
  st = CheckAudience(claims, policy, &audiences);
  if (!st.ok()) return st;

  const JsonValue* sub = claims.Find(policy.names.subject);
  if (sub == nullptr) return Reject(Reason::kSubMissing, "no subject");
  if (!sub->is_string() || sub->string_value().empty()) {
    return Reject(Reason::kBadSub, "subject not a non-empty string");
  }
  for (const std::string& prefix : policy.reserved_subject_prefixes) {
    if (absl::StartsWithIgnoreCase(sub->string_value(), prefix)) {
      return Reject(Reason::kReservedSub, "subject uses a reserved prefix");
    }
  }

  std::string tenant;
  if (const JsonValue* t = claims.Find(policy.names.tenant); t != nullptr) {
    if (!t->is_string() || t->string_value().empty()) {
      return Reject(Reason::kBadTenant, "tenant not a non-empty string");
    }
    tenant = t->string_value();
  } else if (!policy.default_tenant.empty()) {
    tenant = policy.default_tenant;
  } else {
    return Reject(Reason::kMissingTenant, "no tenant and no default");
  }

  std::vector<std::string> scopes;
  st = ReadScopes(claims, policy.names, &scopes);
  if (!st.ok()) return st;

  std::vector<std::string> roles;
  if (const JsonValue* r = claims.Find(policy.names.roles); r != nullptr) {
    st = AddStringArray(*r, Reason::kBadRoles, policy.names.roles, &roles);
    if (!st.ok()) return st;
  }

  std::string jti;
  if (const JsonValue* j = claims.Find("jti"); j != nullptr) {
    if (!j->is_string()) return Reject(Reason::kBadJti, "jti not a string");
    jti = j->string_value();
  }

  out->subject = sub->string_value();
  out->tenant_id = std::move(tenant);
  out->issuer = iss->string_value();
  out->token_id = std::move(jti);
  out->scopes = std::move(scopes);
  out->roles = std::move(roles);
  out->audiences = std::move(audiences);
  out->expires_at_unix = *exp;
  // Accepted while exp > now - leeway, i.e. until exp + leeway.
  out->accepted_until_unix = *exp + leeway;
  out->issued_at_unix = iat.value_or(0);
  return absl::OkStatus();
}

}  // namespace bastion::authn::jwt
