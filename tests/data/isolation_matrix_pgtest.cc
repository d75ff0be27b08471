// Isolation matrix of the data service: every RPC of bastion.data.v1, called
// through the real gRPC adapters and the real PostgreSQL stores by six
// principals, against objects owned by user A. The expected outcome of each
// cell is written in kMatrix; an RPC without a row fails the test.
//
// Internal RPCs (run-executor's records) are called as the guard requires:
// a trusted service's own assertion plus the user's forwarded assertion;
// the same RPC with only the user's bearer token is PERMISSION_DENIED
// (no confused deputy), also asserted for every internal cell.
//
// Related checks that live with the stores and are not repeated here:
//   PgSessionStoreTest.TakenIdIsAlreadyExistsRevealingNothing,
//   PgSessionStoreTest.OtherUsersSessionIsNotFound (missing == foreign),
//   PgSessionStoreTest.UserFilterIsHonouredOnlyForAdmins (a non-admin's
//     user_id filter returns its own rows; here: never A's),
//   AdminAuditTest.* (every admin call on A's rows names A in the audit),
//   PgTraceStoreTest.WritesAsThePrincipalWhateverTheSpanSays,
//   PgTraceStoreTest.RawUpdateAndDeleteFailForTheServiceRole (as a user),
//   PgApprovalStoreTest.* (self-approval, expiry, races),
//   PrincipalTransactionTest.SettingsDoNotOutliveTheTransaction.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <array>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bastion/common/v1/common.pb.h"
#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "common/auth/caller.h"
#include "common/pg/principal_transaction.h"
#include "common/server/server.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "services/data/data_services.h"
#include "services/data/storage/pg_approval_store.h"
#include "services/data/storage/pg_memory_store.h"
#include "services/data/storage/pg_run_store.h"
#include "services/data/storage/pg_schedule_store.h"
#include "services/data/storage/pg_session_store.h"
#include "services/data/storage/pg_trace_store.h"
#include "services/data/storage/store_test_support.h"

namespace bastion::data {
namespace {

using ::bastion::common::v1::Principal;
using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::google::protobuf::Message;
using ::google::protobuf::MethodDescriptor;
using storage::MakeCaller;

// The callers, in the order of kMatrix's columns. The token each presents
// is its subject.
enum Who { kA, kB, kC, kT1Admin, kT2Admin, kPlatform, kWhoCount };
constexpr const char* kWhoName[kWhoCount] = {
    "A", "B", "C", "T1-admin", "T2-admin", "platform"};

// Each caller as the guard hands it over: the principal, and the admin
// level authz decides for it (here from its default admin scopes).
Caller CallerOf(Who who) {
  switch (who) {
    case kA:
      return MakeCaller("t1", "alice");
    case kB:
      return MakeCaller("t1", "bob");
    case kC:
      return MakeCaller("t2", "carol");
    case kT1Admin:
      return MakeCaller("t1", "admin1", {"agent_os:admin"}, AdminLevel::kTenant);
    case kT2Admin:
      return MakeCaller("t2", "admin2", {"agent_os:admin"}, AdminLevel::kTenant);
    default:
      return MakeCaller("t0", "root", {"bastion:platform_admin"},
                        AdminLevel::kPlatform);
  }
}

Principal PrincipalOf(Who who) { return CallerOf(who).principal; }

// The outcome of one cell. Every outcome but kOk also asserts that A's
// objects are exactly as they were before the call.
enum class Want {
  kOk,      // succeeds and reaches A's object (names it, or changes it)
  kHidden,  // succeeds without naming A's object
  kNew,     // succeeds creating an object of the caller's own
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,
};
constexpr Want OK = Want::kOk;
constexpr Want HID = Want::kHidden;
constexpr Want NEW = Want::kNew;
constexpr Want NF = Want::kNotFound;
constexpr Want PD = Want::kPermissionDenied;
constexpr Want AE = Want::kAlreadyExists;
constexpr Want FP = Want::kFailedPrecondition;

struct Row {
  // "Service/Method" in bastion.data.v1.
  const char* method;
  // Text proto of the request; $ID is the id of A's objects of this cell,
  // $SHA the arguments hash of A's approval.
  const char* request;
  // Columns: A, B, C, T1-admin, T2-admin, platform admin.
  std::array<Want, kWhoCount> want;
};

// Same tenant: A's own and the tenant admin reach it; B does not. Another
// tenant (C, its admin) never does. A platform admin lists every tenant but
// addresses ids within its own tenant (ids are unique per tenant), so by id
// it reaches nothing of T1. A taken id is ALREADY_EXISTS within the tenant
// and free in another.
constexpr Row kMatrix[] = {
    // ---------------------------------------------------------- Sessions
    {"Sessions/CreateSession",
     "session_id: '$ID' component_type: COMPONENT_TYPE_AGENT "
     "component_id: 'echo'",
     {AE, AE, NEW, AE, NEW, NEW}},
    {"Sessions/GetSession", "session_id: '$ID'", {OK, NF, NF, OK, NF, NF}},
    {"Sessions/ListSessions",
     "page { limit: 1000 }",
     {OK, HID, HID, OK, HID, OK}},
    {"Sessions/ListSessions",
     "page { limit: 1000 } user_id: 'alice'",
     {OK, HID, HID, OK, HID, OK}},
    {"Sessions/UpdateSession",
     "session_id: '$ID' update_name: true name: 'changed'",
     {OK, NF, NF, OK, NF, NF}},
    {"Sessions/DeleteSession", "session_id: '$ID'", {OK, NF, NF, OK, NF, NF}},
    {"Sessions/DeleteSessions",
     "session_ids: '$ID'",
     {OK, HID, HID, OK, HID, HID}},
    // ---------------------------------------------------------- Memories
    {"Memories/CreateMemory",
     "memory_id: '$ID' text: 'mine'",
     {AE, AE, NEW, AE, NEW, NEW}},
    {"Memories/GetMemory", "memory_id: '$ID'", {OK, NF, NF, OK, NF, NF}},
    {"Memories/ListMemories",
     "page { limit: 1000 }",
     {OK, HID, HID, OK, HID, OK}},
    {"Memories/ListMemories",
     "page { limit: 1000 } user_id: 'alice'",
     {OK, HID, HID, OK, HID, OK}},
    {"Memories/UpdateMemory",
     "memory_id: '$ID' update_text: true text: 'changed'",
     {OK, NF, NF, OK, NF, NF}},
    {"Memories/DeleteMemory", "memory_id: '$ID'", {OK, NF, NF, OK, NF, NF}},
    // ------------------------------------------------------------ Traces
    {"Traces/AppendSpans",
     "spans { trace_id: '$ID' span_id: '$ID-next' name: 'more' "
     "start_time_unix_nano: 1700000000000000000 user_id: 'alice' }",
     {OK, AE, NEW, AE, NEW, NEW}},
    {"Traces/GetTrace", "trace_id: '$ID'", {OK, NF, NF, OK, NF, NF}},
    {"Traces/ListTraces", "page { limit: 1000 }", {OK, HID, HID, OK, HID, OK}},
    {"Traces/ListTraces",
     "page { limit: 1000 } user_id: 'alice'",
     {OK, HID, HID, OK, HID, OK}},
    // -------------------------------------------------------- RunRecords
    {"RunRecords/CreateRun",
     "run_id: '$ID' component_type: COMPONENT_TYPE_AGENT component_id: 'echo'",
     {AE, AE, NEW, AE, NEW, NEW}},
    {"RunRecords/GetRun",
     "run_id: '$ID' include_events: true",
     {OK, NF, NF, OK, NF, NF}},
    // The run addressed through another component.
    {"RunRecords/GetRun",
     "run_id: '$ID' component_type: COMPONENT_TYPE_TEAM",
     {NF, NF, NF, NF, NF, NF}},
    {"RunRecords/GetRun",
     "run_id: '$ID' component_id: 'other'",
     {NF, NF, NF, NF, NF, NF}},
    {"RunRecords/ListRuns",
     "page { limit: 1000 }",
     {OK, HID, HID, OK, HID, OK}},
    {"RunRecords/ListRuns",
     "page { limit: 1000 } user_id: 'alice'",
     {OK, HID, HID, OK, HID, OK}},
    {"RunRecords/UpdateRun",
     "run_id: '$ID' status: RUN_STATUS_RUNNING request_cancel: true",
     {OK, NF, NF, OK, NF, NF}},
    {"RunRecords/AppendRunEvents",
     "run_id: '$ID' events { type: 'tool_call' payload_json: '{}' }",
     {OK, NF, NF, OK, NF, NF}},
    // --------------------------------------------------- ApprovalRecords
    // A new approval for a tool call of A's run: only A may create it.
    {"ApprovalRecords/CreateApproval",
     "approval_id: '$ID-2' run_id: '$ID' tool_call_id: 'call-2' "
     "tool_name: 'shell' args_sha256: '$SHA' ttl_seconds: 3600 "
     "arguments_json: '{}'",
     {NEW, NF, NF, NF, NF, NF}},
    {"ApprovalRecords/GetApproval",
     "approval_id: '$ID'",
     {OK, NF, NF, OK, NF, NF}},
    {"ApprovalRecords/ListApprovals",
     "page { limit: 1000 }",
     {OK, HID, HID, OK, HID, OK}},
    // Counted over A's run only, so a count above zero is A's approval.
    {"ApprovalRecords/CountApprovals",
     "run_id: '$ID'",
     {OK, HID, HID, OK, HID, OK}},
    // The requester cannot approve its own call.
    {"ApprovalRecords/ResolveApproval",
     "approval_id: '$ID' decision: APPROVAL_DECISION_APPROVE "
     "expected_args_sha256: '$SHA'",
     {FP, NF, NF, OK, NF, NF}},
    // --------------------------------------------------- ScheduleRecords
    {"ScheduleRecords/CreateSchedule",
     "schedule_id: '$ID' component_type: COMPONENT_TYPE_AGENT "
     "component_id: 'echo' cron: '*/5 * * * *'",
     {AE, AE, NEW, AE, NEW, NEW}},
    {"ScheduleRecords/GetSchedule",
     "schedule_id: '$ID'",
     {OK, NF, NF, OK, NF, NF}},
    {"ScheduleRecords/ListSchedules",
     "page { limit: 1000 }",
     {OK, HID, HID, OK, HID, OK}},
    {"ScheduleRecords/UpdateSchedule",
     "schedule_id: '$ID' update_enabled: true enabled: false",
     {OK, NF, NF, OK, NF, NF}},
    {"ScheduleRecords/DeleteSchedule",
     "schedule_id: '$ID'",
     {OK, NF, NF, OK, NF, NF}},
    // The scheduler's calls (ClaimDueSchedules, AdvanceSchedule) are
    // service-only: no user reaches them (pg_schedule_store_pgtest).
    // ---------------------------------------------------------- AuditLog
    // A's objects here are the audit events of A's approval request (A's
    // own) and of T1-admin reading A's session (seeded with every cell): A
    // sees its own (a user filter binds admins only), the tenant admin and
    // the platform admin both, nobody else.
    {"AuditLog/ListAuditEvents",
     "page { limit: 1000 }",
     {OK, HID, HID, OK, HID, OK}},
    {"AuditLog/ListAuditEvents",
     "page { limit: 1000 } user_id: 'admin1'",
     {OK, HID, HID, OK, HID, OK}},
};

// SHA-256 of the approvals' arguments, "{}".
constexpr char kSha[] =
    "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

std::string FullName(const char* method) {
  return absl::StrCat("bastion.data.v1.", method);
}

const google::protobuf::ServiceDescriptor* DataService(int i) {
  return v1::Session::descriptor()->file()->service(i);
}

std::vector<const MethodDescriptor*> EveryDataMethod() {
  std::vector<const MethodDescriptor*> out;
  const auto* file = v1::Session::descriptor()->file();
  for (int s = 0; s < file->service_count(); ++s) {
    for (int m = 0; m < DataService(s)->method_count(); ++m) {
      const MethodDescriptor* method = DataService(s)->method(m);
      // Service-only methods (internal, no resource: AuditWriter) act for no
      // user; no user can call them at all, which the call guard tests and
      // the permission enumeration integration test prove.
      const common::v1::Permission& permission =
          method->options().GetExtension(common::v1::permission);
      if (permission.internal() && permission.resource().empty()) continue;
      out.push_back(method);
    }
  }
  return out;
}

const MethodDescriptor* FindMethod(const char* method) {
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      absl::StrReplaceAll(FullName(method), {{"/", "."}}));
}

bool IsInternal(const MethodDescriptor& method) {
  return method.options().GetExtension(common::v1::permission).internal();
}

std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type)
          ->New());
}

// The text of a message contains `s` as a whole string value.
bool Names(const Message& message, const std::string& s) {
  // A count names nothing; its row counts A's run only.
  if (message.GetDescriptor() == v1::CountApprovalsResponse::descriptor()) {
    const auto* count = message.GetDescriptor()->FindFieldByName("count");
    return message.GetReflection()->GetInt64(message, count) > 0;
  }
  return message.DebugString().find(absl::StrCat("\"", s, "\"")) !=
         std::string::npos;
}

// Token -> fixed principal; the authn seam of the guard.
class FixedPrincipals final : public Authenticator {
 public:
  absl::StatusOr<Caller> Authenticate(absl::string_view token) override {
    for (int w = 0; w < kWhoCount; ++w) {
      Principal p = PrincipalOf(static_cast<Who>(w));
      if (p.subject() == token) return Caller{p, absl::StrCat("a-", token)};
    }
    if (token == "noscope") {
      return Caller{MakeCaller("t1", "noscope").principal, "a-noscope"};
    }
    return absl::UnauthenticatedError("unknown token");
  }
};

// Allows everything except to "noscope"; the authz seam of the guard.
// Scopes are authz's business (tested there); this test is about the data.
class AllowAllButNoScope final : public Authorizer {
 public:
  absl::StatusOr<AuthzDecision> Check(const Caller& caller,
                                      const PermissionRequest&) override {
    AuthzDecision d;
    d.allowed = caller.principal.subject() != "noscope";
    // The admin level authz decides for each caller.
    for (int w = 0; w < kWhoCount; ++w) {
      const Caller who = CallerOf(static_cast<Who>(w));
      if (who.principal.subject() == caller.principal.subject()) {
        d.admin_level = *who.admin_level;
      }
    }
    return d;
  }
};

// Forwarded user assertions: the assertion text is the user's subject.
class FixedAssertions final : public AssertionAuthenticator {
 public:
  absl::StatusOr<Principal> Verify(absl::string_view assertion) override {
    for (int w = 0; w < kWhoCount; ++w) {
      Principal p = PrincipalOf(static_cast<Who>(w));
      if (p.subject() == assertion) return p;
    }
    return absl::UnauthenticatedError("unknown assertion");
  }
};

// The calling service's own assertion: only "run-executor" is trusted, for
// every method (the matrix is about rows; which methods a service may call
// is common/auth/trusted_services_test's and service_trust_integration_test's).
class TrustedServices final : public ServiceAuthenticator {
 public:
  bool MayCall(absl::string_view subject, absl::string_view) const override {
    return subject == "run-executor";
  }

  absl::StatusOr<Principal> Verify(absl::string_view assertion) override {
    if (assertion != "run-executor") {
      return absl::UnauthenticatedError("untrusted service");
    }
    Principal service;
    service.set_tenant_id("bastion");
    service.set_subject("run-executor");
    service.set_credential_kind(common::v1::CREDENTIAL_KIND_SERVICE);
    return service;
  }
};

class IsolationMatrixTest : public storage::StoreTest {
 protected:
  void SetUp() override {
    storage::StoreTest::SetUp();
    if (HasFatalFailure()) return;
    GuardDependencies dependencies;
    dependencies.authenticator = &authn_;
    dependencies.assertions = &assertions_;
    dependencies.authorizer = &authz_;
    dependencies.services = &trusted_services_;
    auto services = DataServices::Create(*pool_, dependencies);
    ASSERT_THAT(services, IsOk());
    services_ = *std::move(services);
    auto server = StartServer(ServerOptions(), services_->Bindings());
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    sessions_ = std::make_unique<storage::PgSessions>(*pool_);
    memories_ = std::make_unique<storage::PgMemories>(*pool_);
    traces_ = std::make_unique<storage::PgTraces>(*pool_);
    runs_ = std::make_unique<storage::PgRuns>(*pool_);
    approvals_ = std::make_unique<storage::PgApprovals>(*pool_);
    schedules_ = std::make_unique<storage::PgSchedules>(*pool_);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // How a call carries the user.
  enum class Via {
    kBearer,   // the user's own token, as a client calls
    kService,  // run-executor's assertion + the user's forwarded assertion
  };

  // One unary call through the real server for the user `token` (no
  // credentials when empty).
  grpc::Status Call(const MethodDescriptor& method, const std::string& token,
                    const Message& request, Message* response,
                    Via via = Via::kBearer) {
    grpc::TemplatedGenericStub<Message, Message> stub(channel_);
    grpc::ClientContext context;
    if (!token.empty() && via == Via::kBearer) {
      context.AddMetadata("authorization", "Bearer " + token);
    }
    if (via == Via::kService) {
      context.AddMetadata(kServiceMetadataKey, "run-executor");
      context.AddMetadata(kPrincipalMetadataKey, token);
    }
    std::promise<grpc::Status> done;
    stub.UnaryCall(
        &context,
        absl::StrCat("/", method.service()->full_name(), "/", method.name()),
        grpc::StubOptions(), &request, response,
        [&done](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  // A's objects of one cell, all with id `id`: a session, a memory, a
  // trace, a run with an event, a pending approval of that run, a due
  // schedule; and T1-admin's audited read of the session.
  void Seed(const std::string& id, int cell) {
    const Caller a = CallerOf(kA);
    v1::CreateSessionRequest s;
    s.set_session_id(id);
    s.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
    s.set_component_id("echo");
    ASSERT_THAT(sessions_->CreateSession(a, s), IsOk());
    v1::CreateMemoryRequest m;
    m.set_memory_id(id);
    m.set_text("remember " + id);
    ASSERT_THAT(memories_->CreateMemory(a, m), IsOk());
    v1::AppendSpansRequest t;
    v1::Span* span = t.add_spans();
    span->set_trace_id(id);
    span->set_span_id(id + "-root");
    span->set_name("root");
    span->set_start_time_unix_nano(1700000000000000000);
    ASSERT_THAT(traces_->AppendSpans(a, t), IsOk());
    v1::CreateRunRequest r;
    r.set_run_id(id);
    r.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
    r.set_component_id("echo");
    r.set_status(common::v1::RUN_STATUS_PAUSED);
    ASSERT_THAT(runs_->CreateRun(a, r), IsOk());
    v1::AppendRunEventsRequest e;
    e.set_run_id(id);
    e.add_events()->set_type("started");
    ASSERT_THAT(runs_->AppendRunEvents(a, e), IsOk());
    v1::CreateApprovalRequest ap;
    ap.set_approval_id(id);
    ap.set_run_id(id);
    ap.set_tool_call_id("call-1");
    ap.set_tool_name("shell");
    ap.set_args_sha256(kSha);
    ap.set_arguments_json("{}");
    ap.set_ttl_seconds(3600);
    ASSERT_THAT(approvals_->CreateApproval(a, ap), IsOk());
    v1::CreateScheduleRequest sc;
    sc.set_schedule_id(id);
    sc.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
    sc.set_component_id("echo");
    sc.set_cron("*/5 * * * *");
    // Due, and older than every earlier cell's, so a claim takes it first.
    sc.set_next_run_at_unix_micros(
        absl::ToUnixMicros(absl::Now() - absl::Hours(1) - absl::Seconds(cell)));
    ASSERT_THAT(schedules_->CreateSchedule(a, sc), IsOk());
    v1::GetSessionRequest g;
    g.set_session_id(id);
    ASSERT_THAT(sessions_->GetSession(CallerOf(kT1Admin), g), IsOk());
  }

  // Everything A can read of its objects `id`, as text.
  std::string Snapshot(const std::string& id) {
    const Caller a = CallerOf(kA);
    std::string out;
    auto add = [&out](const auto& result) {
      out += result.ok() ? result->DebugString() : result.status().ToString();
      out += "\n";
    };
    v1::GetSessionRequest s;
    s.set_session_id(id);
    add(sessions_->GetSession(a, s));
    v1::GetMemoryRequest m;
    m.set_memory_id(id);
    add(memories_->GetMemory(a, m));
    v1::GetTraceRequest t;
    t.set_trace_id(id);
    add(traces_->GetTrace(a, t));
    v1::GetRunRequest r;
    r.set_run_id(id);
    r.set_include_events(true);
    add(runs_->GetRun(a, r));
    v1::GetApprovalRequest ap;
    ap.set_approval_id(id);
    add(approvals_->GetApproval(a, ap));
    v1::GetScheduleRequest sc;
    sc.set_schedule_id(id);
    add(schedules_->GetSchedule(a, sc));
    return out;
  }

  // Checks one outcome against `want`; A's objects `id` were `before`.
  void Expect(Want want, Who who, const absl::Status& status,
              const Message& response, const std::string& id,
              const std::string& before) {
    const std::string after = Snapshot(id);
    switch (want) {
      case Want::kOk:
        EXPECT_THAT(status, IsOk());
        EXPECT_TRUE(Names(response, id) || after != before)
            << "A's object was not reached: " << response.DebugString();
        return;
      case Want::kHidden:
        EXPECT_THAT(status, IsOk());
        EXPECT_FALSE(Names(response, id)) << response.DebugString();
        break;
      case Want::kNew:
        EXPECT_THAT(status, IsOk());
        EXPECT_TRUE(Names(response, PrincipalOf(who).subject()))
            << response.DebugString();
        if (who != kA) {
          EXPECT_FALSE(Names(response, "alice")) << response.DebugString();
        }
        break;
      case Want::kNotFound:
        EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound));
        break;
      case Want::kAlreadyExists:
        EXPECT_THAT(status, StatusIs(absl::StatusCode::kAlreadyExists));
        break;
      case Want::kFailedPrecondition:
        EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
        break;
      case Want::kPermissionDenied:
        EXPECT_THAT(status, StatusIs(absl::StatusCode::kPermissionDenied));
        break;
    }
    EXPECT_EQ(after, before) << "A's objects changed";
  }

  FixedPrincipals authn_;
  FixedAssertions assertions_;
  TrustedServices trusted_services_;
  AllowAllButNoScope authz_;
  std::unique_ptr<DataServices> services_;
  std::unique_ptr<RunningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<storage::PgSessions> sessions_;
  std::unique_ptr<storage::PgMemories> memories_;
  std::unique_ptr<storage::PgTraces> traces_;
  std::unique_ptr<storage::PgRuns> runs_;
  std::unique_ptr<storage::PgApprovals> approvals_;
  std::unique_ptr<storage::PgSchedules> schedules_;
};

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

TEST(IsolationMatrixTableTest, EveryDataRpcHasARowAndEveryRowAnRpc) {
  for (const MethodDescriptor* method : EveryDataMethod()) {
    const std::string name =
        absl::StrCat(method->service()->name(), "/", method->name());
    bool found = false;
    for (const Row& row : kMatrix) found = found || name == row.method;
    EXPECT_TRUE(found) << method->full_name()
                       << " has no row in the isolation matrix";
  }
  for (const Row& row : kMatrix) {
    EXPECT_NE(FindMethod(row.method), nullptr) << row.method;
  }
}

TEST_F(IsolationMatrixTest, EveryCellAsWritten) {
  int cell = 0;
  for (const Row& row : kMatrix) {
    const MethodDescriptor* method = FindMethod(row.method);
    ASSERT_NE(method, nullptr) << row.method;
    for (int w = 0; w < kWhoCount; ++w) {
      const Who who = static_cast<Who>(w);
      const std::string id = absl::StrFormat("o%03d", ++cell);
      SCOPED_TRACE(absl::StrCat(row.method, " {", row.request, "} as ",
                                kWhoName[w], " on ", id));
      ASSERT_NO_FATAL_FAILURE(Seed(id, cell));
      std::unique_ptr<Message> request = NewMessage(method->input_type());
      ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
          absl::StrReplaceAll(row.request, {{"$ID", id}, {"$SHA", kSha}}),
          request.get()))
          << row.request;
      const std::string before = Snapshot(id);
      const std::string token = PrincipalOf(who).subject();
      std::unique_ptr<Message> response = NewMessage(method->output_type());
      if (IsInternal(*method)) {
        // The user alone may not call what only a service may call for it.
        EXPECT_EQ(Call(*method, token, *request, response.get()).error_code(),
                  grpc::StatusCode::PERMISSION_DENIED);
        ASSERT_EQ(Snapshot(id), before);
        response->Clear();
      }
      const grpc::Status status =
          Call(*method, token, *request, response.get(),
               IsInternal(*method) ? Via::kService : Via::kBearer);
      Expect(row.want[w], who, FromGrpc(status), *response, id, before);
    }
  }
}

TEST_F(IsolationMatrixTest, EveryRpcDeniesNoTokenAndNoPermissionBeforeWork) {
  for (const MethodDescriptor* method : EveryDataMethod()) {
    SCOPED_TRACE(method->full_name());
    std::unique_ptr<Message> request = NewMessage(method->input_type());
    std::unique_ptr<Message> response = NewMessage(method->output_type());
    EXPECT_EQ(Call(*method, "", *request, response.get()).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(Call(*method, "noscope", *request, response.get()).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(SuperuserScalar("SELECT count(*) FROM bastion_data.audit_events"),
            "0");
}

// The owner fields of a stored object, smuggled into a create request as
// unknown fields (Session and CreateSessionRequest share fields 1-5, Memory
// and CreateMemoryRequest 1-3), are ignored: the object is the caller's.
TEST_F(IsolationMatrixTest, WriteCarryingAnotherUsersIdLandsAsTheCaller) {
  v1::Session session;
  session.set_session_id("smuggled");
  session.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
  session.set_component_id("echo");
  session.set_tenant_id("t1");
  session.set_user_id("alice");
  v1::Session created;
  const MethodDescriptor* create_session = FindMethod("Sessions/CreateSession");
  ASSERT_TRUE(Call(*create_session, "carol", session, &created).ok());
  EXPECT_EQ(created.tenant_id(), "t2");
  EXPECT_EQ(created.user_id(), "carol");
  ASSERT_TRUE(Call(*create_session, "bob", session, &created).ok());
  EXPECT_EQ(created.tenant_id(), "t1");
  EXPECT_EQ(created.user_id(), "bob");
  v1::GetSessionRequest get;
  get.set_session_id("smuggled");
  EXPECT_THAT(sessions_->GetSession(CallerOf(kA), get),
              StatusIs(absl::StatusCode::kNotFound));

  v1::Memory memory;
  memory.set_memory_id("smuggled");
  memory.set_text("x");
  memory.set_tenant_id("t1");
  memory.set_user_id("alice");
  v1::Memory stored;
  ASSERT_TRUE(
      Call(*FindMethod("Memories/CreateMemory"), "bob", memory, &stored).ok());
  EXPECT_EQ(stored.user_id(), "bob");
  EXPECT_EQ(stored.tenant_id(), "t1");

  // A span's user_id is a declared field, set by the server (AppendSpans is
  // internal: run-executor calls it for the user).
  v1::AppendSpansRequest append;
  v1::Span* span = append.add_spans();
  span->set_trace_id("tr-smuggled");
  span->set_span_id("root");
  span->set_name("op");
  span->set_start_time_unix_nano(1700000000000000000);
  span->set_user_id("alice");
  v1::AppendSpansResponse spans;
  ASSERT_TRUE(Call(*FindMethod("Traces/AppendSpans"), "bob", append, &spans,
                   Via::kService)
                  .ok());
  EXPECT_EQ(spans.spans(0).user_id(), "bob");
}

// The server's pool has one connection: every request of A and B runs on
// it in turn, through every service.
TEST_F(IsolationMatrixTest, PooledConnectionUsedByAThenBNeverShowsAsRows) {
  ASSERT_NO_FATAL_FAILURE(Seed("pooled", 0));
  for (int i = 0; i < 3; ++i) {
    for (const char* list : {"Sessions/ListSessions", "Memories/ListMemories",
                             "Traces/ListTraces", "AuditLog/ListAuditEvents"}) {
      SCOPED_TRACE(list);
      const MethodDescriptor* method = FindMethod(list);
      std::unique_ptr<Message> request = NewMessage(method->input_type());
      std::unique_ptr<Message> as_a = NewMessage(method->output_type());
      ASSERT_TRUE(Call(*method, "alice", *request, as_a.get()).ok());
      if (std::string(list) != "AuditLog/ListAuditEvents") {
        EXPECT_TRUE(Names(*as_a, "pooled")) << as_a->DebugString();
      }
      std::unique_ptr<Message> as_b = NewMessage(method->output_type());
      ASSERT_TRUE(Call(*method, "bob", *request, as_b.get()).ok());
      EXPECT_FALSE(Names(*as_b, "pooled")) << as_b->DebugString();
      EXPECT_FALSE(Names(*as_b, "alice")) << as_b->DebugString();
    }
  }
  EXPECT_EQ(pool_->OpenConnections(), 1);
  // Nothing of the last principal stays on the connection.
  auto lease = pool_->Acquire();
  ASSERT_THAT(lease, IsOk());
  auto settings = (*lease)->Execute(
      {"SELECT coalesce(current_setting('bastion.tenant_id', true), ''),"
       " coalesce(current_setting('bastion.user_id', true), ''),"
       " coalesce(current_setting('bastion.admin_level', true), '')",
       {}});
  ASSERT_THAT(settings, IsOk());
  EXPECT_EQ(settings->Get(0, 0), "");
  EXPECT_EQ(settings->Get(0, 1), "");
  EXPECT_EQ(settings->Get(0, 2), "");
}

// What any code path that forgot the principal transaction would get, on
// every table of the schema (a new table is covered without a new line).
TEST_F(IsolationMatrixTest, ServiceRoleWithoutSettingsSeesAndChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(Seed("seen", 0));
  auto conn = pg::PgConnection::Connect(db_->superuser_conninfo());
  ASSERT_THAT(conn, IsOk());
  auto tables = (*conn)->Execute(
      {"SELECT tablename FROM pg_tables WHERE schemaname = 'bastion_data'"
       " ORDER BY 1",
       {}});
  ASSERT_THAT(tables, IsOk());
  ASSERT_GE(tables->rows(), 8);
  auto lease = pool_->Acquire();
  ASSERT_THAT(lease, IsOk());
  for (int i = 0; i < tables->rows(); ++i) {
    const std::string table =
        absl::StrCat("bastion_data.", std::string(tables->Get(i, 0)));
    SCOPED_TRACE(table);
    const std::string count = absl::StrCat("SELECT count(*) FROM ", table);
    auto all = (*conn)->Execute({count.c_str(), {}});
    ASSERT_THAT(all, IsOk());
    EXPECT_NE(all->Get(0, 0), "0") << "seed every table";
    auto seen = (*lease)->Execute({count.c_str(), {}});
    ASSERT_THAT(seen, IsOk());
    EXPECT_EQ(seen->Get(0, 0), "0");
  }
}

// Append-only holds even for the widest principal (a platform admin); the
// same as a plain user:
// PgTraceStoreTest.RawUpdateAndDeleteFailForTheServiceRole.
TEST_F(IsolationMatrixTest, SpansAndAuditRefuseUpdateAndDeleteEvenForPlatform) {
  ASSERT_NO_FATAL_FAILURE(Seed("kept", 0));
  const std::string audit_rows =
      SuperuserScalar("SELECT count(*) FROM bastion_data.audit_events");
  const pg::PrincipalScope platform{"t0", "root", pg::AdminLevel::kPlatform};
  for (const char* sql :
       {"UPDATE bastion_data.spans SET name = 'x'",
        "DELETE FROM bastion_data.spans", "TRUNCATE bastion_data.spans",
        "UPDATE bastion_data.audit_events SET action = 'x'",
        "DELETE FROM bastion_data.audit_events",
        "TRUNCATE bastion_data.audit_events"}) {
    auto result = pg::RunAsPrincipal(*pool_, platform, {{sql, {}}});
    EXPECT_FALSE(result.ok()) << sql;
  }
  EXPECT_EQ(SuperuserScalar("SELECT count(*) FROM bastion_data.spans"), "1");
  EXPECT_EQ(SuperuserScalar("SELECT count(*) FROM bastion_data.audit_events"),
            audit_rows);
}

}  // namespace
}  // namespace bastion::data
