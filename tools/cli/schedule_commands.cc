// schedules: create, list, show, trigger and delete the caller's schedules
// on run-executor. A schedule runs its component as its creator.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bastion/runs/v1/runs.grpc.pb.h"
#include "common/status/status_macros.h"
#include "tools/cli/commands.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/listing.h"

namespace bastion::cli {
namespace {

namespace runs = bastion::runs::v1;

constexpr size_t kMaxCronBytes = 256;

// Five whitespace-separated fields of printable ASCII; the server checks
// what each field means.
absl::Status CheckCron(const std::string& cron) {
  if (cron.size() > kMaxCronBytes) return UsageError("--cron is too long");
  for (char c : cron) {
    if (c < ' ' || c > '~') {
      return UsageError("--cron must be printable ASCII");
    }
  }
  const std::vector<absl::string_view> fields =
      absl::StrSplit(cron, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (fields.size() != 5) {
    return UsageError(
        "--cron must have 5 fields (minute hour day-of-month month "
        "day-of-week), e.g. \"0 9 * * 1-5\"");
  }
  return absl::OkStatus();
}

void PrintSchedule(Output& out, const runs::Schedule& schedule) {
  out.Fields({
      {"ID", Cell(schedule.schedule_id(), Colour::kCyan)},
      {"Name", schedule.name().empty() ? "-" : schedule.name()},
      {"Cron", absl::StrCat(schedule.cron(), " (",
                            schedule.timezone().empty() ? "UTC"
                                                        : schedule.timezone(),
                            ")")},
      {"Component",
       ComponentLabel(schedule.component_type(), schedule.component_id())},
      {"Input", schedule.input()},
      {"Enabled", schedule.enabled() ? Cell("yes", Colour::kGreen)
                                     : Cell("no", Colour::kDim)},
      {"Next run", FormatUnixSeconds(schedule.next_run_at_unix())},
      {"Owner", absl::StrCat(schedule.user_id(), " (tenant ",
                             schedule.tenant_id(), ")")},
  });
}

absl::Status CreateSchedule(CommandContext& context) {
  const ParsedArgs& args = context.args();
  const auto cron = args.Value("cron");
  const auto type = args.Value("component-type");
  const auto id = args.Value("component-id");
  if (!cron.has_value() || !type.has_value() || !id.has_value()) {
    return UsageError("--cron, --component-type and --component-id are required");
  }
  RETURN_IF_ERROR(CheckCron(*cron));
  runs::CreateScheduleRequest request;
  runs::Schedule* schedule = request.mutable_schedule();
  schedule->set_cron(std::string(absl::StripAsciiWhitespace(*cron)));
  ASSIGN_OR_RETURN(auto parsed, ParseComponentType("component-type", *type));
  schedule->set_component_type(parsed);
  schedule->set_component_id(*id);
  schedule->set_timezone(args.Value("timezone").value_or(""));
  schedule->set_name(args.Value("name").value_or(""));
  schedule->set_input(args.Value("input").value_or(""));
  schedule->set_enabled(!args.Switch("disabled"));

  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::Schedule created;
  RETURN_IF_ERROR(client.Call(Service::kRuns,
                              &runs::Schedules::Stub::CreateSchedule, request,
                              &created));
  Output& out = context.out();
  if (out.json()) return out.Json(created);
  out.Line(absl::StrCat("Created schedule ", created.schedule_id(), "."),
           Colour::kGreen);
  PrintSchedule(out, created);
  return absl::OkStatus();
}

absl::Status ListSchedules(CommandContext& context) {
  runs::ListSchedulesRequest request;
  ASSIGN_OR_RETURN(*request.mutable_page(), PageFrom(context.args()));
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::ListSchedulesResponse response;
  RETURN_IF_ERROR(client.Call(Service::kRuns,
                              &runs::Schedules::Stub::ListSchedules, request,
                              &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  if (response.schedules().empty()) {
    out.Line("No schedules.", Colour::kDim);
    return absl::OkStatus();
  }
  std::vector<std::vector<Cell>> rows;
  for (const runs::Schedule& schedule : response.schedules()) {
    rows.push_back(
        {Cell(schedule.schedule_id(), Colour::kCyan), schedule.name(),
         schedule.cron(),
         ComponentLabel(schedule.component_type(), schedule.component_id()),
         schedule.enabled() ? Cell("yes", Colour::kGreen)
                            : Cell("no", Colour::kDim),
         FormatUnixSeconds(schedule.next_run_at_unix())});
  }
  out.Table({"ID", "NAME", "CRON (UTC)", "COMPONENT", "ENABLED", "NEXT RUN"},
            rows);
  PrintNextPage(out, "schedules list", response.page().next_cursor());
  return absl::OkStatus();
}

absl::Status ShowSchedule(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::GetScheduleRequest request;
  request.set_schedule_id(context.args().positionals()[0]);
  runs::Schedule schedule;
  RETURN_IF_ERROR(client.Call(Service::kRuns,
                              &runs::Schedules::Stub::GetSchedule, request,
                              &schedule));
  if (context.out().json()) return context.out().Json(schedule);
  PrintSchedule(context.out(), schedule);
  return absl::OkStatus();
}

absl::Status TriggerSchedule(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::TriggerScheduleRequest request;
  request.set_schedule_id(context.args().positionals()[0]);
  runs::TriggerScheduleResponse response;
  RETURN_IF_ERROR(client.Call(Service::kRuns,
                              &runs::Schedules::Stub::TriggerSchedule, request,
                              &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  out.Line(absl::StrCat("Started run ", response.run_id(),
                        "; follow it with `bastion runs stream ",
                        response.run_id(), "`."));
  return absl::OkStatus();
}

absl::Status DeleteSchedule(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::DeleteScheduleRequest request;
  request.set_schedule_id(context.args().positionals()[0]);
  runs::DeleteScheduleResponse response;
  RETURN_IF_ERROR(client.Call(Service::kRuns,
                              &runs::Schedules::Stub::DeleteSchedule, request,
                              &response));
  if (context.out().json()) return context.out().Json(response);
  context.out().Line(
      absl::StrCat("Deleted schedule ", request.schedule_id(), "."));
  return absl::OkStatus();
}

}  // namespace

void AddScheduleCommands(CommandTable* table) {
  table->groups.push_back(
      {"schedules", "Your schedules (periodic runs, executed as you)"});
  table->commands.push_back(Command{
      {"schedules", "create"},
      "Create a schedule",
      "The cron expression has 5 fields (minute hour day-of-month month\n"
      "day-of-week) and is read in --timezone (an IANA name; UTC by\n"
      "default). Each run executes as you, with at most the permissions you\n"
      "hold now and your roles still grant when it runs.",
      {},
      {
          {"cron", FlagKind::kValue, "EXPR",
           "When to run, e.g. \"0 9 * * 1-5\" (required)"},
          {"timezone", FlagKind::kValue, "ZONE",
           "IANA time zone of --cron, e.g. Europe/Paris (default UTC)"},
          {"component-type", FlagKind::kValue, "TYPE",
           "agent, team or workflow (required)"},
          {"component-id", FlagKind::kValue, "ID",
           "The component's id (required)"},
          {"input", FlagKind::kValue, "TEXT", "The message given to each run"},
          {"name", FlagKind::kValue, "NAME", "Display name"},
          {"disabled", FlagKind::kSwitch, "", "Create it disabled"},
      },
      CreateSchedule});
  table->commands.push_back(Command{{"schedules", "list"},
                                    "List your schedules",
                                    "",
                                    {},
                                    PageFlags(),
                                    ListSchedules});
  table->commands.push_back(Command{{"schedules", "show"},
                                    "Show one schedule",
                                    "",
                                    {{"SCHEDULE_ID", "The schedule's id"}},
                                    {},
                                    ShowSchedule});
  table->commands.push_back(Command{{"schedules", "trigger"},
                                    "Start a run of a schedule now",
                                    "",
                                    {{"SCHEDULE_ID", "The schedule's id"}},
                                    {},
                                    TriggerSchedule});
  table->commands.push_back(Command{{"schedules", "delete"},
                                    "Delete one of your schedules",
                                    "",
                                    {{"SCHEDULE_ID", "The schedule's id"}},
                                    {},
                                    DeleteSchedule});
}

}  // namespace bastion::cli
