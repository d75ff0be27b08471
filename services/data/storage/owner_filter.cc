#include "services/data/storage/owner_filter.h"

#include <optional>

namespace bastion::data::storage {
namespace {

pg::Param AnyWhenEmpty(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

}  // namespace

OwnerFilter ListFilter(const pg::PrincipalScope& scope,
                       const std::string& requested_user) {
  switch (scope.admin_level) {
    case pg::AdminLevel::kPlatform:
      return {std::nullopt, AnyWhenEmpty(requested_user)};
    case pg::AdminLevel::kTenant:
      return {scope.tenant_id, AnyWhenEmpty(requested_user)};
    case pg::AdminLevel::kNone:
      break;
  }
  return {scope.tenant_id, scope.user_id};
}

OwnerFilter ByIdFilter(const pg::PrincipalScope& scope) {
  if (scope.admin_level == pg::AdminLevel::kNone) {
    return {scope.tenant_id, scope.user_id};
  }
  return {scope.tenant_id, std::nullopt};
}

}  // namespace bastion::data::storage
