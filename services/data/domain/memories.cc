#include "services/data/domain/memories.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/data/domain/caller_scope.h"
#include "services/data/domain/checks.h"

namespace bastion::data::domain {
namespace {

absl::Status CheckText(const std::string &text) {
  if (text.empty() || text.size() > 16384) {
    return absl::InvalidArgumentError("text must have 1 to 16384 characters");
  }
  return absl::OkStatus();
}

template <typename Topics>
absl::Status CheckTopics(const Topics &topics) {
  if (topics.size() > 32) {
    return absl::InvalidArgumentError("at most 32 topics");
  }
  for (const std::string &t : topics) {
    if (t.empty() || t.size() > 128) {
      return absl::InvalidArgumentError(
          "each topic must have 1 to 128 characters");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Memory> Memories::CreateMemory(
    const Caller &caller, const v1::CreateMemoryRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckOptionalId(request.memory_id(), "memory_id"));
  RETURN_IF_ERROR(CheckText(request.text()));
  RETURN_IF_ERROR(CheckTopics(request.topics()));
  return store_.CreateMemory(scope, request);
}

absl::StatusOr<v1::Memory> Memories::GetMemory(
    const Caller &caller, const v1::GetMemoryRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.memory_id(), "memory_id"));
  return store_.GetMemory(scope, request);
}

absl::StatusOr<v1::ListMemoriesResponse> Memories::ListMemories(
    const Caller &caller, const v1::ListMemoriesRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  if (request.text_query().size() > 1024) {
    return absl::InvalidArgumentError("text_query is longer than 1024");
  }
  const bool asc = request.sort_order() == v1::SORT_ORDER_ASC;
  ASSIGN_OR_RETURN(
      storage::Page page,
      PageOf(absl::StrCat("memories.created", asc ? ".asc" : ".desc"),
             request.page()));
  return store_.ListMemories(
      scope, storage::ListFilter(scope, request.user_id()), page, request);
}

absl::StatusOr<v1::Memory> Memories::UpdateMemory(
    const Caller &caller, const v1::UpdateMemoryRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.memory_id(), "memory_id"));
  if (request.update_text()) RETURN_IF_ERROR(CheckText(request.text()));
  if (request.update_topics()) RETURN_IF_ERROR(CheckTopics(request.topics()));
  return store_.UpdateMemory(scope, request);
}

absl::Status Memories::DeleteMemory(const Caller &caller,
                                    const v1::DeleteMemoryRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.memory_id(), "memory_id"));
  return store_.DeleteMemory(scope, request);
}

}  // namespace bastion::data::domain
