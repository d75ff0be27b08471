// A delegation for run R, presented by its holder, reaches R's run-scoped
// records only: R's run record, events, trace and approvals answer; every
// other run of the same user, and every run of another user, is NOT_FOUND
// (lists show R's only), and nothing of them changes. Records not scoped to
// a run (memories) stay the user's. Served by the real data services on a
// real PostgreSQL; the assertion seams are small fakes.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "common/auth/caller.h"
#include "common/server/server.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/data/data_services.h"
#include "services/data/storage/store_test_support.h"

namespace bastion::data {
namespace {

using ::bastion::common::v1::Principal;
using ::bastion::testing::IsOk;
using storage::MakeCaller;

constexpr char kHolder[] = "service:run_executor";
// SHA-256 of the approvals' arguments, "{}".
constexpr char kSha[] =
    "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

Principal Alice() { return MakeCaller("t1", "alice").principal; }

// "plain" is alice's assertion; "dlg:<run>" alice's delegation for <run>,
// accepted only from its holder (as the real verifier does).
class Assertions final : public AssertionAuthenticator {
 public:
  absl::StatusOr<Principal> Verify(absl::string_view assertion) override {
    if (assertion == "plain") return Alice();
    return absl::UnauthenticatedError("unknown assertion");
  }
  absl::StatusOr<VerifiedAssertion> VerifyPresentedBy(
      absl::string_view assertion, absl::string_view calling_service) override {
    if (!absl::StartsWith(assertion, "dlg:")) {
      absl::StatusOr<Principal> principal = Verify(assertion);
      if (!principal.ok()) return principal.status();
      return VerifiedAssertion{*principal, "", ""};
    }
    if (calling_service != kHolder) {
      return absl::UnauthenticatedError("not the holder");
    }
    return VerifiedAssertion{Alice(), "dlg_1",
                             std::string(assertion.substr(4))};
  }
};

class Services final : public ServiceAuthenticator {
 public:
  bool MayCall(absl::string_view, absl::string_view) const override {
    return true;
  }
  absl::StatusOr<Principal> Verify(absl::string_view assertion) override {
    if (assertion != "run-executor") return absl::UnauthenticatedError("no");
    Principal service;
    service.set_tenant_id("bastion");
    service.set_subject(kHolder);
    service.set_credential_kind(common::v1::CREDENTIAL_KIND_SERVICE);
    return service;
  }
};

class AllowAll final : public Authorizer {
 public:
  absl::StatusOr<AuthzDecision> Check(const Caller& caller,
                                      const PermissionRequest&) override {
    (void)caller;
    AuthzDecision decision;
    decision.allowed = true;
    return decision;
  }
};

class RunBindingTest : public storage::StoreTest {
 protected:
  void SetUp() override {
    storage::StoreTest::SetUp();
    if (HasFatalFailure()) return;
    GuardDependencies dependencies;
    dependencies.assertions = &assertions_;
    dependencies.services = &services_;
    dependencies.authorizer = &authz_;
    auto services = DataServices::Create(*pool_, dependencies);
    ASSERT_THAT(services, IsOk());
    data_ = *std::move(services);
    auto server = StartServer(ServerOptions(), data_->Bindings());
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::InsecureChannelCredentials());
    runs_ = v1::RunRecords::NewStub(channel);
    traces_ = v1::Traces::NewStub(channel);
    approvals_ = v1::ApprovalRecords::NewStub(channel);
    memories_ = v1::Memories::NewStub(channel);

    run_store_ = std::make_unique<storage::PgRuns>(*pool_);
    trace_store_ = std::make_unique<storage::PgTraces>(*pool_);
    approval_store_ = std::make_unique<storage::PgApprovals>(*pool_);
    for (const char* run : {"run-R", "run-S"}) {
      Seed(MakeCaller("t1", "alice"), run);
    }
    Seed(MakeCaller("t1", "bob"), "run-B");
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // A run of `owner` with one event, a root span in its trace (trace id =
  // run id) and a pending approval with the run's id.
  void Seed(const Caller& owner, const std::string& run_id) {
    v1::CreateRunRequest run;
    run.set_run_id(run_id);
    run.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
    run.set_component_id("echo");
    run.set_status(common::v1::RUN_STATUS_RUNNING);
    ASSERT_THAT(run_store_->CreateRun(owner, run), IsOk());
    v1::AppendSpansRequest spans;
    v1::Span* span = spans.add_spans();
    span->set_trace_id(run_id);
    span->set_span_id(run_id + "-root");
    span->set_name("run");
    span->set_start_time_unix_nano(1700000000000000000);
    ASSERT_THAT(trace_store_->AppendSpans(owner, spans), IsOk());
    v1::CreateApprovalRequest approval;
    approval.set_approval_id(run_id);
    approval.set_run_id(run_id);
    approval.set_tool_call_id("call-1");
    approval.set_tool_name("shell");
    approval.set_args_sha256(kSha);
    approval.set_arguments_json("{}");
    approval.set_ttl_seconds(3600);
    ASSERT_THAT(approval_store_->CreateApproval(owner, approval), IsOk());
  }

  // A context carrying `assertion`, sent by run-executor (the holder) or by
  // nobody (a bare client).
  static std::unique_ptr<grpc::ClientContext> Context(
      const std::string& assertion, bool from_holder = true) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (from_holder) context->AddMetadata(kServiceMetadataKey, "run-executor");
    context->AddMetadata(kPrincipalMetadataKey, assertion);
    return context;
  }

  grpc::StatusCode GetRun(const std::string& assertion,
                          const std::string& run_id) {
    v1::GetRunRequest request;
    request.set_run_id(run_id);
    v1::GetRunResponse response;
    return runs_->GetRun(Context(assertion).get(), request, &response)
        .error_code();
  }

  Assertions assertions_;
  Services services_;
  AllowAll authz_;
  std::unique_ptr<DataServices> data_;
  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<v1::RunRecords::Stub> runs_;
  std::unique_ptr<v1::Traces::Stub> traces_;
  std::unique_ptr<v1::ApprovalRecords::Stub> approvals_;
  std::unique_ptr<v1::Memories::Stub> memories_;
  std::unique_ptr<storage::PgRuns> run_store_;
  std::unique_ptr<storage::PgTraces> trace_store_;
  std::unique_ptr<storage::PgApprovals> approval_store_;
};

TEST_F(RunBindingTest, RunRecordsOfTheBoundRunOnly) {
  EXPECT_EQ(GetRun("dlg:run-R", "run-R"), grpc::StatusCode::OK);
  EXPECT_EQ(GetRun("dlg:run-R", "run-S"), grpc::StatusCode::NOT_FOUND);
  // Another user's run, even with a delegation naming that run id.
  EXPECT_EQ(GetRun("dlg:run-B", "run-B"), grpc::StatusCode::NOT_FOUND);
  // The plain assertion of the same user reaches both of its runs.
  EXPECT_EQ(GetRun("plain", "run-S"), grpc::StatusCode::OK);

  v1::UpdateRunRequest update;
  update.set_run_id("run-S");
  update.set_status(common::v1::RUN_STATUS_COMPLETED);
  v1::RunRecord updated;
  EXPECT_EQ(runs_->UpdateRun(Context("dlg:run-R").get(), update, &updated)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::AppendRunEventsRequest events;
  events.set_run_id("run-S");
  events.add_events()->set_type("tool_call");
  v1::AppendRunEventsResponse appended;
  EXPECT_EQ(runs_->AppendRunEvents(Context("dlg:run-R").get(), events,
                                   &appended)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::CreateRunRequest create;
  create.set_run_id("run-T");
  create.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
  create.set_component_id("echo");
  v1::RunRecord created;
  EXPECT_EQ(runs_->CreateRun(Context("dlg:run-R").get(), create, &created)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::ListRunsRequest list;
  v1::ListRunsResponse listed;
  ASSERT_TRUE(runs_->ListRuns(Context("dlg:run-R").get(), list, &listed).ok());
  ASSERT_EQ(listed.runs_size(), 1);
  EXPECT_EQ(listed.runs(0).run_id(), "run-R");

  // run-S is untouched.
  v1::GetRunRequest get;
  get.set_run_id("run-S");
  v1::GetRunResponse s;
  ASSERT_TRUE(runs_->GetRun(Context("plain").get(), get, &s).ok());
  EXPECT_EQ(s.run().status(), common::v1::RUN_STATUS_RUNNING);
  EXPECT_EQ(s.events_size(), 0);
}

TEST_F(RunBindingTest, TracesOfTheBoundRunOnly) {
  v1::GetTraceRequest get;
  v1::GetTraceResponse trace;
  get.set_trace_id("run-R");
  EXPECT_TRUE(traces_->GetTrace(Context("dlg:run-R").get(), get, &trace).ok());
  get.set_trace_id("run-S");
  EXPECT_EQ(
      traces_->GetTrace(Context("dlg:run-R").get(), get, &trace).error_code(),
      grpc::StatusCode::NOT_FOUND);

  v1::AppendSpansRequest append;
  v1::Span* span = append.add_spans();
  span->set_trace_id("run-S");
  span->set_span_id("run-S-model");
  span->set_parent_span_id("run-S-root");
  span->set_name("model");
  span->set_start_time_unix_nano(1700000000000000001);
  v1::AppendSpansResponse appended;
  EXPECT_EQ(traces_->AppendSpans(Context("dlg:run-R").get(), append, &appended)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(traces_->GetTrace(Context("plain").get(), get, &trace).ok());
  EXPECT_EQ(trace.spans_size(), 1);

  v1::ListTracesRequest list;
  v1::ListTracesResponse listed;
  ASSERT_TRUE(
      traces_->ListTraces(Context("dlg:run-R").get(), list, &listed).ok());
  ASSERT_EQ(listed.traces_size(), 1);
  EXPECT_EQ(listed.traces(0).trace_id(), "run-R");
}

TEST_F(RunBindingTest, ApprovalsOfTheBoundRunOnly) {
  v1::GetApprovalRequest get;
  v1::Approval approval;
  get.set_approval_id("run-R");
  EXPECT_TRUE(
      approvals_->GetApproval(Context("dlg:run-R").get(), get, &approval).ok());
  get.set_approval_id("run-S");
  EXPECT_EQ(approvals_->GetApproval(Context("dlg:run-R").get(), get, &approval)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::ResolveApprovalRequest resolve;
  resolve.set_approval_id("run-S");
  resolve.set_decision(v1::APPROVAL_DECISION_APPROVE);
  resolve.set_expected_args_sha256(kSha);
  EXPECT_EQ(approvals_->ResolveApproval(Context("dlg:run-R").get(), resolve,
                                        &approval)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(
      approvals_->GetApproval(Context("plain").get(), get, &approval).ok());
  EXPECT_EQ(approval.status(), v1::APPROVAL_STATUS_PENDING);

  v1::CreateApprovalRequest create;
  create.set_approval_id("run-S-2");
  create.set_run_id("run-S");
  create.set_tool_call_id("call-2");
  create.set_tool_name("shell");
  create.set_args_sha256(kSha);
  create.set_arguments_json("{}");
  create.set_ttl_seconds(3600);
  EXPECT_EQ(approvals_->CreateApproval(Context("dlg:run-R").get(), create,
                                       &approval)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::ListApprovalsRequest list;
  v1::ListApprovalsResponse listed;
  ASSERT_TRUE(approvals_->ListApprovals(Context("dlg:run-R").get(), list,
                                        &listed)
                  .ok());
  ASSERT_EQ(listed.approvals_size(), 1);
  EXPECT_EQ(listed.approvals(0).run_id(), "run-R");

  // Counted alike: the bound run's only, whatever run the request names.
  v1::CountApprovalsRequest count;
  v1::CountApprovalsResponse counted;
  ASSERT_TRUE(approvals_->CountApprovals(Context("plain").get(), count, &counted)
                  .ok());
  EXPECT_EQ(counted.count(), 2);
  ASSERT_TRUE(
      approvals_->CountApprovals(Context("dlg:run-R").get(), count, &counted)
          .ok());
  EXPECT_EQ(counted.count(), 1);
  count.set_run_id("run-S");
  ASSERT_TRUE(
      approvals_->CountApprovals(Context("dlg:run-R").get(), count, &counted)
          .ok());
  EXPECT_EQ(counted.count(), 0);
}

TEST_F(RunBindingTest, RecordsNotScopedToARunStayTheUsers) {
  v1::CreateMemoryRequest memory;
  memory.set_memory_id("m-1");
  memory.set_text("likes tea");
  v1::Memory created;
  EXPECT_TRUE(
      memories_->CreateMemory(Context("dlg:run-R").get(), memory, &created)
          .ok());
  EXPECT_EQ(created.user_id(), "alice");
}

TEST_F(RunBindingTest, NobodyButTheHolderPresentsADelegation) {
  v1::GetRunRequest request;
  request.set_run_id("run-R");
  v1::GetRunResponse response;
  EXPECT_EQ(runs_->GetRun(Context("dlg:run-R", /*from_holder=*/false).get(),
                          request, &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace bastion::data
