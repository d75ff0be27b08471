// The trace tree: children under parents by start time, every span exactly
// once, detached spans (missing parent, self-parent, parent loop) drawn as
// flagged roots, and no recursion for deep chains.
#include "tools/cli/trace_tree.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::cli {
namespace {

using bastion::data::v1::Span;

Span MakeSpan(const std::string& id, const std::string& parent, int64_t start,
              int64_t seq) {
  Span span;
  span.set_span_id(id);
  span.set_parent_span_id(parent);
  span.set_name(id);
  span.set_start_time_unix_nano(start);
  span.set_seq(seq);
  return span;
}

// The layout as text: one line per span, "prefix + name", detached ones
// marked with " !".
std::string Draw(const std::vector<Span>& spans) {
  std::string drawn;
  for (const TraceLine& line : LayoutTrace(spans)) {
    drawn +=
        line.prefix + line.span->name() + (line.detached ? " !" : "") + "\n";
  }
  return drawn;
}

TEST(TraceTreeTest, DrawsChildrenUnderTheirParentsInStartOrder) {
  // Chain order differs from start order on purpose.
  const std::vector<Span> spans = {
      MakeSpan("run", "", 100, 1),         MakeSpan("tool", "model", 300, 2),
      MakeSpan("answer", "run", 500, 3),   MakeSpan("model", "run", 200, 4),
      MakeSpan("result", "model", 400, 5), MakeSpan("inner", "tool", 350, 6),
  };
  EXPECT_EQ(Draw(spans),
            "run\n"
            "├─ model\n"
            "│  ├─ tool\n"
            "│  │  └─ inner\n"
            "│  └─ result\n"
            "└─ answer\n");
}

TEST(TraceTreeTest, SeveralRootsAndTiesKeepChainOrder) {
  const std::vector<Span> spans = {MakeSpan("b", "", 10, 2),
                                   MakeSpan("a", "", 10, 1),
                                   MakeSpan("c", "", 5, 3)};
  EXPECT_EQ(Draw(spans), "c\na\nb\n");
}

TEST(TraceTreeTest,
     SpansWithAMissingParentOrThemselvesAsParentAreDetachedRoots) {
  const std::vector<Span> spans = {
      MakeSpan("root", "", 1, 1), MakeSpan("lost", "gone", 2, 2),
      MakeSpan("under-lost", "lost", 3, 3), MakeSpan("self", "self", 4, 4)};
  EXPECT_EQ(Draw(spans),
            "root\n"
            "lost !\n"
            "└─ under-lost\n"
            "self !\n");
}

TEST(TraceTreeTest, AParentLoopIsDrawnOnceFromItsEarliestSpan) {
  const std::vector<Span> spans = {MakeSpan("x", "y", 2, 1),
                                   MakeSpan("y", "x", 1, 2),
                                   MakeSpan("z", "y", 3, 3)};
  const std::vector<TraceLine> lines = LayoutTrace(spans);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(Draw(spans),
            "y !\n"
            "├─ x\n"
            "└─ z\n");
}

TEST(TraceTreeTest, DuplicateIdsStillDrawEverySpanOnce) {
  const std::vector<Span> spans = {MakeSpan("a", "", 1, 1),
                                   MakeSpan("a", "", 2, 2),
                                   MakeSpan("b", "a", 3, 3)};
  EXPECT_EQ(Draw(spans), "a\n└─ b\na\n");
}

TEST(TraceTreeTest, ADeepChainNeedsNoRecursion) {
  std::vector<Span> spans;
  constexpr int kDepth = 20000;
  for (int i = 0; i < kDepth; ++i) {
    spans.push_back(MakeSpan("s" + std::to_string(i),
                             i == 0 ? "" : "s" + std::to_string(i - 1), i,
                             i + 1));
  }
  const std::vector<TraceLine> lines = LayoutTrace(spans);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kDepth));
  EXPECT_EQ(lines.back().span->span_id(), "s19999");
  EXPECT_EQ(lines.back().depth, kDepth - 1);
  EXPECT_FALSE(lines.back().detached);
  // The indentation stops growing: memory stays linear in the span count.
  EXPECT_EQ(lines.back().prefix, lines[kMaxDrawnDepth].prefix);
  EXPECT_LE(lines.back().prefix.size(),
            static_cast<size_t>(8 * kMaxDrawnDepth));
}

TEST(TraceTreeTest, NoSpansNoLines) { EXPECT_TRUE(LayoutTrace({}).empty()); }

}  // namespace
}  // namespace bastion::cli
