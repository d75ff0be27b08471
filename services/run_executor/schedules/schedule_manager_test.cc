// Tests the Schedules domain and the scheduler against in-memory fakes of
// their seams: owner scoping (another user's schedule is NOT_FOUND), cron
// and time zone validation, the run permission needed to schedule a
// component, the schedule grant made at creation and ended at deletion,
// firings acting only through a run delegation from that grant and checked
// by authz under the current policy, refusals recorded, audited and
// stopping the schedule, and the scheduler's claims (two replicas never
// fire one schedule twice; a missed window fires once).
#include "services/run_executor/schedules/schedule_manager.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "services/run_executor/schedules/scheduler.h"

namespace bastion::schedules {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;

// data's owner scoping in memory: rows of another tenant or user are
// NOT_FOUND, lists hold the caller's own.
class FakeScheduleRecords final : public ScheduleRecords {
 public:
  absl::StatusOr<data::v1::Schedule> Create(
      const Caller& caller,
      const data::v1::CreateScheduleRequest& request) override {
    absl::MutexLock lock(&mutex_);
    data::v1::Schedule row;
    row.set_schedule_id(request.schedule_id());
    row.set_grant_id(request.grant_id());
    row.set_component_type(request.component_type());
    row.set_component_id(request.component_id());
    row.set_cron(request.cron());
    row.set_timezone(request.timezone());
    row.set_input_json(request.input_json());
    for (const std::string& scope : caller.principal.scopes()) {
      row.add_scopes(scope);
    }
    row.set_enabled(true);
    row.set_next_run_at_unix_micros(request.next_run_at_unix_micros());
    row.set_tenant_id(caller.principal.tenant_id());
    row.set_user_id(caller.principal.subject());
    rows_[row.schedule_id()] = row;
    return row;
  }
  absl::StatusOr<data::v1::Schedule> Get(
      const Caller& caller,
      const data::v1::GetScheduleRequest& request) override {
    absl::MutexLock lock(&mutex_);
    data::v1::Schedule* row = Owned(caller, request.schedule_id());
    if (row == nullptr) return absl::NotFoundError("schedule not found");
    return *row;
  }
  absl::StatusOr<data::v1::ListSchedulesResponse> List(
      const Caller& caller, const data::v1::ListSchedulesRequest&) override {
    absl::MutexLock lock(&mutex_);
    data::v1::ListSchedulesResponse response;
    for (auto& [id, row] : rows_) {
      if (Owned(caller, id) != nullptr) *response.add_schedules() = row;
    }
    return response;
  }
  absl::StatusOr<data::v1::Schedule> Update(
      const Caller& caller,
      const data::v1::UpdateScheduleRequest& request) override {
    absl::MutexLock lock(&mutex_);
    data::v1::Schedule* row = Owned(caller, request.schedule_id());
    if (row == nullptr) return absl::NotFoundError("schedule not found");
    if (request.update_enabled()) row->set_enabled(request.enabled());
    if (request.update_cron()) {
      row->set_cron(request.cron());
      row->set_timezone(request.timezone());
      row->set_next_run_at_unix_micros(request.next_run_at_unix_micros());
    }
    if (request.update_input()) row->set_input_json(request.input_json());
    return *row;
  }
  absl::Status Delete(const Caller& caller,
                      const data::v1::DeleteScheduleRequest& request) override {
    absl::MutexLock lock(&mutex_);
    if (Owned(caller, request.schedule_id()) == nullptr) {
      return absl::NotFoundError("schedule not found");
    }
    rows_.erase(request.schedule_id());
    return absl::OkStatus();
  }

  // One claim per due, enabled, unclaimed schedule, as data's SKIP LOCKED
  // claim; `now_micros` is data's clock.
  absl::StatusOr<data::v1::ClaimDueSchedulesResponse> Claim(
      const data::v1::ClaimDueSchedulesRequest& request) override {
    absl::MutexLock lock(&mutex_);
    data::v1::ClaimDueSchedulesResponse response;
    for (auto& [id, row] : rows_) {
      if (row.enabled() && row.next_run_at_unix_micros() <= now_micros &&
          !row.grant_id().empty() && claimed_by_[id].empty() &&
          response.schedules_size() < request.limit()) {
        claimed_by_[id] = request.claimer_id();
        *response.add_schedules() = row;
      }
    }
    return response;
  }
  absl::StatusOr<data::v1::Schedule> Advance(
      const data::v1::AdvanceScheduleRequest& request) override {
    absl::MutexLock lock(&mutex_);
    auto found = rows_.find(request.schedule_id());
    if (found == rows_.end() ||
        claimed_by_[request.schedule_id()] != request.claimer_id()) {
      return absl::FailedPreconditionError("not claimed");
    }
    claimed_by_[request.schedule_id()].clear();
    found->second.set_next_run_at_unix_micros(
        request.next_run_at_unix_micros());
    if (request.disable()) found->second.set_enabled(false);
    return found->second;
  }
  // A row as stored, whoever owns it.
  data::v1::Schedule Row(const std::string& id) {
    absl::MutexLock lock(&mutex_);
    return rows_[id];
  }
  // Rewrites a row's owner, as tampering with the table would.
  void SetOwner(const std::string& id, const std::string& user_id) {
    absl::MutexLock lock(&mutex_);
    rows_[id].set_user_id(user_id);
  }
  void SetNext(const std::string& id, int64_t micros) {
    absl::MutexLock lock(&mutex_);
    rows_[id].set_next_run_at_unix_micros(micros);
  }
  std::atomic<int64_t> now_micros{0};

  size_t size() {
    absl::MutexLock lock(&mutex_);
    return rows_.size();
  }

 private:
  data::v1::Schedule* Owned(const Caller& caller, const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    // As data: a tenant admin reaches every row of its tenant.
    auto found = rows_.find(id);
    if (found == rows_.end() ||
        found->second.tenant_id() != caller.principal.tenant_id() ||
        (found->second.user_id() != caller.principal.subject() &&
         caller.admin_level != AdminLevel::kTenant)) {
      return nullptr;
    }
    return &found->second;
  }

  absl::Mutex mutex_;
  std::map<std::string, std::string> claimed_by_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, data::v1::Schedule> rows_ ABSL_GUARDED_BY(mutex_);
};

// Allows exactly the (subject, resource:id:action) pairs it is given;
// `undecided` answers UNAVAILABLE. Records the delegation of each check.
class FakeAuthorizer final : public Authorizer {
 public:
  absl::StatusOr<AuthzDecision> Check(
      const Caller& caller, const PermissionRequest& request) override {
    absl::MutexLock lock(&mutex_);
    if (undecided_) return absl::UnavailableError("authz unavailable");
    checked_delegations_.push_back(caller.delegation_id);
    AuthzDecision decision;
    decision.allowed = allowed_.count(Key(caller.principal.subject(),
                                          request.resource, request.resource_id,
                                          request.action)) > 0;
    return decision;
  }
  void Allow(const std::string& subject, const std::string& resource,
             const std::string& id, const std::string& action) {
    absl::MutexLock lock(&mutex_);
    allowed_.insert(Key(subject, resource, id, action));
  }
  void Withdraw(const std::string& subject, const std::string& resource,
                const std::string& id, const std::string& action) {
    absl::MutexLock lock(&mutex_);
    allowed_.erase(Key(subject, resource, id, action));
  }
  void SetUndecided(bool undecided) {
    absl::MutexLock lock(&mutex_);
    undecided_ = undecided;
  }
  std::vector<std::string> checked_delegations() {
    absl::MutexLock lock(&mutex_);
    return checked_delegations_;
  }

 private:
  static std::string Key(const std::string& subject, const std::string& resource,
                         const std::string& id, const std::string& action) {
    return absl::StrCat(subject, "|", resource, ":", id, ":", action);
  }
  absl::Mutex mutex_;
  std::set<std::string> allowed_ ABSL_GUARDED_BY(mutex_);
  bool undecided_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::string> checked_delegations_ ABSL_GUARDED_BY(mutex_);
};

// authn's Delegations for schedules: grants "sgr_<n>", exchanges a live
// grant for a delegation whose assertion names the run ("delegation-of:
// <grant>:<run>"); ended grants answer FAILED_PRECONDITION.
class FakeAuthn final : public runs::DelegationClient {
 public:
  absl::StatusOr<authn::v1::DelegationGrant> ExchangeForRun(
      const Caller&, const std::string&) override {
    return absl::FailedPreconditionError("not used by schedules");
  }
  absl::StatusOr<authn::v1::DelegationGrant> Renew(
      const std::string&) override {
    return absl::FailedPreconditionError("not used here");
  }
  absl::Status End(const std::string& delegation_id) override {
    absl::MutexLock lock(&mutex_);
    ended_delegations_.push_back(delegation_id);
    return absl::OkStatus();
  }
  absl::StatusOr<authn::v1::ScheduleGrant> ExchangeForSchedule(
      const Caller& owner, const std::string& schedule_id) override {
    absl::MutexLock lock(&mutex_);
    if (!unavailable_.ok()) return unavailable_;
    authn::v1::ScheduleGrant grant;
    grant.set_grant_id(absl::StrFormat("sgr_%032x", ++grants_));
    owners_[grant.grant_id()] = owner.principal;
    schedules_[grant.grant_id()] = schedule_id;
    return grant;
  }
  absl::StatusOr<authn::v1::DelegationGrant> ExchangeScheduleForRun(
      const std::string& grant_id, const std::string& run_id) override {
    absl::MutexLock lock(&mutex_);
    if (!unavailable_.ok()) return unavailable_;
    run_exchanges_.push_back(grant_id + " for " + run_id);
    if (!owners_.count(grant_id) || ended_grants_.count(grant_id)) {
      return absl::FailedPreconditionError("the schedule grant ended");
    }
    authn::v1::DelegationGrant grant;
    grant.set_delegation_id(absl::StrFormat("dlg_%032x", ++delegations_));
    grant.set_delegation(absl::StrCat("delegation-of:", grant_id, ":", run_id));
    grant.set_expires_at_unix(absl::ToUnixSeconds(absl::Now()) + 300);
    return grant;
  }
  absl::Status EndScheduleGrant(const std::string& grant_id) override {
    absl::MutexLock lock(&mutex_);
    ended_grants_.insert(grant_id);
    return absl::OkStatus();
  }

  // The grant's principal (for the fake verifier).
  common::v1::Principal OwnerOf(const std::string& grant_id) {
    absl::MutexLock lock(&mutex_);
    return owners_[grant_id];
  }
  void SetUnavailable(bool unavailable) {
    absl::MutexLock lock(&mutex_);
    unavailable_ = unavailable ? absl::UnavailableError("authn unavailable")
                               : absl::OkStatus();
  }
  bool Ended(const std::string& grant_id) {
    absl::MutexLock lock(&mutex_);
    return ended_grants_.count(grant_id) > 0;
  }
  int live_grants() {
    absl::MutexLock lock(&mutex_);
    return static_cast<int>(owners_.size() - ended_grants_.size());
  }
  std::vector<std::string> run_exchanges() {
    absl::MutexLock lock(&mutex_);
    return run_exchanges_;
  }
  std::vector<std::string> ended_delegations() {
    absl::MutexLock lock(&mutex_);
    return ended_delegations_;
  }

 private:
  absl::Mutex mutex_;
  int grants_ ABSL_GUARDED_BY(mutex_) = 0;
  int delegations_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::Status unavailable_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, common::v1::Principal> owners_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, std::string> schedules_ ABSL_GUARDED_BY(mutex_);
  std::set<std::string> ended_grants_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> run_exchanges_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> ended_delegations_ ABSL_GUARDED_BY(mutex_);
};

// Verifies FakeAuthn's delegations when presented by run-executor.
class FakeAssertions final : public AssertionAuthenticator {
 public:
  explicit FakeAssertions(FakeAuthn* authn) : authn_(authn) {}
  absl::StatusOr<common::v1::Principal> Verify(absl::string_view) override {
    return absl::UnauthenticatedError("a delegation needs its holder");
  }
  absl::StatusOr<VerifiedAssertion> VerifyPresentedBy(
      absl::string_view assertion, absl::string_view holder) override {
    std::vector<std::string> parts = absl::StrSplit(assertion, ':');
    if (parts.size() != 3 || parts[0] != "delegation-of" ||
        holder != "service:run_executor") {
      return absl::UnauthenticatedError("not a delegation held here");
    }
    return VerifiedAssertion{authn_->OwnerOf(parts[1]), "dlg", parts[2]};
  }

 private:
  FakeAuthn* const authn_;
};

// Records each scheduled run: its id, the assertion it acts with, and the
// refusal it was recorded with.
class FakeScheduledRuns final : public ScheduledRuns {
 public:
  struct Started {
    std::string run_id;
    std::string assertion;
    runs::RunManager::StartRequest request;
    absl::Status refused;
  };
  absl::StatusOr<std::string> StartDelegated(
      std::unique_ptr<runs::RunDelegation> delegation,
      const std::string& run_id, const runs::RunManager::StartRequest& request,
      absl::Status refused) override {
    absl::MutexLock lock(&mutex_);
    started_.push_back(
        {run_id, delegation->Current().assertion, request, refused});
    delegation->End();
    if (!refused.ok()) return refused;
    return run_id;
  }
  std::vector<Started> started() {
    absl::MutexLock lock(&mutex_);
    return started_;
  }

 private:
  absl::Mutex mutex_;
  std::vector<Started> started_ ABSL_GUARDED_BY(mutex_);
};

class RecordingAudit final : public AuditSink {
 public:
  void Record(AuditRecord record) override {
    absl::MutexLock lock(&mutex_);
    records_.push_back(std::move(record));
  }
  std::vector<AuditRecord> records() {
    absl::MutexLock lock(&mutex_);
    return records_;
  }

 private:
  absl::Mutex mutex_;
  std::vector<AuditRecord> records_ ABSL_GUARDED_BY(mutex_);
};

Caller User(const std::string& tenant, const std::string& subject,
            std::vector<std::string> scopes) {
  Caller caller;
  caller.principal.set_tenant_id(tenant);
  caller.principal.set_subject(subject);
  for (const std::string& scope : scopes) caller.principal.add_scopes(scope);
  caller.assertion = "assertion-of-" + subject;
  return caller;
}

runs::v1::Schedule ScheduleOf(const std::string& text) {
  runs::v1::Schedule schedule;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &schedule));
  return schedule;
}

runs::AgentRegistry TestRegistry() {
  runs::v1::Registry specs;
  google::protobuf::TextFormat::ParseFromString(
      R"pb(agents { agent_id: "echo" model: "scripted:echo" }
           agents { agent_id: "secret" model: "scripted:echo" })pb",
      &specs);
  return *runs::AgentRegistry::Create(specs);
}

class ScheduleManagerTest : public ::testing::Test {
 protected:
  ScheduleManagerTest()
      : registry_(TestRegistry()),
        clock_(absl::FromCivil(absl::CivilSecond(2026, 1, 1, 10, 0, 0),
                               absl::UTCTimeZone())),
        assertions_(&authn_),
        manager_(Parts()) {
    authz_.Allow("alice", "agents", "echo", "run");
    authz_.Allow("bob", "agents", "echo", "run");
  }

  ScheduleParts Parts() {
    ScheduleParts parts;
    parts.registry = &registry_;
    parts.authorizer = &authz_;
    parts.assertions = &assertions_;
    parts.holder = "service:run_executor";
    parts.records = &records_;
    parts.delegations = &authn_;
    parts.runs = &runs_;
    parts.audit = &audit_;
    parts.clock = &clock_;
    return parts;
  }

  absl::StatusOr<runs::v1::Schedule> CreateEcho(const Caller& caller) {
    return manager_.Create(caller, ScheduleOf(R"pb(
      cron: "0 9 * * *" timezone: "Europe/Paris"
      component_type: COMPONENT_TYPE_AGENT component_id: "echo"
      input: "daily report" enabled: true
    )pb"));
  }

  runs::AgentRegistry registry_;
  FakeClock clock_;
  FakeAuthorizer authz_;
  FakeScheduleRecords records_;
  FakeAuthn authn_;
  FakeAssertions assertions_;
  FakeScheduledRuns runs_;
  RecordingAudit audit_;
  ScheduleManager manager_;
  const Caller alice_ = User("t1", "alice",
                             {"schedules:write", "schedules:read",
                              "schedules:run", "agents:echo:run"});
  const Caller bob_ = User("t1", "bob", {"schedules:write", "schedules:read",
                                         "schedules:run", "agents:echo:run"});
};

TEST_F(ScheduleManagerTest, CreatesForTheCallerWithTheNextFiringInItsZone) {
  absl::StatusOr<runs::v1::Schedule> created = CreateEcho(alice_);
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->user_id(), "alice");
  EXPECT_EQ(created->tenant_id(), "t1");
  EXPECT_EQ(created->timezone(), "Europe/Paris");
  EXPECT_EQ(created->input(), "daily report");
  EXPECT_TRUE(created->enabled());
  // 09:00 in Paris (UTC+1 in winter) after 10:00 UTC on Jan 1: Jan 2 08:00Z.
  EXPECT_EQ(created->next_run_at_unix(),
            absl::ToUnixSeconds(absl::FromCivil(
                absl::CivilSecond(2026, 1, 2, 8, 0, 0), absl::UTCTimeZone())));
  absl::StatusOr<runs::v1::Schedule> got =
      manager_.Get(alice_, created->schedule_id());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->DebugString(), created->DebugString());
}

TEST_F(ScheduleManagerTest, EmptyZoneIsUtcAndDisabledStaysDisabled) {
  absl::StatusOr<runs::v1::Schedule> created =
      manager_.Create(alice_, ScheduleOf(R"pb(
        cron: "*/15 * * * *" component_type: COMPONENT_TYPE_AGENT
        component_id: "echo" enabled: false
      )pb"));
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->timezone(), "UTC");
  EXPECT_FALSE(created->enabled());
  EXPECT_EQ(created->next_run_at_unix(),
            absl::ToUnixSeconds(clock_.Now() + absl::Minutes(15)));
}

TEST_F(ScheduleManagerTest, InvalidCronOrZoneIsInvalidArgumentNamingIt) {
  auto create = [&](const std::string& cron, const std::string& zone) {
    runs::v1::Schedule schedule = ScheduleOf(
        R"pb(component_type: COMPONENT_TYPE_AGENT component_id: "echo")pb");
    schedule.set_cron(cron);
    schedule.set_timezone(zone);
    return manager_.Create(alice_, schedule);
  };
  EXPECT_THAT(create("61 * * * *", "UTC"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(create("61 * * * *", "UTC").status().message(),
              HasSubstr("minute"));
  EXPECT_THAT(create("* * * *", "UTC").status().message(),
              HasSubstr("4 fields"));
  EXPECT_THAT(create("0 0 30 2 *", "UTC").status().message(),
              HasSubstr("never fires"));
  EXPECT_THAT(create("0 9 * * *", "Mars/Olympus_Mons"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(create("0 9 * * *", "Mars/Olympus_Mons").status().message(),
              HasSubstr("Mars/Olympus_Mons"));
  EXPECT_THAT(create("0 9 * * *", "../../etc/passwd"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(records_.size(), 0u);
}

TEST_F(ScheduleManagerTest, AComponentTheCallerMayNotRunIsPermissionDenied) {
  absl::StatusOr<runs::v1::Schedule> created =
      manager_.Create(alice_, ScheduleOf(R"pb(
        cron: "0 9 * * *" component_type: COMPONENT_TYPE_AGENT
        component_id: "secret"
      )pb"));
  EXPECT_THAT(created, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(created.status().message(), HasSubstr("agents:secret"));
  EXPECT_THAT(manager_.Create(alice_, ScheduleOf(R"pb(
                cron: "0 9 * * *" component_type: COMPONENT_TYPE_AGENT
                component_id: "missing"
              )pb")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(manager_.Create(alice_, ScheduleOf(R"pb(
                cron: "0 9 * * *" component_id: "echo"
              )pb")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  authz_.SetUndecided(true);
  EXPECT_THAT(CreateEcho(alice_), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(records_.size(), 0u);
}

TEST_F(ScheduleManagerTest, AnotherUsersScheduleIsNotFound) {
  absl::StatusOr<runs::v1::Schedule> mine = CreateEcho(alice_);
  ASSERT_THAT(mine, IsOk());
  ASSERT_THAT(CreateEcho(bob_), IsOk());
  const std::string id = mine->schedule_id();
  EXPECT_THAT(manager_.Get(bob_, id), StatusIs(absl::StatusCode::kNotFound));
  runs::v1::UpdateScheduleRequest update;
  update.set_schedule_id(id);
  update.mutable_schedule()->set_enabled(false);
  EXPECT_THAT(manager_.Update(bob_, update),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(manager_.Delete(bob_, id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(manager_.Trigger(bob_, id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(authn_.run_exchanges().empty());
  absl::StatusOr<runs::v1::ListSchedulesResponse> listed =
      manager_.List(bob_, {});
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->schedules_size(), 1);
  EXPECT_EQ(listed->schedules(0).user_id(), "bob");
  EXPECT_THAT(manager_.Get(alice_, id), IsOk());
  // A tenant admin, whom data shows every row of the tenant, neither.
  Caller admin = User("t1", "carol", {"agent_os:admin"});
  admin.admin_level = AdminLevel::kTenant;
  EXPECT_THAT(manager_.Get(admin, id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(manager_.Update(admin, update),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(manager_.Trigger(admin, id),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(manager_.Delete(admin, id),
              StatusIs(absl::StatusCode::kNotFound));
  listed = manager_.List(admin, {});
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->schedules_size(), 0);
  EXPECT_TRUE(authn_.run_exchanges().empty());
  EXPECT_THAT(manager_.Get(alice_, id), IsOk());
}

TEST_F(ScheduleManagerTest, UpdateTakesCronInputAndEnabledFromNow) {
  absl::StatusOr<runs::v1::Schedule> created = CreateEcho(alice_);
  ASSERT_THAT(created, IsOk());
  clock_.Advance(absl::Hours(48));
  runs::v1::UpdateScheduleRequest update;
  update.set_schedule_id(created->schedule_id());
  update.mutable_schedule()->set_input("weekly");
  update.mutable_schedule()->set_enabled(true);
  // No cron: the stored one, its next firing counted from now.
  absl::StatusOr<runs::v1::Schedule> updated = manager_.Update(alice_, update);
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->cron(), "0 9 * * *");
  EXPECT_EQ(updated->input(), "weekly");
  EXPECT_EQ(updated->next_run_at_unix(),
            absl::ToUnixSeconds(absl::FromCivil(
                absl::CivilSecond(2026, 1, 4, 8, 0, 0), absl::UTCTimeZone())));
  update.mutable_schedule()->set_cron("30 6 * * MON");
  update.mutable_schedule()->set_timezone("UTC");
  update.mutable_schedule()->set_enabled(false);
  updated = manager_.Update(alice_, update);
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->cron(), "30 6 * * MON");
  EXPECT_EQ(updated->timezone(), "UTC");
  EXPECT_FALSE(updated->enabled());
  // Jan 3 2026 10:00Z is a Saturday: next Monday 06:30Z is Jan 5.
  EXPECT_EQ(updated->next_run_at_unix(),
            absl::ToUnixSeconds(absl::FromCivil(
                absl::CivilSecond(2026, 1, 5, 6, 30, 0), absl::UTCTimeZone())));
  update.mutable_schedule()->set_cron("0 25 * * *");
  EXPECT_THAT(manager_.Update(alice_, update),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(manager_.Delete(alice_, created->schedule_id()), IsOk());
  EXPECT_THAT(manager_.Get(alice_, created->schedule_id()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ScheduleManagerTest, CreatingMakesAGrantAndDeletingEndsIt) {
  absl::StatusOr<runs::v1::Schedule> created = CreateEcho(alice_);
  ASSERT_THAT(created, IsOk());
  const data::v1::Schedule row = records_.Row(created->schedule_id());
  EXPECT_EQ(row.grant_id().rfind("sgr_", 0), 0u);
  EXPECT_EQ(authn_.OwnerOf(row.grant_id()).subject(), "alice");
  EXPECT_EQ(authn_.live_grants(), 1);
  ASSERT_THAT(manager_.Delete(alice_, created->schedule_id()), IsOk());
  EXPECT_TRUE(authn_.Ended(row.grant_id()));
  EXPECT_EQ(authn_.live_grants(), 0);
  // No grant while authn cannot make one, and no schedule without one.
  authn_.SetUnavailable(true);
  EXPECT_THAT(CreateEcho(alice_), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(records_.size(), 0u);
}

TEST_F(ScheduleManagerTest, TriggerRunsThroughADelegationOfTheGrant) {
  absl::StatusOr<runs::v1::Schedule> created = CreateEcho(alice_);
  ASSERT_THAT(created, IsOk());
  const std::string grant = records_.Row(created->schedule_id()).grant_id();
  absl::StatusOr<std::string> run_id =
      manager_.Trigger(alice_, created->schedule_id());
  ASSERT_THAT(run_id, IsOk());
  const std::vector<FakeScheduledRuns::Started> started = runs_.started();
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].run_id, *run_id);
  // The run acts with the delegation of its own run id, never with the
  // trigger's or any service's assertion.
  EXPECT_EQ(started[0].assertion,
            absl::StrCat("delegation-of:", grant, ":", *run_id));
  EXPECT_EQ(started[0].request.component_id, "echo");
  EXPECT_EQ(started[0].request.input, "daily report");
  EXPECT_THAT(started[0].refused, IsOk());
  EXPECT_THAT(authn_.run_exchanges(),
              ::testing::ElementsAre(grant + " for " + *run_id));
  EXPECT_TRUE(audit_.records().empty());
}

TEST_F(ScheduleManagerTest, APermissionWithdrawnFailsTheRunAuditsAndStops) {
  absl::StatusOr<runs::v1::Schedule> created = CreateEcho(alice_);
  ASSERT_THAT(created, IsOk());
  authz_.Withdraw("alice", "agents", "echo", "run");
  absl::StatusOr<std::string> run_id =
      manager_.Trigger(alice_, created->schedule_id());
  EXPECT_THAT(run_id, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(run_id.status().message(), HasSubstr("agents:echo"));
  EXPECT_THAT(run_id.status().message(), HasSubstr(created->schedule_id()));
  // A failed run says why; the schedule is disabled; the refusal audited.
  const std::vector<FakeScheduledRuns::Started> started = runs_.started();
  ASSERT_EQ(started.size(), 1u);
  EXPECT_THAT(started[0].refused,
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_FALSE(records_.Row(created->schedule_id()).enabled());
  const std::vector<AuditRecord> audited = audit_.records();
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].action, "schedules.refused");
  EXPECT_EQ(audited[0].user_id, "alice");
  EXPECT_EQ(audited[0].resource_id, created->schedule_id());
}

TEST_F(ScheduleManagerTest, AnEndedGrantMakesNoRunAndStopsTheSchedule) {
  absl::StatusOr<runs::v1::Schedule> created = CreateEcho(alice_);
  ASSERT_THAT(created, IsOk());
  // The API key the schedule was created with was revoked: authn ended it.
  ASSERT_THAT(authn_.EndScheduleGrant(
                  records_.Row(created->schedule_id()).grant_id()),
              IsOk());
  EXPECT_THAT(manager_.Trigger(alice_, created->schedule_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(runs_.started().empty());
  EXPECT_FALSE(records_.Row(created->schedule_id()).enabled());
  ASSERT_EQ(audit_.records().size(), 1u);
}

TEST_F(ScheduleManagerTest, NoAnswerFromAuthnOrAuthzMakesNoRunAndKeepsIt) {
  absl::StatusOr<runs::v1::Schedule> created = CreateEcho(alice_);
  ASSERT_THAT(created, IsOk());
  authn_.SetUnavailable(true);
  EXPECT_THAT(manager_.Trigger(alice_, created->schedule_id()),
              StatusIs(absl::StatusCode::kUnavailable));
  authn_.SetUnavailable(false);
  authz_.SetUndecided(true);
  EXPECT_THAT(manager_.Trigger(alice_, created->schedule_id()),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(runs_.started().empty());
  // The delegation exchanged for the undecided firing was ended.
  EXPECT_EQ(authn_.ended_delegations().size(), 1u);
  EXPECT_TRUE(records_.Row(created->schedule_id()).enabled());
  EXPECT_TRUE(audit_.records().empty());
}

TEST_F(ScheduleManagerTest, ADelegationForAnyoneButTheRowsOwnerMakesNoRun) {
  absl::StatusOr<runs::v1::Schedule> created = CreateEcho(alice_);
  ASSERT_THAT(created, IsOk());
  // The row now names bob while its grant acts for alice: no run as
  // either, and the delegation is ended.
  records_.SetOwner(created->schedule_id(), "bob");
  data::v1::Schedule row = records_.Row(created->schedule_id());
  const Firing firing = manager_.Fire(row);
  EXPECT_THAT(firing.status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(firing.run_id.empty());
  EXPECT_TRUE(runs_.started().empty());
  EXPECT_EQ(authn_.ended_delegations().size(), 1u);
}

TEST_F(ScheduleManagerTest, TwoSchedulersFireEachDueScheduleOnceAndMissedOnce) {
  std::vector<std::string> ids;
  for (const Caller* caller : {&alice_, &bob_, &alice_}) {
    absl::StatusOr<runs::v1::Schedule> created = CreateEcho(*caller);
    ASSERT_THAT(created, IsOk());
    ids.push_back(created->schedule_id());
  }
  // The replicas were away for three days: every daily 09:00 Paris firing
  // since was missed.
  clock_.Advance(absl::Hours(72));
  records_.now_micros = absl::ToUnixMicros(clock_.Now());
  SchedulerOptions options;
  options.claimer_id = "replica-1";
  Scheduler first(&manager_, &records_, options);
  options.claimer_id = "replica-2";
  Scheduler second(&manager_, &records_, options);
  std::atomic<int> handled{0};
  std::thread a([&] { handled += first.RunOnce().value_or(-100); });
  std::thread b([&] { handled += second.RunOnce().value_or(-100); });
  a.join();
  b.join();
  EXPECT_EQ(handled.load(), 3);
  // Nothing is due any more: each schedule fired exactly once, and its next
  // firing is after now.
  EXPECT_EQ(first.RunOnce().value_or(-1), 0);
  EXPECT_EQ(second.RunOnce().value_or(-1), 0);
  std::set<std::string> fired_runs;
  for (const FakeScheduledRuns::Started& started : runs_.started()) {
    fired_runs.insert(started.run_id);
  }
  EXPECT_EQ(fired_runs.size(), 3u);
  EXPECT_EQ(runs_.started().size(), 3u);
  for (const std::string& id : ids) {
    EXPECT_GT(records_.Row(id).next_run_at_unix_micros(),
              records_.now_micros.load());
    EXPECT_TRUE(records_.Row(id).enabled());
  }
}

TEST_F(ScheduleManagerTest, TheSchedulerDefersWhenAuthnIsDownAndStopsARefusal) {
  absl::StatusOr<runs::v1::Schedule> kept = CreateEcho(alice_);
  ASSERT_THAT(kept, IsOk());
  records_.now_micros = absl::ToUnixMicros(clock_.Now() + absl::Hours(24));
  SchedulerOptions options;
  options.claimer_id = "replica-1";
  Scheduler scheduler(&manager_, &records_, options);
  authn_.SetUnavailable(true);
  EXPECT_EQ(scheduler.RunOnce().value_or(-1), 0);
  // Still claimed by this replica (another takes it after the lease), and
  // not advanced.
  const int64_t due = records_.Row(kept->schedule_id()).next_run_at_unix_micros();
  EXPECT_LE(due, records_.now_micros.load());
  EXPECT_EQ(scheduler.RunOnce().value_or(-1), 0);
  EXPECT_TRUE(runs_.started().empty());

  // A refusal advances and disables it.
  authn_.SetUnavailable(false);
  absl::StatusOr<runs::v1::Schedule> refused = CreateEcho(bob_);
  ASSERT_THAT(refused, IsOk());
  authz_.Withdraw("bob", "agents", "echo", "run");
  EXPECT_EQ(scheduler.RunOnce().value_or(-1), 1);
  EXPECT_FALSE(records_.Row(refused->schedule_id()).enabled());
}

}  // namespace
}  // namespace bastion::schedules
