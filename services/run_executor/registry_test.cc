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
using ::testing::HasSubstr;

v1::Registry Parse(const std::string& text) {
  v1::Registry registry;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &registry));
  return registry;
}

TEST(AgentRegistryTest, LoadsAndFindsComponents) {
  absl::StatusOr<AgentRegistry> registry = AgentRegistry::Create(Parse(R"pb(
    agents { agent_id: "echo" model: "scripted:echo" }
    teams { team_id: "crew" model: "scripted:echo" member_agent_ids: "echo" }
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
                agents { agent_id: "a" model: "scripted:echo" }
                agents { agent_id: "a" model: "scripted:echo" }
              )pb")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AgentRegistry::Create(Parse(R"pb(agents { agent_id: "" })pb")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      AgentRegistry::Create(Parse(R"pb(agents { agent_id: "../etc" })pb")),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AgentRegistryTest, RejectsBadToolSpecsNamingAgentAndTool) {
  absl::StatusOr<AgentRegistry> registry = AgentRegistry::Create(Parse(R"pb(
    agents { agent_id: "ok" model: "scripted:echo" tools { name: "calculator" } }
    agents {
      agent_id: "ops"
      model: "scripted:echo"
      tools { name: "calculator" }
      tools { name: "weather" }
    }
  )pb"));
  EXPECT_THAT(registry, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(registry.status().message()),
              HasSubstr("agent \"ops\" tool \"weather\""));
  EXPECT_THAT(AgentRegistry::Create(Parse(R"pb(
                agents {
                  agent_id: "ops"
                  model: "scripted:echo"
                  tools { name: "lookup" endpoint: "127.0.0.1:1" timeout_ms: -1 }
                }
              )pb")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AgentRegistry::Create(Parse(R"pb(
                agents {
                  agent_id: "ops"
                  model: "scripted:echo"
                  tools { name: "current_time" }
                  tools { name: "current_time" }
                }
              )pb")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AgentRegistryTest, RejectsDanglingReferences) {
  EXPECT_THAT(AgentRegistry::Create(Parse(R"pb(
                teams { team_id: "crew" model: "scripted:echo" member_agent_ids: "ghost" }
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

TEST(AgentRegistryTest, ComponentsMustNameAKnownModel) {
  EXPECT_THAT(AgentRegistry::Create(Parse(R"pb(
                models { name: "scripted:support" scripted { fallback_reply: "Hi" } }
                agents { agent_id: "a" model: "scripted:support" }
                agents { agent_id: "b" model: "openai:gpt-4o-mini" }
                teams { team_id: "t" model: "scripted:echo" member_agent_ids: "a" }
              )pb")),
              IsOk());

  absl::StatusOr<AgentRegistry> unknown = AgentRegistry::Create(Parse(R"pb(
    agents { agent_id: "helper" model: "scripted:ghost" }
  )pb"));
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("agent \"helper\": model \"scripted:ghost\" is not registered"));

  absl::StatusOr<AgentRegistry> team = AgentRegistry::Create(Parse(R"pb(
    teams { team_id: "crew" model: "local-llama" }
  )pb"));
  EXPECT_THAT(team, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(team.status().message()),
              HasSubstr("team \"crew\": model \"local-llama\""));

  absl::StatusOr<AgentRegistry> none =
      AgentRegistry::Create(Parse(R"pb(agents { agent_id: "a" })pb"));
  EXPECT_THAT(none, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(none.status().message()),
              HasSubstr("agent \"a\": names no model"));
}

TEST(AgentRegistryTest, RejectsInvalidModelSpecs) {
  absl::StatusOr<AgentRegistry> registry = AgentRegistry::Create(Parse(R"pb(
    models { name: "remote" openai { base_url: "https://api.example/v1" } }
  )pb"));
  EXPECT_THAT(registry, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(registry.status().message()),
              HasSubstr("model \"remote\": openai.model is required"));
}

TEST(AgentRegistryTest, RejectsIndirectWorkflowCycles) {
  // a -> b -> a
  absl::StatusOr<AgentRegistry> two = AgentRegistry::Create(Parse(R"pb(
    workflows {
      workflow_id: "a"
      steps { name: "to_b" component_type: COMPONENT_TYPE_WORKFLOW component_id: "b" }
    }
    workflows {
      workflow_id: "b"
      steps { name: "to_a" component_type: COMPONENT_TYPE_WORKFLOW component_id: "a" }
    }
  )pb"));
  EXPECT_THAT(two, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(two.status().message()), HasSubstr("a -> b -> a"));

  // A longer cycle entered from a workflow outside it:
  // entry -> w1 -> w2 -> w3 -> w1 (w2 also runs an agent).
  absl::StatusOr<AgentRegistry> longer = AgentRegistry::Create(Parse(R"pb(
    agents { agent_id: "echo" model: "scripted:echo" }
    workflows {
      workflow_id: "entry"
      steps { name: "s" component_type: COMPONENT_TYPE_WORKFLOW component_id: "w1" }
    }
    workflows {
      workflow_id: "w1"
      steps { name: "s" component_type: COMPONENT_TYPE_WORKFLOW component_id: "w2" }
    }
    workflows {
      workflow_id: "w2"
      steps { name: "agent" component_type: COMPONENT_TYPE_AGENT component_id: "echo" }
      steps { name: "s" component_type: COMPONENT_TYPE_WORKFLOW component_id: "w3" }
    }
    workflows {
      workflow_id: "w3"
      steps { name: "s" component_type: COMPONENT_TYPE_WORKFLOW component_id: "w1" }
    }
  )pb"));
  EXPECT_THAT(longer, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(longer.status().message()),
              HasSubstr("w1 -> w2 -> w3 -> w1"));

  // The direct case is a cycle too.
  absl::StatusOr<AgentRegistry> self = AgentRegistry::Create(Parse(R"pb(
    workflows {
      workflow_id: "loop"
      steps { name: "s" component_type: COMPONENT_TYPE_WORKFLOW component_id: "loop" }
    }
  )pb"));
  EXPECT_THAT(self, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(self.status().message()), HasSubstr("loop -> loop"));
}

TEST(AgentRegistryTest, AcceptsSharedSubWorkflowsWithoutACycle) {
  // A diamond (top -> left -> leaf, top -> right -> leaf) reuses a workflow
  // but never reaches one from itself.
  EXPECT_THAT(AgentRegistry::Create(Parse(R"pb(
                agents { agent_id: "echo" model: "scripted:echo" }
                workflows {
                  workflow_id: "leaf"
                  steps { name: "s" component_type: COMPONENT_TYPE_AGENT component_id: "echo" }
                }
                workflows {
                  workflow_id: "left"
                  steps { name: "s" component_type: COMPONENT_TYPE_WORKFLOW component_id: "leaf" }
                }
                workflows {
                  workflow_id: "right"
                  steps { name: "s" component_type: COMPONENT_TYPE_WORKFLOW component_id: "leaf" }
                }
                workflows {
                  workflow_id: "top"
                  steps { name: "l" component_type: COMPONENT_TYPE_WORKFLOW component_id: "left" }
                  steps { name: "r" component_type: COMPONENT_TYPE_WORKFLOW component_id: "right" }
                }
              )pb")),
              IsOk());
}

}  // namespace
}  // namespace bastion::runs
