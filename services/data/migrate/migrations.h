// The data service's SQL migrations, compiled into the binary from
// services/data/migrations/NNNN_name.sql (see embed_sql.sh).
#ifndef BASTION_SERVICES_DATA_MIGRATE_MIGRATIONS_H_
#define BASTION_SERVICES_DATA_MIGRATE_MIGRATIONS_H_

#include <vector>

namespace bastion::data::migrate {

// One versioned migration: a trusted SQL script run in its own transaction.
struct Migration {
  int version;       // 1, 2, 3... (the file's NNNN)
  const char* name;  // the file's name part
  const char* sql;   // the file's text
};

// Every embedded migration, ordered by version (1..N, no gaps).
const std::vector<Migration>& EmbeddedMigrations();

}  // namespace bastion::data::migrate

#endif  // BASTION_SERVICES_DATA_MIGRATE_MIGRATIONS_H_
