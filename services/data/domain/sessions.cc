#include "services/data/domain/sessions.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/data/domain/caller_scope.h"
#include "services/data/domain/checks.h"

namespace bastion::data::domain {
namespace {

constexpr size_t kMaxStateBytes = 1 << 20;

absl::Status CheckName(const std::string &name) {
  if (name.size() > 512) {
    return absl::InvalidArgumentError("name is longer than 512 characters");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Session> Sessions::CreateSession(
    const Caller &caller, const v1::CreateSessionRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckOptionalId(request.session_id(), "session_id"));
  RETURN_IF_ERROR(
      CheckComponent(request.component_type(), request.component_id()));
  RETURN_IF_ERROR(CheckName(request.name()));
  if (!request.state_json().empty()) {
    RETURN_IF_ERROR(
        CheckJsonObject(request.state_json(), kMaxStateBytes, "state_json"));
  }
  return store_.CreateSession(scope, request);
}

absl::StatusOr<v1::Session> Sessions::GetSession(
    const Caller &caller, const v1::GetSessionRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.session_id(), "session_id"));
  return store_.GetSession(scope, request);
}

absl::StatusOr<v1::ListSessionsResponse> Sessions::ListSessions(
    const Caller &caller, const v1::ListSessionsRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  const bool by_updated = request.sort_field() == v1::SORT_FIELD_UPDATED_AT;
  const bool asc = request.sort_order() == v1::SORT_ORDER_ASC;
  ASSIGN_OR_RETURN(
      storage::Page page,
      PageOf(absl::StrCat("sessions.", by_updated ? "updated" : "created",
                          asc ? ".asc" : ".desc"),
             request.page()));
  RETURN_IF_ERROR(CheckComponentFilter(request.component_type()));
  return store_.ListSessions(
      scope, storage::ListFilter(scope, request.user_id()), page, request);
}

absl::StatusOr<v1::Session> Sessions::UpdateSession(
    const Caller &caller, const v1::UpdateSessionRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.session_id(), "session_id"));
  if (request.update_name()) RETURN_IF_ERROR(CheckName(request.name()));
  if (request.update_state()) {
    RETURN_IF_ERROR(
        CheckJsonObject(request.state_json(), kMaxStateBytes, "state_json"));
  }
  return store_.UpdateSession(scope, request);
}

absl::Status Sessions::DeleteSession(const Caller &caller,
                                     const v1::DeleteSessionRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.session_id(), "session_id"));
  return store_.DeleteSession(scope, request);
}

absl::StatusOr<v1::DeleteSessionsResponse> Sessions::DeleteSessions(
    const Caller &caller, const v1::DeleteSessionsRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  if (request.session_ids_size() > storage::kMaxPageSize) {
    return absl::InvalidArgumentError("at most 1000 session_ids");
  }
  for (const std::string &id : request.session_ids()) {
    RETURN_IF_ERROR(CheckId(id, "session_ids"));
  }
  if (request.session_ids().empty()) return v1::DeleteSessionsResponse();
  return store_.DeleteSessions(scope, request);
}

}  // namespace bastion::data::domain
