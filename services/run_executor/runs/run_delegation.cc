#include "services/run_executor/runs/run_delegation.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bastion/authn/v1/authn.grpc.pb.h"
#include "common/auth/service_identity.h"
#include "common/log/log.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"

namespace bastion::runs {
namespace {

// Longest one call to authn may take.
constexpr absl::Duration kAuthnDeadline = absl::Seconds(10);

std::string CodeName(absl::StatusCode code) {
  return absl::StatusCodeToString(code);
}

class GrpcDelegationClient final : public DelegationClient {
 public:
  explicit GrpcDelegationClient(std::shared_ptr<grpc::Channel> channel)
      : stub_(authn::v1::Delegations::NewStub(std::move(channel))) {}

  absl::StatusOr<authn::v1::DelegationGrant> ExchangeForRun(
      const Caller& owner, const std::string& run_id) override {
    grpc::ClientContext context;
    absl::Status forwarded = ForwardCaller(owner, &context);
    if (!forwarded.ok()) return forwarded;
    authn::v1::ExchangeForRunRequest request;
    request.set_run_id(run_id);
    authn::v1::DelegationGrant grant;
    const grpc::Status answer =
        stub_->ExchangeForRun(Deadline(&context), request, &grant);
    return Answer("ExchangeForRun", answer, std::move(grant));
  }

  absl::StatusOr<authn::v1::DelegationGrant> Renew(
      const std::string& delegation_id) override {
    grpc::ClientContext context;
    authn::v1::RenewDelegationRequest request;
    request.set_delegation_id(delegation_id);
    authn::v1::DelegationGrant grant;
    const grpc::Status answer =
        stub_->RenewDelegation(Deadline(&context), request, &grant);
    return Answer("RenewDelegation", answer, std::move(grant));
  }

  absl::Status End(const std::string& delegation_id) override {
    grpc::ClientContext context;
    authn::v1::EndDelegationRequest request;
    request.set_delegation_id(delegation_id);
    authn::v1::EndDelegationResponse response;
    const grpc::Status answer =
        stub_->EndDelegation(Deadline(&context), request, &response);
    return Answer("EndDelegation", answer, std::move(response)).status();
  }

  absl::StatusOr<std::vector<std::string>> EndMany(
      const std::vector<std::string>& delegation_ids) override {
    grpc::ClientContext context;
    authn::v1::EndDelegationsRequest request;
    for (const std::string& id : delegation_ids) request.add_delegation_ids(id);
    authn::v1::EndDelegationsResponse response;
    const grpc::Status answer =
        stub_->EndDelegations(Deadline(&context), request, &response);
    ASSIGN_OR_RETURN(response,
                     Answer("EndDelegations", answer, std::move(response)));
    return std::vector<std::string>(response.ended_delegation_ids().begin(),
                                    response.ended_delegation_ids().end());
  }

  absl::StatusOr<authn::v1::ScheduleGrant> ExchangeForSchedule(
      const Caller& owner, const std::string& schedule_id) override {
    grpc::ClientContext context;
    absl::Status forwarded = ForwardCaller(owner, &context);
    if (!forwarded.ok()) return forwarded;
    authn::v1::ExchangeForScheduleRequest request;
    request.set_schedule_id(schedule_id);
    authn::v1::ScheduleGrant grant;
    const grpc::Status answer =
        stub_->ExchangeForSchedule(Deadline(&context), request, &grant);
    return Answer("ExchangeForSchedule", answer, std::move(grant));
  }

  absl::StatusOr<authn::v1::DelegationGrant> ExchangeScheduleForRun(
      const std::string& grant_id, const std::string& run_id) override {
    grpc::ClientContext context;
    authn::v1::ExchangeScheduleForRunRequest request;
    request.set_grant_id(grant_id);
    request.set_run_id(run_id);
    authn::v1::DelegationGrant grant;
    const grpc::Status answer =
        stub_->ExchangeScheduleForRun(Deadline(&context), request, &grant);
    return Answer("ExchangeScheduleForRun", answer, std::move(grant));
  }

  absl::Status EndScheduleGrant(const std::string& grant_id) override {
    grpc::ClientContext context;
    authn::v1::EndScheduleGrantRequest request;
    request.set_grant_id(grant_id);
    authn::v1::EndScheduleGrantResponse response;
    const grpc::Status answer =
        stub_->EndScheduleGrant(Deadline(&context), request, &response);
    return Answer("EndScheduleGrant", answer, std::move(response)).status();
  }

 private:
  static grpc::ClientContext* Deadline(grpc::ClientContext* context) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + kAuthnDeadline));
    return context;
  }

  // authn's refusals pass through; anything that is not an answer becomes
  // UNAVAILABLE (logged, never shown raw).
  template <typename Response>
  static absl::StatusOr<Response> Answer(const char* method,
                                         const grpc::Status& answer,
                                         Response response) {
    if (answer.ok()) return response;
    switch (answer.error_code()) {
      case grpc::StatusCode::NOT_FOUND:
      case grpc::StatusCode::INVALID_ARGUMENT:
      case grpc::StatusCode::FAILED_PRECONDITION:
      case grpc::StatusCode::PERMISSION_DENIED:
      case grpc::StatusCode::UNAUTHENTICATED:
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        return FromGrpcStatus(answer);
      default:
        Log(LogLevel::kWarning, "authn_call_failed",
            {{"method", method},
             {"code",
              CodeName(static_cast<absl::StatusCode>(answer.error_code()))},
             {"error", answer.error_message()}});
        return absl::UnavailableError("authn unavailable");
    }
  }

  std::unique_ptr<authn::v1::Delegations::Stub> stub_;
};

// A refusal that no retry changes.
bool IsFinal(absl::StatusCode code) {
  return code == absl::StatusCode::kFailedPrecondition ||
         code == absl::StatusCode::kNotFound ||
         code == absl::StatusCode::kPermissionDenied;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> DelegationClient::EndMany(
    const std::vector<std::string>& delegation_ids) {
  std::vector<std::string> ended;
  for (const std::string& id : delegation_ids) {
    absl::Status one = End(id);
    if (absl::IsNotFound(one)) continue;
    if (!one.ok()) return one;
    ended.push_back(id);
  }
  return ended;
}

std::unique_ptr<DelegationClient> AuthnDelegationClient(
    std::shared_ptr<grpc::Channel> channel) {
  return std::make_unique<GrpcDelegationClient>(std::move(channel));
}

absl::StatusOr<std::unique_ptr<RunDelegation>> RunDelegation::Exchange(
    DelegationClient* client, const Caller& owner, const std::string& run_id,
    absl::Duration check_interval, const Clock* clock) {
  absl::StatusOr<authn::v1::DelegationGrant> grant =
      client->ExchangeForRun(owner, run_id);
  if (!grant.ok()) return grant.status();
  return FromGrant(client, owner.principal, *grant, check_interval, clock);
}

absl::StatusOr<std::unique_ptr<RunDelegation>> RunDelegation::FromGrant(
    DelegationClient* client, const common::v1::Principal& owner,
    const authn::v1::DelegationGrant& grant, absl::Duration check_interval,
    const Clock* clock) {
  if (grant.delegation_id().empty() || grant.delegation().empty()) {
    return absl::UnavailableError("authn answered an empty delegation");
  }
  return std::unique_ptr<RunDelegation>(
      new RunDelegation(client, owner, grant, check_interval, clock));
}

RunDelegation::RunDelegation(DelegationClient* client,
                             const common::v1::Principal& owner,
                             const authn::v1::DelegationGrant& grant,
                             absl::Duration check_interval, const Clock* clock)
    : client_(client),
      id_(grant.delegation_id()),
      check_interval_(check_interval),
      clock_(clock) {
  // Only the principal: what authz decided for the starting call is no
  // part of the run's authority.
  caller_.principal = owner;
  Adopt(grant, clock_->Now());
}

void RunDelegation::Adopt(const authn::v1::DelegationGrant& grant,
                          absl::Time now) {
  std::lock_guard<std::mutex> lock(mutex_);
  caller_.assertion = grant.delegation();
  issued_at_ = now;
  expires_at_ = absl::FromUnixSeconds(grant.expires_at_unix());
  confirmed_at_ = now;
}

Caller RunDelegation::Current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return caller_;
}

absl::Status RunDelegation::RenewIfDue() {
  std::unique_lock<std::mutex> renewing(renewing_, std::try_to_lock);
  const absl::Time now = clock_->Now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failed_.ok()) return failed_;
    if (!renewing.owns_lock()) return absl::OkStatus();
    const bool little_left = now >= expires_at_ - (expires_at_ - issued_at_) / 3;
    const bool unconfirmed = now - confirmed_at_ >= check_interval_;
    if ((!little_left && !unconfirmed) || now < next_attempt_) {
      return absl::OkStatus();
    }
  }
  absl::StatusOr<authn::v1::DelegationGrant> grant = client_->Renew(id_);
  if (grant.ok() && !grant->delegation().empty()) {
    Adopt(*grant, now);
    return absl::OkStatus();
  }
  const absl::Status refused =
      grant.ok() ? absl::UnavailableError("authn answered an empty delegation")
                 : grant.status();
  std::lock_guard<std::mutex> lock(mutex_);
  if (IsFinal(refused.code())) {
    // authn's messages name no secret; the id says which delegation.
    Log(LogLevel::kWarning, "run_delegation_refused",
        {{"delegation_id", id_},
         {"code", CodeName(refused.code())},
         {"error", std::string(refused.message())}});
    failed_ = absl::FailedPreconditionError(absl::StrCat(
        "the run can no longer act for its user: ", refused.message()));
    return failed_;
  }
  if (now >= expires_at_) {
    Log(LogLevel::kWarning, "run_delegation_expired",
        {{"delegation_id", id_}, {"code", CodeName(refused.code())}});
    failed_ = absl::UnavailableError(
        "the run can no longer act for its user: its credential expired "
        "while authn could not be reached");
    return failed_;
  }
  Log(LogLevel::kInfo, "run_delegation_renewal_retried",
      {{"delegation_id", id_}, {"code", CodeName(refused.code())}});
  next_attempt_ = now + std::min(kRetryInterval, check_interval_);
  return absl::OkStatus();
}

void RunDelegation::End() {
  absl::Status ended = client_->End(id_);
  if (!ended.ok()) {
    Log(LogLevel::kWarning, "run_delegation_not_ended",
        {{"delegation_id", id_}, {"code", CodeName(ended.code())}});
  }
}

}  // namespace bastion::runs
