// Tests which registry entries a caller's list shows: everything with the
// permission for any id, else the ids its per-id scopes name, else a
// denial; an authorizer that cannot decide fails the list closed.
#include "services/run_executor/registry_service.h"

#include <set>
#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;

// Allows exactly the "resource:id:action" strings it holds ("" id = any).
class SetAuthorizer final : public Authorizer {
 public:
  explicit SetAuthorizer(std::set<std::string> grants, bool down = false)
      : grants_(std::move(grants)), down_(down) {}
  absl::StatusOr<AuthzDecision> Check(const Caller&,
                                      const PermissionRequest& request) override {
    if (down_) return absl::UnavailableError("authz unreachable");
    AuthzDecision decision;
    decision.allowed = grants_.count(request.resource + ":" + request.resource_id +
                                     ":" + request.action) > 0;
    return decision;
  }

 private:
  const std::set<std::string> grants_;
  const bool down_;
};

const std::vector<std::string> kIds = {"billing", "echo", "support"};

TEST(VisibleIdsTest, AnyIdPermissionShowsEverything) {
  SetAuthorizer read({"agents::read"});
  SetAuthorizer run({"agents::run"});
  EXPECT_EQ(*VisibleIds(&read, Caller{}, "agents", kIds), kIds);
  EXPECT_EQ(*VisibleIds(&run, Caller{}, "agents", kIds), kIds);
}

TEST(VisibleIdsTest, PerIdScopesShowTheirIds) {
  SetAuthorizer authorizer({"agents:support:run", "agents:billing:read",
                            "teams:echo:run"});
  EXPECT_THAT(*VisibleIds(&authorizer, Caller{}, "agents", kIds),
              ElementsAre("billing", "support"));
  EXPECT_THAT(*VisibleIds(&authorizer, Caller{}, "teams", kIds),
              ElementsAre("echo"));
}

TEST(VisibleIdsTest, NothingVisibleIsDeniedAndUndecidedFailsClosed) {
  SetAuthorizer none({"sessions::read"});
  EXPECT_THAT(VisibleIds(&none, Caller{}, "agents", kIds).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  SetAuthorizer down({"agents::read"}, /*down=*/true);
  EXPECT_THAT(VisibleIds(&down, Caller{}, "agents", kIds).status(),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(VisibleIds(nullptr, Caller{}, "agents", kIds).status(),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace bastion::runs
