// How the bastion command prints: aligned tables and "field: value" blocks
// for people, one protobuf JSON document for scripts (--json), colour only
// when allowed. Every server-supplied string passes through Printable, so
// text stored by anyone (a memory, a span, a model's output) cannot send
// escape sequences to the user's terminal.
#ifndef BASTION_TOOLS_CLI_OUTPUT_H_
#define BASTION_TOOLS_CLI_OUTPUT_H_

#include <google/protobuf/message.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bastion::cli {

// Whether a stream gets colour: only on a terminal, never when NO_COLOR is
// set to a non-empty value (https://no-color.org), TERM is "dumb", or the
// user passed --no-color.
bool ColourAllowed(bool is_terminal, absl::string_view no_color_env,
                   absl::string_view term_env, bool no_color_flag);

enum class Colour { kNone, kBold, kDim, kRed, kGreen, kYellow, kCyan };

// ANSI styling that is a no-op when colour is off.
class Style {
 public:
  explicit Style(bool colour) : colour_(colour) {}
  bool colour() const { return colour_; }
  std::string Paint(Colour colour, absl::string_view text) const;

 private:
  bool colour_;
};

// `text` made safe and single-purpose for a terminal: control characters
// (C0 except, with keep_newlines, '\n'; DEL; C1), bidirectional overrides
// and invalid UTF-8 become visible escapes such as "\x1b" or "\u202e".
// Tabs and (without keep_newlines) newlines become "\t" / "\n" escapes.
std::string Printable(absl::string_view text, bool keep_newlines = false);

// Number of terminal columns `text` takes, counted in code points (what
// Printable returns is valid UTF-8).
size_t DisplayWidth(absl::string_view text);

// `text` cut to at most `width` columns, ending in "…" when cut.
std::string Truncate(absl::string_view text, size_t width);

// Times as "2025-01-02 15:04:05 UTC"; 0 prints as "-".
std::string FormatUnixSeconds(int64_t seconds);
std::string FormatUnixMicros(int64_t micros);
// A span of time for people: "850µs", "12ms", "3.4s", "2m05s".
std::string FormatNanos(int64_t nanos);

// One table cell: text (made Printable by the table) and its colour.
struct Cell {
  Cell(std::string text)
      : text(std::move(text)) {}          // NOLINT: cells read like strings
  Cell(const char* text) : text(text) {}  // NOLINT
  Cell(std::string text, Colour colour)
      : text(std::move(text)), colour(colour) {}
  std::string text;
  Colour colour = Colour::kNone;
};

// Prints a command's result to one stream, as JSON or for people. Not
// thread-safe (one per command run).
class Output {
 public:
  Output(std::ostream& stream, bool json, Style style)
      : stream_(stream), json_(json), style_(style) {}

  bool json() const { return json_; }
  const Style& style() const { return style_; }
  std::ostream& stream() { return stream_; }

  // The message as one JSON document (proto3 JSON mapping, lowerCamelCase
  // names, every field printed even when it has its default value), then a
  // newline.
  absl::Status Json(const google::protobuf::Message& message);

  // The message as JSON on one line (same mapping as Json), for streams of
  // messages such as a run's events.
  absl::Status JsonLine(const google::protobuf::Message& message);

  // Columns padded to their widest cell; each cell at most
  // `max_cell_width` columns (longer ones end in "…"). Headers in bold.
  void Table(const std::vector<std::string>& headers,
             const std::vector<std::vector<Cell>>& rows,
             size_t max_cell_width = 60);

  // "Label:  value" lines with the values aligned; multi-line values keep
  // their lines, indented under the first.
  void Fields(const std::vector<std::pair<std::string, Cell>>& fields);

  // A line of text (made Printable, newlines kept) in a colour.
  void Line(absl::string_view text, Colour colour = Colour::kNone);

 private:
  std::ostream& stream_;
  bool json_;
  Style style_;
};

// Prints a message as JSON to a string (the same options as Output::Json;
// on one line unless `indent`).
absl::Status MessageToJson(const google::protobuf::Message& message,
                           std::string* json, bool indent = true);

}  // namespace bastion::cli

#endif  // BASTION_TOOLS_CLI_OUTPUT_H_
