// sessions: list, show, create and delete the caller's sessions in data.
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "bastion/data/v1/data.grpc.pb.h"
#include "common/status/status_macros.h"
#include "tools/cli/commands.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/listing.h"

namespace bastion::cli {
namespace {

namespace data = bastion::data::v1;

// A JSON document indented for people; the text itself when it is not JSON.
std::string PrettyJson(const std::string& text) {
  const nlohmann::json parsed =
      nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded()
             ? text
             : parsed.dump(2, ' ', false,
                           nlohmann::json::error_handler_t::replace);
}

void PrintSession(Output& out, const data::Session& session) {
  out.Fields({
      {"ID", Cell(session.session_id(), Colour::kCyan)},
      {"Component",
       ComponentLabel(session.component_type(), session.component_id())},
      {"Name", session.name().empty() ? "-" : session.name()},
      {"Owner",
       absl::StrCat(session.user_id(), " (tenant ", session.tenant_id(), ")")},
      {"Created", FormatUnixMicros(session.created_at_unix_micros())},
      {"Updated", FormatUnixMicros(session.updated_at_unix_micros())},
      {"State", PrettyJson(session.state_json())},
  });
}

absl::Status ListSessions(CommandContext& context) {
  const ParsedArgs& args = context.args();
  data::ListSessionsRequest request;
  ASSIGN_OR_RETURN(*request.mutable_page(), PageFrom(args));
  if (auto type = args.Value("component-type")) {
    ASSIGN_OR_RETURN(auto parsed, ParseComponentType("component-type", *type));
    request.set_component_type(parsed);
  }
  request.set_component_id(args.Value("component-id").value_or(""));
  request.set_user_id(args.Value("user").value_or(""));
  if (auto sort = args.Value("sort")) {
    if (*sort == "created") {
      request.set_sort_field(data::SORT_FIELD_CREATED_AT);
    } else if (*sort == "updated") {
      request.set_sort_field(data::SORT_FIELD_UPDATED_AT);
    } else {
      return UsageError(
          absl::StrCat("--sort must be created or updated, not '", *sort, "'"));
    }
  }
  if (args.Switch("oldest-first")) request.set_sort_order(data::SORT_ORDER_ASC);

  ASSIGN_OR_RETURN(Client client, context.Connect());
  data::ListSessionsResponse response;
  RETURN_IF_ERROR(client.Call(
      Service::kData, &data::Sessions::Stub::ListSessions, request, &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  if (response.sessions().empty()) {
    out.Line("No sessions.", Colour::kDim);
    return absl::OkStatus();
  }
  std::vector<std::vector<Cell>> rows;
  for (const data::Session& session : response.sessions()) {
    rows.push_back(
        {Cell(session.session_id(), Colour::kCyan),
         ComponentLabel(session.component_type(), session.component_id()),
         session.name(), session.user_id(),
         FormatUnixMicros(session.updated_at_unix_micros())});
  }
  out.Table({"ID", "COMPONENT", "NAME", "OWNER", "UPDATED"}, rows);
  PrintNextPage(out, "sessions list", response.page().next_cursor());
  return absl::OkStatus();
}

absl::Status ShowSession(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  data::GetSessionRequest request;
  request.set_session_id(context.args().positionals()[0]);
  data::Session session;
  RETURN_IF_ERROR(client.Call(Service::kData, &data::Sessions::Stub::GetSession,
                              request, &session));
  if (context.out().json()) return context.out().Json(session);
  PrintSession(context.out(), session);
  return absl::OkStatus();
}

absl::Status CreateSession(CommandContext& context) {
  const ParsedArgs& args = context.args();
  const auto type = args.Value("component-type");
  const auto id = args.Value("component-id");
  if (!type.has_value() || !id.has_value()) {
    return UsageError("--component-type and --component-id are required");
  }
  data::CreateSessionRequest request;
  ASSIGN_OR_RETURN(auto parsed, ParseComponentType("component-type", *type));
  request.set_component_type(parsed);
  request.set_component_id(*id);
  request.set_session_id(args.Value("id").value_or(""));
  request.set_name(args.Value("name").value_or(""));
  request.set_state_json(args.Value("state").value_or(""));

  ASSIGN_OR_RETURN(Client client, context.Connect());
  data::Session session;
  RETURN_IF_ERROR(client.Call(
      Service::kData, &data::Sessions::Stub::CreateSession, request, &session));
  if (context.out().json()) return context.out().Json(session);
  context.out().Line(
      absl::StrCat("Created session ", session.session_id(), "."),
      Colour::kGreen);
  PrintSession(context.out(), session);
  return absl::OkStatus();
}

absl::Status DeleteSession(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  data::DeleteSessionRequest request;
  request.set_session_id(context.args().positionals()[0]);
  data::DeleteSessionResponse response;
  RETURN_IF_ERROR(client.Call(Service::kData,
                              &data::Sessions::Stub::DeleteSession, request,
                              &response));
  if (context.out().json()) return context.out().Json(response);
  context.out().Line(
      absl::StrCat("Deleted session ", request.session_id(), "."));
  return absl::OkStatus();
}

}  // namespace

void AddSessionCommands(CommandTable* table) {
  table->groups.push_back(
      {"sessions", "Your sessions (admins: your tenant's)"});
  std::vector<FlagSpec> list_flags = PageFlags();
  list_flags.insert(list_flags.end(),
                    {
                        {"component-type", FlagKind::kValue, "TYPE",
                         "Only agent, team or workflow sessions"},
                        {"component-id", FlagKind::kValue, "ID",
                         "Only sessions of this component"},
                        {"user", FlagKind::kValue, "USER",
                         "Only this user's (tenant admins only)"},
                        {"sort", FlagKind::kValue, "FIELD",
                         "Order by created or updated (default created)"},
                        {"oldest-first", FlagKind::kSwitch, "",
                         "Oldest first (default newest first)"},
                    });
  table->commands.push_back(Command{{"sessions", "list"},
                                    "List your sessions, newest first",
                                    "",
                                    {},
                                    list_flags,
                                    ListSessions});
  table->commands.push_back(
      Command{{"sessions", "show"},
              "Show one session with its state",
              "Someone else's session answers not found (exit 5).",
              {{"SESSION_ID", "The session's id"}},
              {},
              ShowSession});
  table->commands.push_back(
      Command{{"sessions", "create"},
              "Create a session",
              "",
              {},
              {
                  {"component-type", FlagKind::kValue, "TYPE",
                   "agent, team or workflow (required)"},
                  {"component-id", FlagKind::kValue, "ID",
                   "The component's id (required)"},
                  {"name", FlagKind::kValue, "NAME", "Display name"},
                  {"id", FlagKind::kValue, "SESSION_ID",
                   "Id to use (default: the server picks one)"},
                  {"state", FlagKind::kValue, "JSON",
                   "Initial state, a JSON object (default {})"},
              },
              CreateSession});
  table->commands.push_back(Command{{"sessions", "delete"},
                                    "Delete one of your sessions",
                                    "",
                                    {{"SESSION_ID", "The session's id"}},
                                    {},
                                    DeleteSession});
}

}  // namespace bastion::cli
