// Tests that the registry accepts a consistent spec and names what is wrong
// with an inconsistent one.
#include "services/run_executor/registry.h"

#include "common/status/status_matchers.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

v1::Registry Parse(const std::string& text) {
  v1::Registry registry;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &registry));
  return registry;
}

TEST(AgentRegistryTest, LoadsAndFindsComponents) {
  absl::StatusOr<AgentRegistry> registry = AgentRegistry::Create(Parse(R"pb(
    agents { agent_id: "echo" model: "scripted:echo" }
    teams { team_id: "crew" member_agent_ids: "echo" }
    workflows {
      workflow_id: "flow"
      steps { name: "s1" component_type: COMPONENT_TYPE_TEAM component_id: "crew" }
    }
  )pb"));
  ASSERT_THAT(registry, IsOk());
  ASSERT_THAT(registry->FindAgent("echo"), IsOk());
  EXPECT_EQ(registry->FindAgent("echo")->model(), "scripted:echo");
  EXPECT_THAT(registry->FindAgent("nope"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(registry->FindTeam("crew"), IsOk());
  EXPECT_THAT(registry->FindWorkflow("flow"), IsOk());
}

TEST(AgentRegistryTest, RejectsDuplicateAndMalformedIds) {
  EXPECT_THAT(AgentRegistry::Create(Parse(R"pb(
                agents { agent_id: "a" } agents { agent_id: "a" }
              )pb")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AgentRegistry::Create(Parse(R"pb(agents { agent_id: "" })pb")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      AgentRegistry::Create(Parse(R"pb(agents { agent_id: "../etc" })pb")),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AgentRegistryTest, RejectsDanglingReferences) {
  EXPECT_THAT(AgentRegistry::Create(Parse(R"pb(
                teams { team_id: "crew" member_agent_ids: "ghost" }
              )pb")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AgentRegistry::Create(Parse(R"pb(
                workflows {
                  workflow_id: "loop"
                  steps {
                    name: "self"
                    component_type: COMPONENT_TYPE_WORKFLOW
                    component_id: "loop"
                  }
                }
              )pb")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion::runs
