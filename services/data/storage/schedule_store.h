// Storage seam for schedule records (replaceable in tests and other
// deployments).
#ifndef BASTION_SERVICES_DATA_STORAGE_SCHEDULE_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_SCHEDULE_STORE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "common/pg/principal_transaction.h"
#include "services/data/storage/owner_filter.h"
#include "services/data/storage/paging.h"
#include "bastion/data/v1/data.pb.h"

namespace bastion::data::storage {

// Every call runs as `scope` on checked requests (see SessionStore). A
// schedule stores its creator's scopes at creation (`run_scopes`, which the
// domain takes from the verified principal), so a run it starts can never
// hold more. Implementations are thread-safe.
class ScheduleStore {
 public:
  virtual ~ScheduleStore() = default;

  virtual absl::StatusOr<v1::Schedule> CreateSchedule(
      const pg::PrincipalScope& scope, const v1::CreateScheduleRequest& request,
      const google::protobuf::RepeatedPtrField<std::string>& run_scopes) = 0;
  virtual absl::StatusOr<v1::Schedule> GetSchedule(
      const pg::PrincipalScope& scope,
      const v1::GetScheduleRequest& request) = 0;
  virtual absl::StatusOr<v1::ListSchedulesResponse> ListSchedules(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListSchedulesRequest& request) = 0;
  virtual absl::StatusOr<v1::Schedule> UpdateSchedule(
      const pg::PrincipalScope& scope,
      const v1::UpdateScheduleRequest& request) = 0;
  virtual absl::Status DeleteSchedule(
      const pg::PrincipalScope& scope,
      const v1::DeleteScheduleRequest& request) = 0;
  // Claims due, enabled, unclaimed schedules that have a grant, within
  // the scope's reach (every tenant for the scheduler, at the platform
  // level); concurrent claimers never get the same schedule.
  virtual absl::StatusOr<v1::ClaimDueSchedulesResponse> ClaimDueSchedules(
      const pg::PrincipalScope& scope,
      const v1::ClaimDueSchedulesRequest& request) = 0;
  // Releases the claim `request.claimer_id()` holds with the next due time
  // (disabling the schedule when asked); FAILED_PRECONDITION when it holds
  // none on that schedule.
  virtual absl::StatusOr<v1::Schedule> AdvanceSchedule(
      const pg::PrincipalScope& scope,
      const v1::AdvanceScheduleRequest& request) = 0;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_SCHEDULE_STORE_H_
