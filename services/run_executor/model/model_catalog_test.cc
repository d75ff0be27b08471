// Tests the model catalog: built-ins and registered models resolved by
// reference and shared, unknown or malformed references refused naming
// them, and the environment read once (base URL and keys reach the server;
// a missing named key or a malformed one refuses startup without printing
// any key).
#include "services/run_executor/model/model_catalog.h"

#include <atomic>
#include <map>
#include <string>

#include "common/clock/clock.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/run_executor/model/fake_chat_server.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

v1::Registry Parse(const std::string& text) {
  v1::Registry registry;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &registry));
  return registry;
}

// An environment with only `values`; counts lookups.
class FakeEnv {
 public:
  explicit FakeEnv(
      std::initializer_list<std::pair<const std::string, std::string>> values)
      : values_(values) {}
  EnvLookup lookup() {
    return [this](absl::string_view name) -> std::optional<std::string> {
      ++lookups_;
      auto it = values_.find(std::string(name));
      if (it == values_.end()) return std::nullopt;
      return it->second;
    };
  }
  int lookups() const { return lookups_; }

 private:
  std::map<std::string, std::string> values_;
  std::atomic<int> lookups_{0};
};

std::string Reply(const Model& model, const std::string& input) {
  ModelRequest request;
  request.messages.push_back({ChatMessage::Role::kUser, input, {}, "", ""});
  absl::StatusOr<ModelReply> reply = model.Complete(request, {});
  EXPECT_THAT(reply, IsOk());
  return reply.ok() ? reply->text : "";
}

std::unique_ptr<ModelCatalog> Make(const std::string& registry,
                                   FakeEnv& env) {
  absl::StatusOr<std::unique_ptr<ModelCatalog>> catalog = ModelCatalog::Create(
      Parse(registry), env.lookup(), SystemClock::Get());
  EXPECT_THAT(catalog, IsOk());
  return catalog.ok() ? *std::move(catalog) : nullptr;
}

TEST(ModelCatalogTest, ResolvesBuiltinAndRegisteredModelsAsSharedInstances) {
  FakeEnv env({});
  std::unique_ptr<ModelCatalog> catalog = Make(R"pb(
    models { name: "scripted:greeter" scripted { fallback_reply: "Hi, {input}!" } }
    agents { agent_id: "a" model: "openai:gpt-4o-mini" }
    teams { team_id: "t" model: "openai:gpt-4o-mini" }
  )pb", env);
  ASSERT_NE(catalog, nullptr);

  absl::StatusOr<std::shared_ptr<const Model>> greeter =
      catalog->Find("scripted:greeter");
  ASSERT_THAT(greeter, IsOk());
  EXPECT_EQ(Reply(**greeter, "Ada"), "Hi, Ada!");
  EXPECT_EQ(catalog->Find("scripted:greeter")->get(), greeter->get());

  absl::StatusOr<std::shared_ptr<const Model>> echo =
      catalog->Find("scripted:echo");
  ASSERT_THAT(echo, IsOk());
  EXPECT_EQ(Reply(**echo, "same words"), "same words");

  absl::StatusOr<std::shared_ptr<const Model>> gpt =
      catalog->Find("openai:gpt-4o-mini");
  ASSERT_THAT(gpt, IsOk());
  EXPECT_EQ(catalog->Find("openai:gpt-4o-mini")->get(), gpt->get());
}

TEST(ModelCatalogTest, UnknownAndMalformedReferencesNameTheReference) {
  FakeEnv env({});
  std::unique_ptr<ModelCatalog> catalog = Make("", env);
  ASSERT_NE(catalog, nullptr);
  absl::StatusOr<std::shared_ptr<const Model>> missing =
      catalog->Find("scripted:nobody");
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("\"scripted:nobody\""));
  absl::StatusOr<std::shared_ptr<const Model>> unused =
      catalog->Find("openai:gpt-4o");
  EXPECT_THAT(unused, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(unused.status().message()),
              HasSubstr("\"openai:gpt-4o\" is named by no registered agent"));
  absl::StatusOr<std::shared_ptr<const Model>> malformed =
      catalog->Find("openai:");
  EXPECT_THAT(malformed, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(malformed.status().message()),
              HasSubstr("\"openai:\""));
}

TEST(ModelCatalogTest, InvalidSpecRefusesStartup) {
  FakeEnv env({});
  EXPECT_THAT(ModelCatalog::Create(Parse(R"pb(
                models { name: "r" openai { model: "m" max_retries: 9 } }
              )pb"),
                                   env.lookup(), SystemClock::Get()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ModelCatalogTest, NamedKeyVariableMustBeSet) {
  FakeEnv env({{"OPENAI_API_KEY", "sk-default-key"}});
  absl::StatusOr<std::unique_ptr<ModelCatalog>> catalog =
      ModelCatalog::Create(Parse(R"pb(
        models { name: "vllm" openai { model: "m" api_key_env: "VLLM_KEY" } }
      )pb"),
                           env.lookup(), SystemClock::Get());
  EXPECT_THAT(catalog, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(catalog.status().message()), HasSubstr("VLLM_KEY"));
  EXPECT_THAT(std::string(catalog.status().message()),
              Not(HasSubstr("sk-default-key")));
}

TEST(ModelCatalogTest, MalformedKeyOrBaseUrlInTheEnvironmentRefusesStartup) {
  FakeEnv bad_key({{"OPENAI_API_KEY", "sk-line\nbreak"}});
  absl::StatusOr<std::unique_ptr<ModelCatalog>> catalog = ModelCatalog::Create(
      Parse(""), bad_key.lookup(), SystemClock::Get());
  EXPECT_THAT(catalog, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(catalog.status().message()),
              HasSubstr("OPENAI_API_KEY"));
  EXPECT_THAT(std::string(catalog.status().message()),
              Not(HasSubstr("sk-line")));

  FakeEnv bad_named_key({{"MY_KEY", "sk-named\rkey"}});
  catalog = ModelCatalog::Create(
      Parse(R"pb(models { name: "r" openai { model: "m" api_key_env: "MY_KEY" } })pb"),
      bad_named_key.lookup(), SystemClock::Get());
  EXPECT_THAT(catalog, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(catalog.status().message()),
              Not(HasSubstr("sk-named")));

  FakeEnv bad_url({{"OPENAI_BASE_URL", "gopher://old.example/v1"}});
  catalog = ModelCatalog::Create(Parse(""), bad_url.lookup(),
                                 SystemClock::Get());
  EXPECT_THAT(catalog, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(catalog.status().message()),
              HasSubstr("OPENAI_BASE_URL"));
}

TEST(ModelCatalogTest, EnvironmentReachesTheServerAndIsReadOnlyAtCreate) {
  FakeChatServer server;
  server.Handle([](const httplib::Request& request,
                   httplib::Response& response) {
    const nlohmann::json body = nlohmann::json::parse(request.body);
    response.set_content(
        nlohmann::json{
            {"choices",
             {{{"message",
                {{"content", body["model"].get<std::string>()}}}}}}}
            .dump(),
        "application/json");
  });
  FakeEnv env({{"OPENAI_BASE_URL", server.base_url()},
               {"OPENAI_API_KEY", "sk-env-default"},
               {"LOCAL_KEY", "sk-local"}});
  std::unique_ptr<ModelCatalog> catalog = Make(R"pb(
    models { name: "local" openai { model: "llama3.1:8b" api_key_env: "LOCAL_KEY" stream: false } }
    agents { agent_id: "a" model: "local" }
    agents { agent_id: "b" model: "openai:qwen2.5" }
  )pb", env);
  ASSERT_NE(catalog, nullptr);
  const int lookups_at_create = env.lookups();

  absl::StatusOr<std::shared_ptr<const Model>> local = catalog->Find("local");
  ASSERT_THAT(local, IsOk());
  EXPECT_EQ(Reply(**local, "hi"), "llama3.1:8b");
  absl::StatusOr<std::shared_ptr<const Model>> builtin =
      catalog->Find("openai:qwen2.5");
  ASSERT_THAT(builtin, IsOk());
  EXPECT_EQ(Reply(**builtin, "hi"), "qwen2.5");

  const std::vector<FakeChatServer::Recorded> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].authorization, "Bearer sk-local");
  EXPECT_EQ(requests[1].authorization, "Bearer sk-env-default");
  EXPECT_EQ(env.lookups(), lookups_at_create);
}

}  // namespace
}  // namespace bastion::runs
