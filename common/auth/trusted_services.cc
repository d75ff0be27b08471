#include "common/auth/trusted_services.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "common/status/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace bastion {
namespace {

bool IsServiceName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

bool IsIdentifier(absl::string_view part) {
  if (part.empty()) return false;
  for (char c : part) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return !(part[0] >= '0' && part[0] <= '9');
}

// "<package>.<Service>/<Method>": dotted identifiers, at least a package
// and a service, then one identifier.
bool IsFullMethod(absl::string_view method) {
  const size_t slash = method.find('/');
  if (slash == absl::string_view::npos) return false;
  const absl::string_view service = method.substr(0, slash);
  if (service.find('.') == absl::string_view::npos) return false;
  for (absl::string_view part : absl::StrSplit(service, '.')) {
    if (!IsIdentifier(part)) return false;
  }
  return IsIdentifier(method.substr(slash + 1));
}

// True when the file at `path` is a bare key list ({"keys": [...]}).
bool IsBareKeyList(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::Struct json;
  if (!google::protobuf::util::JsonStringToMessage(text.str(), &json).ok()) {
    return false;
  }
  return json.fields().contains("keys") && !json.fields().contains("services");
}

}  // namespace

TrustedServices::TrustedServices(std::shared_ptr<const assertion::KeySet> keys,
                                 absl::flat_hash_map<std::string, Grant> grants)
    : verifier_(std::make_shared<assertion::StaticKeyProvider>(std::move(keys)),
                SystemClock::Get(), kDefaultAudience),
      grants_(std::move(grants)) {}

absl::StatusOr<std::unique_ptr<TrustedServices>> TrustedServices::Create(
    const common::v1::TrustedServices& trusted) {
  std::vector<common::v1::AssertionKey> keys;
  absl::flat_hash_map<std::string, Grant> grants;
  for (const common::v1::TrustedService& service : trusted.services()) {
    if (!IsServiceName(service.name())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "trusted service \"", service.name(),
          "\": the name must match [a-z0-9_]{1,64}"));
    }
    Grant grant;
    grant.key_id = service.key().key_id();
    for (const std::string& method : service.methods()) {
      if (!IsFullMethod(method)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "trusted service \"", service.name(), "\": method \"", method,
            "\" is not of the form <package>.<Service>/<Method>"));
      }
      grant.methods.insert(method);
    }
    if (!grants.emplace(absl::StrCat(kServiceSubjectPrefix, service.name()),
                        std::move(grant))
             .second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "trusted service \"", service.name(), "\" is listed twice"));
    }
    keys.push_back(service.key());
  }
  // Validates every key, and refuses one key listed for two services.
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> set =
      assertion::KeySet::Create(keys);
  if (!set.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("trusted services: ", set.status().message()));
  }
  return std::unique_ptr<TrustedServices>(
      new TrustedServices(*std::move(set), std::move(grants)));
}

absl::StatusOr<std::unique_ptr<TrustedServices>> TrustedServices::Load(
    const std::string& path) {
  common::v1::TrustedServices trusted;
  absl::Status loaded =
      LoadConfig(path, /*env_prefix=*/"",
                 [](absl::string_view) { return std::nullopt; }, &trusted);
  if (!loaded.ok()) {
    if (IsBareKeyList(path)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "trusted_services_file ", path,
          " is a bare list of keys; each trusted service must now be named "
          "with the methods it may call ({\"services\": [{\"name\", \"key\", "
          "\"methods\"}]}): write it again with `service_identity init`"));
    }
    return loaded;
  }
  absl::StatusOr<std::unique_ptr<TrustedServices>> services = Create(trusted);
  if (!services.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", services.status().message()));
  }
  return services;
}

absl::StatusOr<common::v1::Principal> TrustedServices::Verify(
    absl::string_view assertion) {
  ASSIGN_OR_RETURN(common::v1::Principal principal, verifier_.Verify(assertion));
  if (principal.credential_kind() != common::v1::CREDENTIAL_KIND_SERVICE ||
      principal.tenant_id() != kServiceTenant ||
      !absl::StartsWith(principal.subject(), kServiceSubjectPrefix)) {
    return absl::UnauthenticatedError("not a service principal");
  }
  auto grant = grants_.find(principal.subject());
  common::v1::SignedAssertion signed_assertion;
  if (grant == grants_.end() ||
      !signed_assertion.ParseFromArray(assertion.data(),
                                       static_cast<int>(assertion.size())) ||
      signed_assertion.key_id() != grant->second.key_id) {
    return absl::UnauthenticatedError(
        "service assertion not signed by that service's own key");
  }
  return principal;
}

bool TrustedServices::MayCall(absl::string_view subject,
                              absl::string_view full_method) const {
  auto grant = grants_.find(subject);
  return grant != grants_.end() &&
         grant->second.methods.contains(full_method);
}

common::v1::TrustedService TrustedServiceOf(const ServiceIdentity& identity,
                                            std::vector<std::string> methods) {
  common::v1::TrustedService service;
  service.set_name(identity.name());
  *service.mutable_key() = identity.PublicKey();
  for (std::string& method : methods) service.add_methods(std::move(method));
  return service;
}

}  // namespace bastion
