#include "tools/service_identity/suite_grants.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "bastion/authn/v1/authn.pb.h"
#include "bastion/authz/v1/authz.pb.h"
#include "bastion/data/v1/data.pb.h"
#include "bastion/runs/v1/runs.pb.h"
#include "google/protobuf/descriptor.h"

namespace bastion::service_identity {
namespace {

constexpr char kCheck[] = "bastion.authz.v1.Authz/Check";
constexpr char kCheckTool[] = "bastion.authz.v1.Authz/CheckTool";
constexpr char kAuditWriter[] = "bastion.data.v1.AuditWriter";

// The service `full_name` in one of the packages a grant may name.
const google::protobuf::ServiceDescriptor* FindService(
    const std::string& full_name) {
  for (const google::protobuf::FileDescriptor* file :
       {authn::v1::ExchangeForRunRequest::descriptor()->file(),
        authz::v1::CheckRequest::descriptor()->file(),
        data::v1::Session::descriptor()->file(),
        runs::v1::Agent::descriptor()->file()}) {
    for (int i = 0; i < file->service_count(); ++i) {
      if (file->service(i)->full_name() == full_name) return file->service(i);
    }
  }
  return nullptr;
}

}  // namespace

const std::map<std::string, std::vector<std::string>>& SuiteGrants() {
  static const auto* const grants =
      new std::map<std::string, std::vector<std::string>>{
          {"authn", {kCheck, kCheckTool, kAuditWriter}},
          {"authz", {kAuditWriter}},
          {"data", {kCheck, kCheckTool}},
          {"run_executor",
           {kCheck, kCheckTool, "bastion.data.v1.RunRecords",
            "bastion.data.v1.ApprovalRecords",
            "bastion.data.v1.ScheduleRecords",
            "bastion.data.v1.Traces/AppendSpans", "bastion.data.v1.Memories",
            "bastion.data.v1.Sessions/GetSession",
            "bastion.data.v1.Sessions/CreateSession", kAuditWriter,
            "bastion.runs.v1.ToolService",
            "bastion.authn.v1.Delegations"}},
      };
  return *grants;
}

absl::StatusOr<std::vector<std::string>> ExpandGrants(
    const std::vector<std::string>& grants) {
  std::set<std::string> methods;
  for (const std::string& grant : grants) {
    const size_t slash = grant.find('/');
    const std::string service_name = grant.substr(0, slash);
    const google::protobuf::ServiceDescriptor* service =
        FindService(service_name);
    if (service == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("grant \"", grant, "\": no service ", service_name));
    }
    if (slash == std::string::npos) {
      for (int i = 0; i < service->method_count(); ++i) {
        methods.insert(absl::StrCat(service_name, "/", service->method(i)->name()));
      }
      continue;
    }
    if (service->FindMethodByName(grant.substr(slash + 1)) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("grant \"", grant, "\": no such method"));
    }
    methods.insert(grant);
  }
  return std::vector<std::string>(methods.begin(), methods.end());
}

}  // namespace bastion::service_identity
