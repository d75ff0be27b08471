// Loads a service's configuration into its proto message, once, at startup:
// a JSON file (unknown keys rejected, naming the key) overlaid with
// environment variables for top-level fields.
#ifndef BASTION_COMMON_CONFIG_CONFIG_H_
#define BASTION_COMMON_CONFIG_CONFIG_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace bastion {

// Reads an environment variable; a seam so tests need not touch the process
// environment.
using EnvLookup = std::function<std::optional<std::string>(absl::string_view)>;

// The process environment (std::getenv). Use only at startup.
EnvLookup ProcessEnv();

// Parses `json` into `config`. Unknown keys, wrong types and malformed JSON
// are INVALID_ARGUMENT with a message naming the key.
absl::Status ParseConfigJson(absl::string_view json,
                             google::protobuf::Message* config);

// For every top-level singular scalar or repeated string field `foo_bar` of
// `config`, a variable `<env_prefix>FOO_BAR` that is set overrides it
// (repeated strings are comma-separated; bools are true/false/1/0).
// A value that does not parse is INVALID_ARGUMENT naming the variable.
absl::Status ApplyEnvOverrides(absl::string_view env_prefix,
                               const EnvLookup& env,
                               google::protobuf::Message* config);

// Loads `path` (when non-empty) and then applies environment overrides.
absl::Status LoadConfig(const std::string& path, absl::string_view env_prefix,
                        const EnvLookup& env,
                        google::protobuf::Message* config);

}  // namespace bastion

#endif  // BASTION_COMMON_CONFIG_CONFIG_H_
