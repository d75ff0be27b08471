// The seam between the schedules and data's ScheduleRecords. The owner's
// calls carry its forwarded assertion (data scopes each row to that owner,
// so another user's schedule answers NOT_FOUND exactly as a missing one);
// the scheduler's Claim and Advance are this service's own calls (no user;
// data grants them to run-executor alone). gRPC to data in a deployment
// (DataChannelScheduleRecords); an in-memory fake stands in for tests.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULE_RECORDS_H_
#define BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULE_RECORDS_H_

#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bastion/data/v1/data.pb.h"
#include "common/auth/caller.h"

namespace bastion::schedules {

// Thread-safe. Errors are data's answers as absl::Status; UNAVAILABLE when
// data cannot be reached.
class ScheduleRecords {
 public:
  virtual ~ScheduleRecords() = default;
  virtual absl::StatusOr<data::v1::Schedule> Create(
      const Caller& caller, const data::v1::CreateScheduleRequest& request) = 0;
  virtual absl::StatusOr<data::v1::Schedule> Get(
      const Caller& caller, const data::v1::GetScheduleRequest& request) = 0;
  virtual absl::StatusOr<data::v1::ListSchedulesResponse> List(
      const Caller& caller, const data::v1::ListSchedulesRequest& request) = 0;
  virtual absl::StatusOr<data::v1::Schedule> Update(
      const Caller& caller, const data::v1::UpdateScheduleRequest& request) = 0;
  virtual absl::Status Delete(
      const Caller& caller, const data::v1::DeleteScheduleRequest& request) = 0;

  // The scheduler's own calls.
  virtual absl::StatusOr<data::v1::ClaimDueSchedulesResponse> Claim(
      const data::v1::ClaimDueSchedulesRequest& request) = 0;
  virtual absl::StatusOr<data::v1::Schedule> Advance(
      const data::v1::AdvanceScheduleRequest& request) = 0;
};

// Calls data over `channel` (from the service's ChannelFactory, carrying
// run-executor's own identity, which data requires on internal methods).
std::unique_ptr<ScheduleRecords> DataChannelScheduleRecords(
    std::shared_ptr<grpc::Channel> channel);

}  // namespace bastion::schedules

#endif  // BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULE_RECORDS_H_
