// The credential store: what a pasted credential may look like, the
// configuration folder's location, and a file written 0600 that is refused
// when anyone else could read or swap it.
#include "tools/cli/credentials.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::cli {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kJwt[] = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.c2ln";

class CredentialStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        std::string(std::getenv("TEST_TMPDIR")) + "/creds.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }

  static mode_t ModeOf(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(lstat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
  }

  static StoredCredential Alice() {
    StoredCredential credential;
    credential.kind = CredentialKind::kJwt;
    credential.secret = kJwt;
    credential.subject = "alice";
    credential.tenant = "t1";
    credential.expires_at_unix = 1700000000;
    return credential;
  }

  std::string root_;
};

TEST(ParseCredentialTest, TellsTokensFromApiKeysAndTrimsThePaste) {
  absl::StatusOr<StoredCredential> jwt =
      ParseCredential(std::string("  ") + kJwt + "\n");
  ASSERT_THAT(jwt, IsOk());
  EXPECT_EQ(jwt->kind, CredentialKind::kJwt);
  EXPECT_EQ(jwt->secret, kJwt);
  absl::StatusOr<StoredCredential> key = ParseCredential("bst_abcDEF-_123\r\n");
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->kind, CredentialKind::kApiKey);
  EXPECT_EQ(key->secret, "bst_abcDEF-_123");
}

TEST(ParseCredentialTest, RefusesWhatIsNeitherWithoutEchoingIt) {
  for (const std::string& bad :
       {std::string(""), std::string("   \n"), std::string("bst_"),
        std::string("a.b"), std::string("a..c"), std::string("a.b.c.d"),
        std::string("password123"), std::string("bst_with space"),
        std::string("a.b\x1b.c"), std::string(8193, 'a')}) {
    absl::StatusOr<StoredCredential> parsed = ParseCredential(bad);
    EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    if (bad.size() > 4) {
      EXPECT_THAT(std::string(parsed.status().message()), Not(HasSubstr(bad)))
          << bad;
    }
  }
  EXPECT_THAT(ParseCredential("bst_" + std::string(8188, 'a')),
              IsOk());  // 8192 bytes
}

TEST(ConfigDirTest, PrefersBastionConfigDirThenXdgThenHome) {
  EXPECT_EQ(*ConfigDir({{"BASTION_CONFIG_DIR", "/c"},
                        {"XDG_CONFIG_HOME", "/x"},
                        {"HOME", "/h"}}),
            "/c");
  EXPECT_EQ(*ConfigDir({{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}}),
            "/x/bastion");
  EXPECT_EQ(*ConfigDir({{"HOME", "/h"}}), "/h/.config/bastion");
  EXPECT_THAT(ConfigDir({}), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(CredentialStoreTest, SavesWithMode0600InA0700FolderAndLoadsItBack) {
  CredentialStore store(root_ + "/new/bastion");
  umask(0);  // the modes must not depend on the caller's umask
  ASSERT_THAT(store.Save(Alice()), IsOk());
  umask(022);
  EXPECT_EQ(ModeOf(store.path()), 0600u);
  EXPECT_EQ(ModeOf(root_ + "/new/bastion"), 0700u);
  absl::StatusOr<StoredCredential> loaded = store.Load();
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->secret, kJwt);
  EXPECT_EQ(loaded->kind, CredentialKind::kJwt);
  EXPECT_EQ(loaded->subject, "alice");
  EXPECT_EQ(loaded->tenant, "t1");
  EXPECT_EQ(loaded->expires_at_unix, 1700000000);
}

TEST_F(CredentialStoreTest, SavingAgainReplacesTheFileAndTightensItsMode) {
  CredentialStore store(root_);
  ASSERT_THAT(store.Save(Alice()), IsOk());
  ASSERT_EQ(chmod(store.path().c_str(), 0644), 0);
  StoredCredential key = Alice();
  key.kind = CredentialKind::kApiKey;
  key.secret = "bst_second";
  ASSERT_THAT(store.Save(key), IsOk());
  EXPECT_EQ(ModeOf(store.path()), 0600u);
  EXPECT_EQ(store.Load()->secret, "bst_second");
  EXPECT_EQ(store.Load()->kind, CredentialKind::kApiKey);
}

TEST_F(CredentialStoreTest, NoFileMeansNotLoggedIn) {
  EXPECT_THAT(CredentialStore(root_).Load(),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(CredentialStoreTest, RefusesAFileGroupOrOthersMayAccess) {
  CredentialStore store(root_);
  ASSERT_THAT(store.Save(Alice()), IsOk());
  for (mode_t mode : {0640, 0604, 0620, 0602, 0660, 0644, 0666, 0610}) {
    ASSERT_EQ(chmod(store.path().c_str(), mode), 0);
    absl::StatusOr<StoredCredential> loaded = store.Load();
    EXPECT_THAT(loaded, StatusIs(absl::StatusCode::kFailedPrecondition))
        << std::oct << mode;
    EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("chmod 600"));
    EXPECT_THAT(std::string(loaded.status().message()), Not(HasSubstr(kJwt)));
  }
  ASSERT_EQ(chmod(store.path().c_str(), 0400), 0);
  EXPECT_THAT(store.Load(), IsOk());
}

TEST_F(CredentialStoreTest, RefusesASymlinkADirectoryAndAFifo) {
  CredentialStore real(root_ + "/real");
  ASSERT_THAT(real.Save(Alice()), IsOk());

  CredentialStore linked(root_ + "/linked");
  ASSERT_EQ(mkdir((root_ + "/linked").c_str(), 0700), 0);
  ASSERT_EQ(symlink(real.path().c_str(), linked.path().c_str()), 0);
  EXPECT_THAT(linked.Load(), StatusIs(absl::StatusCode::kFailedPrecondition));

  CredentialStore folder(root_ + "/folder");
  ASSERT_EQ(mkdir((root_ + "/folder").c_str(), 0700), 0);
  ASSERT_EQ(mkdir(folder.path().c_str(), 0700), 0);
  EXPECT_THAT(folder.Load(), StatusIs(absl::StatusCode::kFailedPrecondition));

  CredentialStore fifo(root_ + "/fifo");
  ASSERT_EQ(mkdir((root_ + "/fifo").c_str(), 0700), 0);
  ASSERT_EQ(mkfifo(fifo.path().c_str(), 0600), 0);
  EXPECT_THAT(fifo.Load(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(CredentialStoreTest, RefusesGarbledAndOversizedFiles) {
  CredentialStore store(root_);
  const auto write = [&](const std::string& text) {
    std::ofstream(store.path(), std::ios::trunc) << text;
    ASSERT_EQ(chmod(store.path().c_str(), 0600), 0);
  };
  for (const std::string& bad :
       {std::string("not json"), std::string("[]"), std::string("{}"),
        std::string("{\"credential\": 5}"),
        std::string("{\"credential\": \"password\"}")}) {
    write(bad);
    EXPECT_THAT(store.Load(), StatusIs(absl::StatusCode::kFailedPrecondition))
        << bad;
  }
  write("{\"credential\": \"" + std::string(kJwt) + "\", \"pad\": \"" +
        std::string(70000, 'x') + "\"}");
  EXPECT_THAT(store.Load(), StatusIs(absl::StatusCode::kFailedPrecondition));
  write("{\"credential\": \"" + std::string(kJwt) + "\"}");
  EXPECT_THAT(store.Load(), IsOk());
}

TEST_F(CredentialStoreTest, RemoveSaysWhetherThereWasACredential) {
  CredentialStore store(root_);
  ASSERT_THAT(store.Save(Alice()), IsOk());
  EXPECT_EQ(*store.Remove(), true);
  EXPECT_EQ(*store.Remove(), false);
  EXPECT_THAT(store.Load(), StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace bastion::cli
