#include "tools/cli/listing.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tools/cli/exit_codes.h"

namespace bastion::cli {

using bastion::common::v1::ComponentType;

std::vector<FlagSpec> PageFlags() {
  return {
      {"limit", FlagKind::kValue, "N", "At most N items (1-1000; default 20)"},
      {"cursor", FlagKind::kValue, "CURSOR", "Continue after a previous page"},
  };
}

absl::StatusOr<bastion::common::v1::PageRequest> PageFrom(
    const ParsedArgs& args) {
  bastion::common::v1::PageRequest page;
  if (auto limit = args.Value("limit")) {
    absl::StatusOr<int> parsed = ParseIntFlag("limit", *limit, 1, 1000);
    if (!parsed.ok()) return parsed.status();
    page.set_limit(*parsed);
  }
  page.set_cursor(args.Value("cursor").value_or(""));
  return page;
}

void PrintNextPage(Output& out, const std::string& command_path,
                   const std::string& next_cursor) {
  if (next_cursor.empty()) return;
  out.Line(
      absl::StrCat("More: bastion ", command_path, " --cursor ", next_cursor),
      Colour::kDim);
}

absl::StatusOr<ComponentType> ParseComponentType(const std::string& flag,
                                                 const std::string& value) {
  if (value == "agent") return bastion::common::v1::COMPONENT_TYPE_AGENT;
  if (value == "team") return bastion::common::v1::COMPONENT_TYPE_TEAM;
  if (value == "workflow") return bastion::common::v1::COMPONENT_TYPE_WORKFLOW;
  return UsageError(absl::StrCat(
      "--", flag, " must be agent, team or workflow, not '", value, "'"));
}

std::string ComponentTypeName(ComponentType type) {
  switch (type) {
    case bastion::common::v1::COMPONENT_TYPE_AGENT:
      return "agent";
    case bastion::common::v1::COMPONENT_TYPE_TEAM:
      return "team";
    case bastion::common::v1::COMPONENT_TYPE_WORKFLOW:
      return "workflow";
    default:
      return "?";
  }
}

std::string ComponentLabel(ComponentType type, const std::string& id) {
  return absl::StrCat(ComponentTypeName(type), "/", id);
}

std::vector<std::string> SplitList(const std::vector<std::string>& values) {
  std::vector<std::string> items;
  for (const std::string& value : values) {
    for (absl::string_view item :
         absl::StrSplit(value, absl::ByAnyChar(" \t,"), absl::SkipEmpty())) {
      items.emplace_back(item);
    }
  }
  return items;
}

}  // namespace bastion::cli
