// Server-sent events (text/event-stream) split into events as bytes arrive,
// as the WHATWG HTML "event stream interpretation" reads them: lines end in
// LF, CRLF or CR (also across chunk boundaries), "data:" lines of one event
// are joined with LF, ":" lines are comments, a blank line ends the event.
// Only the data matters to chat completions, so other fields are ignored.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_MODEL_SSE_PARSER_H_
#define BASTION_SERVICES_RUN_EXECUTOR_MODEL_SSE_PARSER_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bastion::runs {

// One stream's parser. Not thread-safe (one transfer feeds it).
class SseParser {
 public:
  // Receives each event's data; a non-OK status stops the parser and is
  // returned by Feed.
  using EventHandler = std::function<absl::Status(absl::string_view data)>;

  // `max_event_bytes` bounds one line and one event's data: a longer one is
  // RESOURCE_EXHAUSTED, so a hostile stream cannot grow memory unbounded.
  SseParser(EventHandler on_event, size_t max_event_bytes);

  // Feeds the next bytes; events completed by them are handed over before
  // it returns. After an error every later call returns that error.
  absl::Status Feed(absl::string_view bytes);

 private:
  absl::Status EndLine();

  EventHandler on_event_;
  const size_t max_event_bytes_;
  std::string line_;
  std::string data_;
  bool has_data_ = false;
  // The previous chunk ended in CR: an LF opening this one is its pair.
  bool after_cr_ = false;
  absl::Status failure_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_MODEL_SSE_PARSER_H_
