#include "tools/cli/output.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace bastion::cli {
namespace {

// Length of the UTF-8 sequence starting at text[i] and its code point, or 0
// when the bytes there are not a valid, shortest-form sequence.
size_t DecodeUtf8(absl::string_view text, size_t i, uint32_t* code_point) {
  const auto byte = [&](size_t k) {
    return static_cast<unsigned char>(text[k]);
  };
  const unsigned char lead = byte(i);
  size_t length = 0;
  uint32_t value = 0;
  uint32_t minimum = 0;
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i + k) & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF ||
      (value >= 0xD800 && value <= 0xDFFF)) {
    return 0;
  }
  *code_point = value;
  return length;
}

bool IsHiddenControl(uint32_t code_point) {
  return (code_point >= 0x80 && code_point <= 0x9F) ||  // C1 controls
         (code_point >= 0x202A &&
          code_point <= 0x202E) ||  // bidi embeddings/overrides
         (code_point >= 0x2066 && code_point <= 0x2069);  // bidi isolates
}

const char* Ansi(Colour colour) {
  switch (colour) {
    case Colour::kBold:
      return "\x1b[1m";
    case Colour::kDim:
      return "\x1b[2m";
    case Colour::kRed:
      return "\x1b[31m";
    case Colour::kGreen:
      return "\x1b[32m";
    case Colour::kYellow:
      return "\x1b[33m";
    case Colour::kCyan:
      return "\x1b[36m";
    case Colour::kNone:
      break;
  }
  return "";
}

}  // namespace

bool ColourAllowed(bool is_terminal, absl::string_view no_color_env,
                   absl::string_view term_env, bool no_color_flag) {
  return is_terminal && no_color_env.empty() && term_env != "dumb" &&
         !no_color_flag;
}

std::string Style::Paint(Colour colour, absl::string_view text) const {
  if (!colour_ || colour == Colour::kNone || text.empty())
    return std::string(text);
  return absl::StrCat(Ansi(colour), text, "\x1b[0m");
}

std::string Printable(absl::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const unsigned char byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n' && keep_newlines) {
      out.push_back('\n');
      ++i;
      continue;
    }
    if (byte == '\n' || byte == '\t') {
      out += byte == '\n' ? "\\n" : "\\t";
      ++i;
      continue;
    }
    if (byte < 0x20 || byte == 0x7F) {
      absl::StrAppendFormat(&out, "\\x%02x", byte);
      ++i;
      continue;
    }
    uint32_t code_point = 0;
    const size_t length = DecodeUtf8(text, i, &code_point);
    if (length == 0) {
      absl::StrAppendFormat(&out, "\\x%02x", byte);
      ++i;
    } else if (IsHiddenControl(code_point)) {
      absl::StrAppendFormat(&out, "\\u%04x", code_point);
      i += length;
    } else {
      out.append(text.data() + i, length);
      i += length;
    }
  }
  return out;
}

size_t DisplayWidth(absl::string_view text) {
  return static_cast<size_t>(std::count_if(
      text.begin(), text.end(),
      [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string Truncate(absl::string_view text, size_t width) {
  if (DisplayWidth(text) <= width) return std::string(text);
  if (width == 0) return "";
  size_t kept = 0;
  size_t end = 0;
  for (; end < text.size(); ++end) {
    if ((static_cast<unsigned char>(text[end]) & 0xC0) != 0x80) {
      if (kept == width - 1) break;
      ++kept;
    }
  }
  return absl::StrCat(text.substr(0, end), "…");
}

std::string FormatUnixSeconds(int64_t seconds) {
  if (seconds == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC",
                          absl::FromUnixSeconds(seconds), absl::UTCTimeZone());
}

std::string FormatUnixMicros(int64_t micros) {
  if (micros == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

std::string FormatNanos(int64_t nanos) {
  if (nanos < 0) return "-";
  if (nanos < 1000) return absl::StrCat(nanos, "ns");
  if (nanos < 1000000) return absl::StrCat(nanos / 1000, "µs");
  if (nanos < 10000000) return absl::StrFormat("%.1fms", nanos / 1e6);
  if (nanos < 1000000000) return absl::StrCat(nanos / 1000000, "ms");
  if (nanos < 60000000000) return absl::StrFormat("%.1fs", nanos / 1e9);
  const int64_t seconds = nanos / 1000000000;
  return absl::StrFormat("%dm%02ds", seconds / 60, seconds % 60);
}

absl::Status MessageToJson(const google::protobuf::Message& message,
                           std::string* json, bool indent) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = indent;
  options.always_print_primitive_fields = true;
  json->clear();
  auto status =
      google::protobuf::util::MessageToJsonString(message, json, options);
  if (!status.ok()) {
    return absl::InternalError("could not print the answer as JSON");
  }
  return absl::OkStatus();
}

absl::Status Output::Json(const google::protobuf::Message& message) {
  std::string json;
  absl::Status printed = MessageToJson(message, &json);
  if (!printed.ok()) return printed;
  stream_ << json;
  if (json.empty() || json.back() != '\n') stream_ << '\n';
  return absl::OkStatus();
}

absl::Status Output::JsonLine(const google::protobuf::Message& message) {
  std::string json;
  absl::Status printed = MessageToJson(message, &json, /*indent=*/false);
  if (!printed.ok()) return printed;
  stream_ << json << '\n';
  stream_.flush();
  return absl::OkStatus();
}

void Output::Table(const std::vector<std::string>& headers,
                   const std::vector<std::vector<Cell>>& rows,
                   size_t max_cell_width) {
  std::vector<std::vector<std::string>> texts;
  std::vector<size_t> widths;
  for (const std::string& header : headers)
    widths.push_back(DisplayWidth(header));
  for (const auto& row : rows) {
    std::vector<std::string>& line = texts.emplace_back();
    for (size_t column = 0; column < row.size() && column < headers.size();
         ++column) {
      line.push_back(Truncate(Printable(row[column].text), max_cell_width));
      widths[column] = std::max(widths[column], DisplayWidth(line.back()));
    }
  }
  const auto emit = [&](const std::vector<std::string>& cells,
                        const std::vector<Colour>& colours) {
    std::string line;
    for (size_t column = 0; column < cells.size(); ++column) {
      line += style_.Paint(colours[column], cells[column]);
      if (column + 1 < cells.size()) {
        line.append(widths[column] - DisplayWidth(cells[column]) + 2, ' ');
      }
    }
    // An empty last cell must not leave the padding before it behind.
    while (!line.empty() && line.back() == ' ') line.pop_back();
    stream_ << line << '\n';
  };
  emit(headers, std::vector<Colour>(headers.size(), Colour::kBold));
  for (size_t r = 0; r < rows.size(); ++r) {
    std::vector<Colour> colours;
    for (const Cell& cell : rows[r]) colours.push_back(cell.colour);
    colours.resize(texts[r].size());
    emit(texts[r], colours);
  }
}

void Output::Fields(const std::vector<std::pair<std::string, Cell>>& fields) {
  size_t label_width = 0;
  for (const auto& [label, value] : fields) {
    label_width = std::max(label_width, DisplayWidth(label) + 1);
  }
  for (const auto& [label, value] : fields) {
    const std::string head = absl::StrCat(label, ":");
    const std::string padding(label_width - DisplayWidth(head) + 2, ' ');
    bool first = true;
    for (absl::string_view line :
         absl::StrSplit(Printable(value.text, true), '\n')) {
      if (first) {
        stream_ << style_.Paint(Colour::kBold, head) << padding;
      } else {
        stream_ << std::string(label_width + 2, ' ');
      }
      stream_ << style_.Paint(value.colour, line) << '\n';
      first = false;
    }
  }
}

void Output::Line(absl::string_view text, Colour colour) {
  for (absl::string_view line : absl::StrSplit(Printable(text, true), '\n')) {
    stream_ << style_.Paint(colour, line) << '\n';
  }
}

}  // namespace bastion::cli
