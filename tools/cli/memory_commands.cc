// memories: list, show, create and delete the caller's memories in data.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bastion/data/v1/data.grpc.pb.h"
#include "common/status/status_macros.h"
#include "tools/cli/commands.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/listing.h"

namespace bastion::cli {
namespace {

namespace data = bastion::data::v1;

std::string Topics(const data::Memory& memory) {
  return memory.topics().empty() ? "-" : absl::StrJoin(memory.topics(), ", ");
}

void PrintMemory(Output& out, const data::Memory& memory) {
  out.Fields({
      {"ID", Cell(memory.memory_id(), Colour::kCyan)},
      {"Topics", Topics(memory)},
      {"Owner",
       absl::StrCat(memory.user_id(), " (tenant ", memory.tenant_id(), ")")},
      {"Created", FormatUnixMicros(memory.created_at_unix_micros())},
      {"Updated", FormatUnixMicros(memory.updated_at_unix_micros())},
      {"Text", memory.text()},
  });
}

absl::Status ListMemories(CommandContext& context) {
  const ParsedArgs& args = context.args();
  data::ListMemoriesRequest request;
  ASSIGN_OR_RETURN(*request.mutable_page(), PageFrom(args));
  request.set_topic(args.Value("topic").value_or(""));
  request.set_text_query(args.Value("search").value_or(""));
  request.set_user_id(args.Value("user").value_or(""));
  if (args.Switch("oldest-first")) request.set_sort_order(data::SORT_ORDER_ASC);

  ASSIGN_OR_RETURN(Client client, context.Connect());
  data::ListMemoriesResponse response;
  RETURN_IF_ERROR(client.Call(
      Service::kData, &data::Memories::Stub::ListMemories, request, &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  if (response.memories().empty()) {
    out.Line("No memories.", Colour::kDim);
    return absl::OkStatus();
  }
  std::vector<std::vector<Cell>> rows;
  for (const data::Memory& memory : response.memories()) {
    rows.push_back({Cell(memory.memory_id(), Colour::kCyan), Topics(memory),
                    memory.text(),
                    FormatUnixMicros(memory.created_at_unix_micros())});
  }
  out.Table({"ID", "TOPICS", "TEXT", "CREATED"}, rows);
  PrintNextPage(out, "memories list", response.page().next_cursor());
  return absl::OkStatus();
}

absl::Status ShowMemory(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  data::GetMemoryRequest request;
  request.set_memory_id(context.args().positionals()[0]);
  data::Memory memory;
  RETURN_IF_ERROR(client.Call(Service::kData, &data::Memories::Stub::GetMemory,
                              request, &memory));
  if (context.out().json()) return context.out().Json(memory);
  PrintMemory(context.out(), memory);
  return absl::OkStatus();
}

absl::Status CreateMemory(CommandContext& context) {
  const ParsedArgs& args = context.args();
  const auto text = args.Value("text");
  if (!text.has_value()) return UsageError("--text is required");
  data::CreateMemoryRequest request;
  request.set_text(*text);
  request.set_memory_id(args.Value("id").value_or(""));
  for (const std::string& topic : args.Values("topic"))
    request.add_topics(topic);

  ASSIGN_OR_RETURN(Client client, context.Connect());
  data::Memory memory;
  RETURN_IF_ERROR(client.Call(
      Service::kData, &data::Memories::Stub::CreateMemory, request, &memory));
  if (context.out().json()) return context.out().Json(memory);
  context.out().Line(absl::StrCat("Created memory ", memory.memory_id(), "."),
                     Colour::kGreen);
  PrintMemory(context.out(), memory);
  return absl::OkStatus();
}

absl::Status DeleteMemory(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  data::DeleteMemoryRequest request;
  request.set_memory_id(context.args().positionals()[0]);
  data::DeleteMemoryResponse response;
  RETURN_IF_ERROR(client.Call(
      Service::kData, &data::Memories::Stub::DeleteMemory, request, &response));
  if (context.out().json()) return context.out().Json(response);
  context.out().Line(absl::StrCat("Deleted memory ", request.memory_id(), "."));
  return absl::OkStatus();
}

}  // namespace

void AddMemoryCommands(CommandTable* table) {
  table->groups.push_back({"memories", "What agents remember for you"});
  std::vector<FlagSpec> list_flags = PageFlags();
  list_flags.insert(
      list_flags.end(),
      {
          {"topic", FlagKind::kValue, "TOPIC", "Only memories with this topic"},
          {"search", FlagKind::kValue, "TEXT",
           "Only memories containing this text (any case)"},
          {"user", FlagKind::kValue, "USER",
           "Only this user's (tenant admins only)"},
          {"oldest-first", FlagKind::kSwitch, "", "Oldest first"},
      });
  table->commands.push_back(Command{{"memories", "list"},
                                    "List your memories, newest first",
                                    "",
                                    {},
                                    list_flags,
                                    ListMemories});
  table->commands.push_back(
      Command{{"memories", "show"},
              "Show one memory",
              "Someone else's memory answers not found (exit 5).",
              {{"MEMORY_ID", "The memory's id"}},
              {},
              ShowMemory});
  table->commands.push_back(Command{
      {"memories", "create"},
      "Remember a text",
      "",
      {},
      {
          {"text", FlagKind::kValue, "TEXT", "What to remember (required)"},
          {"topic", FlagKind::kRepeated, "TOPIC", "A topic"},
          {"id", FlagKind::kValue, "MEMORY_ID",
           "Id to use (default: the server picks one)"},
      },
      CreateMemory});
  table->commands.push_back(Command{{"memories", "delete"},
                                    "Delete one of your memories",
                                    "",
                                    {{"MEMORY_ID", "The memory's id"}},
                                    {},
                                    DeleteMemory});
}

}  // namespace bastion::cli
