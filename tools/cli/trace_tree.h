// Lays out a trace's spans as a tree (children under their parent_span_id,
// siblings by start time), for `bastion traces show`. Pure: no output, no
// colour; the command renders the lines.
#ifndef BASTION_TOOLS_CLI_TRACE_TREE_H_
#define BASTION_TOOLS_CLI_TRACE_TREE_H_

#include <string>
#include <vector>

#include "bastion/data/v1/data.pb.h"

namespace bastion::cli {

// One line of the drawn tree.
struct TraceLine {
  // Box-drawing prefix, e.g. "│  ├─ " (empty for a root). It stops growing
  // below kMaxDrawnDepth levels, so a deep chain costs linear memory.
  std::string prefix;
  // Levels below its root (0 for a root).
  int depth = 0;
  // The span, pointing into the vector given to LayoutTrace.
  const bastion::data::v1::Span* span = nullptr;
  // The span names a parent that is not in the trace (or its parents form a
  // loop): it is drawn as a root and flagged.
  bool detached = false;
};

// Deeper spans are drawn at this indentation (the command prints their
// depth).
inline constexpr int kMaxDrawnDepth = 24;

// Every span exactly once: the roots (spans without a parent) in start
// order, each followed by its descendants depth first; then spans whose
// parent is missing or which hang in a parent loop, as detached roots with
// their own descendants. Ties in start time keep chain order (seq).
// Iterative, so a deep chain cannot exhaust the stack.
std::vector<TraceLine> LayoutTrace(
    const std::vector<bastion::data::v1::Span>& spans);

}  // namespace bastion::cli

#endif  // BASTION_TOOLS_CLI_TRACE_TREE_H_
