#include "services/run_executor/model/sse_parser.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"

namespace bastion::runs {

SseParser::SseParser(EventHandler on_event, size_t max_event_bytes)
    : on_event_(std::move(on_event)), max_event_bytes_(max_event_bytes) {}

absl::Status SseParser::Feed(absl::string_view bytes) {
  if (!failure_.ok()) return failure_;
  for (char c : bytes) {
    const bool pairs_previous_cr = after_cr_ && c == '\n';
    after_cr_ = false;
    if (pairs_previous_cr) continue;
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      failure_ = EndLine();
      if (!failure_.ok()) return failure_;
      continue;
    }
    if (line_.size() >= max_event_bytes_) {
      failure_ = absl::ResourceExhaustedError(absl::StrCat(
          "event stream line longer than ", max_event_bytes_, " bytes"));
      return failure_;
    }
    line_.push_back(c);
  }
  return absl::OkStatus();
}

absl::Status SseParser::EndLine() {
  const std::string line = std::move(line_);
  line_.clear();
  if (line.empty()) {
    if (!has_data_) return absl::OkStatus();
    const std::string data = std::move(data_);
    data_.clear();
    has_data_ = false;
    return on_event_(data);
  }
  if (line[0] == ':') return absl::OkStatus();  // a comment (keep-alive)
  absl::string_view field = line;
  absl::string_view value;
  const size_t colon = field.find(':');
  if (colon != absl::string_view::npos) {
    value = field.substr(colon + 1);
    field = field.substr(0, colon);
    absl::ConsumePrefix(&value, " ");
  }
  if (field != "data") return absl::OkStatus();
  if (data_.size() + value.size() + 1 > max_event_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "event stream event larger than ", max_event_bytes_, " bytes"));
  }
  if (has_data_) data_.push_back('\n');
  data_.append(value.data(), value.size());
  has_data_ = true;
  return absl::OkStatus();
}

}  // namespace bastion::runs
