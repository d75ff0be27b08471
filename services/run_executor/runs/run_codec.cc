#include "services/run_executor/runs/run_codec.h"

#include "absl/strings/escaping.h"
#include "common/auth/sha256.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace bastion::runs {

std::string EventKind(const v1::RunEvent& event) {
  const google::protobuf::FieldDescriptor* field =
      event.GetReflection()->GetOneofFieldDescriptor(
          event, v1::RunEvent::descriptor()->FindOneofByName("event"));
  return field == nullptr ? "" : field->name();
}

bool EndsRun(const v1::RunEvent& event) {
  return event.has_completed() || event.has_failed() || event.has_cancelled() ||
         event.has_paused();
}

absl::StatusOr<data::v1::RunEventRecord> ToRecord(const v1::RunEvent& event) {
  data::v1::RunEventRecord record;
  record.set_type(EventKind(event));
  if (record.type().empty()) {
    return absl::InvalidArgumentError("run event without a payload");
  }
  v1::RunEvent payload = event;
  payload.clear_run_id();
  payload.clear_seq();
  payload.clear_created_at_unix();
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(payload, &json, options).ok()) {
    return absl::InternalError("run event not encodable");
  }
  record.set_payload_json(std::move(json));
  return record;
}

absl::StatusOr<v1::RunEvent> FromRecord(const data::v1::RunEventRecord& record) {
  v1::RunEvent event;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(record.payload_json(), &event,
                                                   options)
           .ok() ||
      EventKind(event) != record.type()) {
    return absl::InternalError("stored run event does not parse");
  }
  event.set_run_id(record.run_id());
  event.set_seq(record.seq());
  event.set_created_at_unix(record.created_at_unix_micros() / 1000000);
  return event;
}

std::string InputJson(const std::string& input) {
  return nlohmann::json(input).dump(-1, ' ', false,
                                    nlohmann::json::error_handler_t::replace);
}

std::string InputOf(const std::string& input_json) {
  const nlohmann::json parsed =
      nlohmann::json::parse(input_json, nullptr, /*allow_exceptions=*/false);
  return parsed.is_string() ? parsed.get<std::string>() : input_json;
}

v1::Run ToRun(const data::v1::RunRecord& record) {
  v1::Run run;
  run.set_run_id(record.run_id());
  run.set_component_type(record.component_type());
  run.set_component_id(record.component_id());
  run.set_session_id(record.session_id());
  run.set_tenant_id(record.tenant_id());
  run.set_user_id(record.user_id());
  run.set_status(record.status());
  run.set_input(InputOf(record.input_json()));
  run.set_output(record.output());
  run.set_error(record.error());
  for (const data::v1::PausedToolCall& paused : record.paused_tool_calls()) {
    v1::ToolCall* call = run.add_pending_tool_calls();
    call->set_tool_call_id(paused.tool_call_id());
    call->set_tool_name(paused.tool_name());
    call->set_arguments_json(paused.arguments_json());
    call->set_requires_confirmation(paused.requires_confirmation());
    call->set_requires_approval(paused.requires_approval());
    call->set_approval_id(paused.approval_id());
    *call->mutable_user_input_fields() = paused.user_input_fields();
    call->set_external_execution(paused.external_execution());
    call->set_audit_confirmation(paused.audit_confirmation());
  }
  run.set_created_at_unix(record.created_at_unix_micros() / 1000000);
  run.set_updated_at_unix(record.updated_at_unix_micros() / 1000000);
  return run;
}

std::string ArgumentsSha256(const std::string& arguments_json) {
  const nlohmann::json parsed =
      nlohmann::json::parse(arguments_json, nullptr, /*allow_exceptions=*/false);
  const std::string canonical =
      parsed.is_discarded()
          ? arguments_json
          : parsed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return absl::BytesToHexString(Sha256(canonical));
}

data::v1::PausedToolCall ToPaused(const v1::ToolCall& call) {
  data::v1::PausedToolCall paused;
  paused.set_tool_call_id(call.tool_call_id());
  paused.set_tool_name(call.tool_name());
  paused.set_arguments_json(call.arguments_json());
  paused.set_requires_confirmation(call.requires_confirmation());
  paused.set_requires_approval(call.requires_approval());
  paused.set_approval_id(call.approval_id());
  *paused.mutable_user_input_fields() = call.user_input_fields();
  paused.set_external_execution(call.external_execution());
  paused.set_audit_confirmation(call.audit_confirmation());
  return paused;
}

absl::StatusOr<data::v1::AppendRunEventsRequest> EndAppend(
    const std::string& run_id, const v1::RunEvent& event,
    common::v1::RunStatus expected) {
  if (!EndsRun(event)) {
    return absl::InvalidArgumentError("the event does not end the run");
  }
  absl::StatusOr<data::v1::RunEventRecord> record = ToRecord(event);
  if (!record.ok()) return record.status();
  data::v1::AppendRunEventsRequest request;
  request.set_run_id(run_id);
  *request.add_events() = *std::move(record);
  data::v1::RunEnd* end = request.mutable_end();
  end->set_expected_status(expected);
  if (event.has_completed()) {
    end->set_status(common::v1::RUN_STATUS_COMPLETED);
    end->set_output(event.completed().output());
  } else if (event.has_failed()) {
    end->set_status(common::v1::RUN_STATUS_FAILED);
    end->set_error(event.failed().message());
  } else if (event.has_cancelled()) {
    end->set_status(common::v1::RUN_STATUS_CANCELLED);
  } else {
    end->set_status(common::v1::RUN_STATUS_PAUSED);
    for (const v1::ToolCall& call : event.paused().requirements()) {
      *end->add_paused_tool_calls() = ToPaused(call);
    }
  }
  return request;
}

bool IsFinal(common::v1::RunStatus status) {
  return status == common::v1::RUN_STATUS_COMPLETED ||
         status == common::v1::RUN_STATUS_FAILED ||
         status == common::v1::RUN_STATUS_CANCELLED;
}

}  // namespace bastion::runs
