#include "common/pg/pg_connection.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "common/pg/pg_error.h"

namespace bastion::pg {

namespace {
// Statements one connection keeps prepared at most.
constexpr size_t kMaxPreparedStatements = 256;
}  // namespace
namespace {

// The first line of a SQL constant, as a log label (constants only, so no
// user data reaches the log this way).
std::string SqlLabel(const char* sql) {
  std::string_view text(sql);
  while (!text.empty() && (text.front() == '\n' || text.front() == ' ')) {
    text.remove_prefix(1);
  }
  text = text.substr(0, text.find('\n'));
  return std::string(text.substr(0, 80));
}

std::vector<const char*> ParamValues(const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  return values;
}

bool ResultOk(const PGresult* result) {
  if (result == nullptr) return false;
  ExecStatusType status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

}  // namespace

PgResult::PgResult(PgResult&& other) noexcept
    : result_(std::exchange(other.result_, nullptr)) {}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}

int PgResult::rows() const { return result_ ? PQntuples(result_) : 0; }
int PgResult::columns() const { return result_ ? PQnfields(result_) : 0; }

int PgResult::affected_rows() const {
  if (result_ == nullptr) return 0;
  const char* n = PQcmdTuples(result_);
  return (n == nullptr || *n == '\0') ? 0 : std::atoi(n);
}

int PgResult::Column(const char* name) const {
  return result_ ? PQfnumber(result_, name) : -1;
}

bool PgResult::IsNull(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}

std::string_view PgResult::Get(int row, int column) const {
  if (IsNull(row, column)) return {};
  return std::string_view(PQgetvalue(result_, row, column),
                          PQgetlength(result_, row, column));
}

std::optional<std::string> PgResult::GetOptional(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return std::string(Get(row, column));
}

std::string_view PgResult::Get(int row, const char* column) const {
  return Get(row, Column(column));
}

bool PgResult::IsNull(int row, const char* column) const {
  return IsNull(row, Column(column));
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return absl::UnavailableError("database unavailable");
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status status = StatusFromPg(nullptr, conn, "connect");
    PQfinish(conn);
    return status;
  }
  std::unique_ptr<PgConnection> connection(new PgConnection(conn));
  // Notices (e.g. "already exists, skipping") are dropped rather than
  // printed; a FATAL one (the server ending an idle session) marks the
  // connection dead.
  PQsetNoticeReceiver(conn, &PgConnection::OnNotice, connection.get());
  return connection;
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

absl::StatusOr<PgResult> PgConnection::Execute(const Statement& statement) {
  std::vector<const char*> values = ParamValues(statement.params);
  PgResult result(PQexecParams(conn_, statement.sql,
                               static_cast<int>(values.size()),
                               /*paramTypes=*/nullptr, values.data(),
                               /*paramLengths=*/nullptr,
                               /*paramFormats=*/nullptr,
                               /*resultFormat=*/0));
  if (!ResultOk(result.get())) {
    return StatusFromPg(result.get(), conn_, SqlLabel(statement.sql));
  }
  return result;
}

absl::StatusOr<std::vector<PgResult>> PgConnection::ExecutePipeline(
    absl::Span<const Statement> statements) {
  if (PQenterPipelineMode(conn_) != 1) {
    return StatusFromPg(nullptr, conn_, "enter pipeline");
  }
  absl::Status failure;
  size_t sent = 0;
  // Statements prepared by this pipeline, in order, with the statement they
  // precede; their results come first and are consumed, not returned.
  std::vector<std::pair<size_t, std::string>> preparing;
  for (const Statement& statement : statements) {
    std::vector<const char*> values = ParamValues(statement.params);
    const int count = static_cast<int>(values.size());
    auto known = prepared_.find(std::string_view(statement.sql));
    std::string name = known != prepared_.end() ? known->second : "";
    for (const auto& [index, pending] : preparing) {
      // The same SQL twice in one pipeline: prepared by its first use.
      if (name.empty() && std::string_view(statements[index].sql) ==
                              std::string_view(statement.sql)) {
        name = pending;
      }
    }
    if (name.empty() && prepared_.size() + preparing.size() <
                            kMaxPreparedStatements) {
      name = "bst_" + std::to_string(next_statement_id_++);
      if (PQsendPrepare(conn_, name.c_str(), statement.sql, count,
                        /*paramTypes=*/nullptr) != 1) {
        failure = StatusFromPg(nullptr, conn_, SqlLabel(statement.sql));
        break;
      }
      preparing.emplace_back(sent, name);
    }
    const int ok =
        name.empty()
            ? PQsendQueryParams(conn_, statement.sql, count,
                                /*paramTypes=*/nullptr, values.data(),
                                /*paramLengths=*/nullptr,
                                /*paramFormats=*/nullptr, /*resultFormat=*/0)
            : PQsendQueryPrepared(conn_, name.c_str(), count, values.data(),
                                  /*paramLengths=*/nullptr,
                                  /*paramFormats=*/nullptr,
                                  /*resultFormat=*/0);
    if (ok != 1) {
      failure = StatusFromPg(nullptr, conn_, SqlLabel(statement.sql));
      break;
    }
    ++sent;
  }
  // The sync also flushes: everything goes out in one write.
  if (PQpipelineSync(conn_) != 1) {
    // The connection is unusable; leave it for the pool to discard.
    return failure.ok() ? StatusFromPg(nullptr, conn_, "pipeline sync")
                        : failure;
  }

  std::vector<PgResult> results;
  results.reserve(sent);
  size_t next_prepare = 0;
  for (size_t i = 0; i < sent; ++i) {
    if (next_prepare < preparing.size() && preparing[next_prepare].first == i) {
      // The Prepare's own result; remember the name only if it worked.
      PgResult prepared(PQgetResult(conn_));
      if (prepared.get() == nullptr) {
        return StatusFromPg(nullptr, conn_, "pipeline result");
      }
      if (PQresultStatus(prepared.get()) == PGRES_COMMAND_OK) {
        prepared_.emplace(statements[i].sql, preparing[next_prepare].second);
      } else if (PQresultStatus(prepared.get()) != PGRES_PIPELINE_ABORTED &&
                 failure.ok()) {
        failure =
            StatusFromPg(prepared.get(), conn_, SqlLabel(statements[i].sql));
      }
      while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
      ++next_prepare;
    }
    PgResult result(PQgetResult(conn_));
    if (result.get() == nullptr) {
      return StatusFromPg(nullptr, conn_, "pipeline result");
    }
    ExecStatusType status = PQresultStatus(result.get());
    if (!ResultOk(result.get()) && status != PGRES_PIPELINE_ABORTED &&
        failure.ok()) {
      failure = StatusFromPg(result.get(), conn_, SqlLabel(statements[i].sql));
    }
    // Each query's results end with a null.
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
    if (PQstatus(conn_) != CONNECTION_OK) {
      return failure.ok() ? StatusFromPg(nullptr, conn_, "pipeline") : failure;
    }
    results.push_back(std::move(result));
  }
  PgResult sync(PQgetResult(conn_));
  if (sync.get() == nullptr ||
      PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
    return failure.ok() ? StatusFromPg(sync.get(), conn_, "pipeline sync")
                        : failure;
  }
  if (PQexitPipelineMode(conn_) != 1) {
    return failure.ok() ? StatusFromPg(nullptr, conn_, "exit pipeline")
                        : failure;
  }
  if (!failure.ok()) return failure;
  return results;
}

absl::Status PgConnection::ExecuteScript(const char* sql) {
  PgResult result(PQexec(conn_, sql));
  if (!ResultOk(result.get())) {
    return StatusFromPg(result.get(), conn_, "script");
  }
  // PQexec returns only the last statement's result; earlier failures stop
  // the script and are reported in it, so nothing else to check.
  return absl::OkStatus();
}

bool PgConnection::IsReusable() const {
  return conn_ != nullptr && !server_ended_ &&
         PQstatus(conn_) == CONNECTION_OK &&
         PQtransactionStatus(conn_) == PQTRANS_IDLE &&
         PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
}

void PgConnection::OnNotice(void* arg, const PGresult* notice) {
  const char* severity =
      PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity != nullptr && (std::string_view(severity) == "FATAL" ||
                              std::string_view(severity) == "PANIC")) {
    static_cast<PgConnection*>(arg)->server_ended_ = true;
  }
}

bool PgConnection::CheckAlive() {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) return false;
  // Read and parse what arrived while idle: an unsolicited FATAL error goes
  // to OnNotice; end of file turns the status bad.
  if (PQconsumeInput(conn_) != 1) return false;
  if (PQisBusy(conn_) != 0) return false;
  while (PGnotify* n = PQnotifies(conn_)) PQfreemem(n);
  return !server_ended_ && PQstatus(conn_) == CONNECTION_OK;
}

int PgConnection::BackendPid() const { return PQbackendPID(conn_); }

}  // namespace bastion::pg
