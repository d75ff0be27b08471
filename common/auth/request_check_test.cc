// Tests the request checks the call guard runs before anything else.
#include "common/auth/request_check.h"

#include <string>
#include <vector>

#include "bastion/authn/v1/authn.pb.h"
#include "bastion/data/v1/data.pb.h"
#include "bastion/test/v1/test.pb.h"
#include "common/server/permission_table.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

constexpr char kGrammar[] = " must match [A-Za-z0-9._:-]{1,128}";

absl::Status Check(const google::protobuf::Message& request) {
  return CheckRequest(request, {}, "");
}

TEST(RequestCheckTest, MarkedIdFieldsFollowTheGrammar) {
  data::v1::CreateSessionRequest request;
  EXPECT_THAT(Check(request), IsOk()) << "unset: the server picks the id";
  for (const std::string& id :
       std::vector<std::string>{"s-1", "a:b", "T.1_x-2", std::string(128, 'a')}) {
    request.set_session_id(id);
    EXPECT_THAT(Check(request), IsOk()) << id;
  }
  for (const std::string& id : std::vector<std::string>{
           "a b", "a\"b", "a'b", "caf\xc3\xa9", std::string(129, 'a')}) {
    request.set_session_id(id);
    absl::Status status = Check(request);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << id;
    EXPECT_EQ(status.message(), std::string("session_id") + kGrammar);
  }
}

TEST(RequestCheckTest, RepeatedAndNestedIdsAreNamedByPath) {
  data::v1::DeleteSessionsRequest sessions;
  sessions.add_session_ids("ok");
  sessions.add_session_ids("not ok");
  EXPECT_EQ(Check(sessions).message(), std::string("session_ids[1]") + kGrammar);

  data::v1::AppendSpansRequest spans;
  spans.add_spans()->set_span_id("fine");
  data::v1::Span* bad = spans.add_spans();
  bad->set_span_id("fine-too");
  bad->set_parent_span_id("no/slash");
  EXPECT_EQ(Check(spans).message(),
            std::string("spans[1].parent_span_id") + kGrammar);
}

TEST(RequestCheckTest, UnmarkedStringsAreNotIds) {
  data::v1::CreateMemoryRequest memory;
  memory.set_text("free text, with spaces: and \"quotes\"");
  EXPECT_THAT(Check(memory), IsOk());
  data::v1::ListSessionsRequest list;
  list.set_user_id("alice@example.com");  // a subject, not a resource id
  EXPECT_THAT(Check(list), IsOk());
}

TEST(RequestCheckTest, ThePermissionsIdFieldIsCheckedMarkedOrNot) {
  absl::StatusOr<IdFieldPath> path =
      ResolveIdField(*test::v1::EchoRequest::descriptor(), "inner.name");
  ASSERT_THAT(path, IsOk());
  test::v1::EchoRequest request;
  EXPECT_THAT(CheckRequest(request, *path, "inner.name"), IsOk());
  request.mutable_inner()->set_name("auditor");
  EXPECT_THAT(CheckRequest(request, *path, "inner.name"), IsOk());
  request.mutable_inner()->set_name("a b");
  absl::Status status = CheckRequest(request, *path, "inner.name");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(status.message(), std::string("inner.name") + kGrammar);
  // Without the path, the same request is fine: the field is not marked.
  EXPECT_THAT(Check(request), IsOk());
}

TEST(RequestCheckTest, EveryStringFieldRefusesNulNamingTheField) {
  const std::string nul("a\0b", 3);
  data::v1::CreateMemoryRequest memory;
  memory.set_text(nul);
  absl::Status status = Check(memory);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(status.message(), "text: contains a NUL character");
  memory.set_text("fine");
  memory.add_topics("ok");
  memory.add_topics(nul);
  EXPECT_EQ(Check(memory).message(), "topics[1]: contains a NUL character");

  data::v1::CreateSessionRequest session;
  session.set_name(nul);
  EXPECT_EQ(Check(session).message(), "name: contains a NUL character");

  data::v1::AppendSpansRequest spans;
  spans.add_spans()->set_name(nul);
  EXPECT_EQ(Check(spans).message(), "spans[0].name: contains a NUL character");

  // An id with a NUL is named for the NUL.
  session.Clear();
  session.set_session_id(nul);
  EXPECT_EQ(Check(session).message(), "session_id: contains a NUL character");
}

TEST(RequestCheckTest, BytesFieldsMayHoldAnything) {
  authn::v1::GetAssertionKeysResponse keys;  // AssertionKey.public_key: bytes
  keys.add_keys()->set_public_key(std::string("\0\0\xff", 3));
  EXPECT_THAT(Check(keys), IsOk());
}

}  // namespace
}  // namespace bastion
