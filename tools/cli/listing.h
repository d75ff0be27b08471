// Pieces the list and show commands share: paging flags, component types
// spelled for people, and the "more results" hint.
#ifndef BASTION_TOOLS_CLI_LISTING_H_
#define BASTION_TOOLS_CLI_LISTING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "tools/cli/args.h"
#include "tools/cli/output.h"

namespace bastion::cli {

// --limit N and --cursor CURSOR.
std::vector<FlagSpec> PageFlags();

// The page request those flags ask for (limit 1..1000, as the servers
// allow). Usage error for a bad limit.
absl::StatusOr<bastion::common::v1::PageRequest> PageFrom(
    const ParsedArgs& args);

// After a page for people: how to get the next one, when there is one.
void PrintNextPage(Output& out, const std::string& command_path,
                   const std::string& next_cursor);

// "agent", "team" or "workflow" (what --component-type takes). Usage error
// naming `flag` otherwise.
absl::StatusOr<bastion::common::v1::ComponentType> ParseComponentType(
    const std::string& flag, const std::string& value);
std::string ComponentTypeName(bastion::common::v1::ComponentType type);

// "agent/echo".
std::string ComponentLabel(bastion::common::v1::ComponentType type,
                           const std::string& id);

// Splits repeatable flag values on whitespace and commas, so `--scope a
// --scope b` and `--scope "a b"` mean the same.
std::vector<std::string> SplitList(const std::vector<std::string>& values);

}  // namespace bastion::cli

#endif  // BASTION_TOOLS_CLI_LISTING_H_
