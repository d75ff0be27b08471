#include "tools/cli/trace_tree.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

namespace bastion::cli {
namespace {

using bastion::data::v1::Span;

struct Pending {
  size_t index;
  std::string lead;          // this span's line prefix
  std::string child_prefix;  // what its children's prefixes start with
  int depth;
  bool detached;
};

}  // namespace

std::vector<TraceLine> LayoutTrace(const std::vector<Span>& spans) {
  const auto earlier = [&](size_t a, size_t b) {
    return std::make_tuple(spans[a].start_time_unix_nano(), spans[a].seq(), a) <
           std::make_tuple(spans[b].start_time_unix_nano(), spans[b].seq(), b);
  };
  std::map<std::string, size_t> by_id;
  for (size_t i = 0; i < spans.size(); ++i)
    by_id.emplace(spans[i].span_id(), i);

  std::vector<size_t> roots;
  std::vector<size_t> orphans;
  std::map<size_t, std::vector<size_t>> children;
  for (size_t i = 0; i < spans.size(); ++i) {
    const std::string& parent = spans[i].parent_span_id();
    auto found = by_id.find(parent);
    if (parent.empty()) {
      roots.push_back(i);
    } else if (found == by_id.end() || found->second == i) {
      orphans.push_back(i);
    } else {
      children[found->second].push_back(i);
    }
  }
  std::sort(roots.begin(), roots.end(), earlier);
  std::sort(orphans.begin(), orphans.end(), earlier);
  for (auto& [parent, list] : children)
    std::sort(list.begin(), list.end(), earlier);

  std::vector<TraceLine> lines;
  std::vector<bool> drawn(spans.size(), false);
  const auto draw_from = [&](size_t start, bool detached) {
    std::vector<Pending> stack = {{start, "", "", 0, detached}};
    while (!stack.empty()) {
      Pending next = std::move(stack.back());
      stack.pop_back();
      if (drawn[next.index]) continue;
      drawn[next.index] = true;
      lines.push_back(
          {next.lead, next.depth, &spans[next.index], next.detached});
      auto kids = children.find(next.index);
      if (kids == children.end()) continue;
      const std::vector<size_t>& list = kids->second;
      const bool indent = next.depth < kMaxDrawnDepth;
      for (size_t k = list.size(); k-- > 0;) {
        const bool last = k + 1 == list.size();
        if (!indent) {
          stack.push_back(
              {list[k], next.lead, next.child_prefix, next.depth + 1, false});
          continue;
        }
        stack.push_back({list[k], next.child_prefix + (last ? "└─ " : "├─ "),
                         next.child_prefix + (last ? "   " : "│  "),
                         next.depth + 1, false});
      }
    }
  };
  for (size_t root : roots) draw_from(root, /*detached=*/false);
  for (size_t orphan : orphans) draw_from(orphan, /*detached=*/true);
  // What is left hangs in a parent loop (a -> b -> a): no root reaches it.
  std::vector<size_t> looped;
  for (size_t i = 0; i < spans.size(); ++i) {
    if (!drawn[i]) looped.push_back(i);
  }
  std::sort(looped.begin(), looped.end(), earlier);
  for (size_t span : looped) draw_from(span, /*detached=*/true);
  return lines;
}

}  // namespace bastion::cli
