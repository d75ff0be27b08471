// RAII over libpq: PgResult owns a PGresult, PgConnection owns a PGconn.
// Only parameterized statements (text parameters) are offered for request
// work; SQL text comes from named constants, never from input.
#ifndef BASTION_COMMON_PG_PG_CONNECTION_H_
#define BASTION_COMMON_PG_PG_CONNECTION_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <postgresql/libpq-fe.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace bastion::pg {

// A text parameter; std::nullopt is SQL NULL.
using Param = std::optional<std::string>;

// One parameterized statement. `sql` must be a named `constexpr char k...[]`
// constant with $1..$n placeholders; `params` binds them in order.
struct Statement {
  const char* sql;
  std::vector<Param> params;
};

// Owns one PGresult. Move-only. Accessors use row/column indexes; column
// names are resolved with Column(). Values are libpq's text format.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  int columns() const;
  // Rows changed by INSERT/UPDATE/DELETE (PQcmdTuples), 0 otherwise.
  int affected_rows() const;
  // Index of the column named `name`, or -1.
  int Column(const char* name) const;
  bool IsNull(int row, int column) const;
  // The text value; empty for NULL.
  std::string_view Get(int row, int column) const;
  std::optional<std::string> GetOptional(int row, int column) const;
  // Convenience by column name; the column must exist.
  std::string_view Get(int row, const char* column) const;
  bool IsNull(int row, const char* column) const;

  const PGresult* get() const { return result_; }

 private:
  PGresult* result_ = nullptr;
};

// Owns one PGconn. Not thread-safe: one thread at a time (the pool hands a
// connection to one lease holder).
class PgConnection {
 public:
  // Connects with a libpq conninfo string ("host=... dbname=... user=...").
  // Failure is UNAVAILABLE (the raw reason is logged).
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(
      const std::string& conninfo);

  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // Runs one parameterized statement (PQexecParams).
  absl::StatusOr<PgResult> Execute(const Statement& statement);

  // Sends every statement in pipeline mode followed by one sync, so the
  // whole batch costs one network round trip, and returns one result per
  // statement. Statements after a failing one are skipped by the server; the
  // first failure is returned. An explicit transaction opened in the batch
  // stays open (aborted on failure) for the caller to end.
  absl::StatusOr<std::vector<PgResult>> ExecutePipeline(
      absl::Span<const Statement> statements);

  // Runs a trusted multi-statement script with the simple query protocol.
  // Only for SQL compiled into the binary (migrations); never for input.
  absl::Status ExecuteScript(const char* sql);

  // True when the connection is up, idle (no open transaction) and out of
  // pipeline mode, i.e. safe to hand to the next request.
  bool IsReusable() const;

  // Reads whatever the server sent while the connection sat idle, without
  // blocking. False when the server has closed it (restart, terminated
  // backend): the pool then opens a fresh one instead of failing a request.
  bool CheckAlive();

  // Backend process id (tests use it to prove connection reuse).
  int BackendPid() const;

  PGconn* raw() const { return conn_; }

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  static void OnNotice(void* arg, const PGresult* notice);

  PGconn* conn_;
  bool server_ended_ = false;
  // Statements this connection has prepared, by SQL text: each statement is
  // parsed and planned once per connection, not once per request. Bounded
  // (kMaxPreparedStatements); past the bound, statements run unnamed.
  std::map<std::string, std::string, std::less<>> prepared_;
  // Names are never reused on a connection.
  uint64_t next_statement_id_ = 0;
};

}  // namespace bastion::pg

#endif  // BASTION_COMMON_PG_PG_CONNECTION_H_
