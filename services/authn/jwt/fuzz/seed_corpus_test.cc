// Runs the fuzz target over its checked-in seed corpus (a regression test
// for anything the fuzzer once found), and checks interoperability: the
// seeds minted by PyJWT verify, and the bad ones fail for the right reason.
#include <dirent.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/authn/jwt/fuzz/fuzz_env.h"
#include "services/authn/jwt/testing/matchers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace bastion::authn::jwt::fuzz {
namespace {

using ::bastion::authn::jwt::testing::RejectedWith;

std::string CorpusDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/", ws ? ws : "bastion",
                      "/services/authn/jwt/fuzz/corpus");
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Seed files of mode 0 are "\0" + token.
std::string Seed(const std::string& name) {
  const std::string raw = Read(CorpusDir() + "/" + name);
  return raw.empty() ? raw : raw.substr(1);
}

TEST(SeedCorpusTest, FuzzTargetRunsCleanOverEverySeed) {
  DIR* dir = opendir(CorpusDir().c_str());
  ASSERT_NE(dir, nullptr) << CorpusDir();
  int count = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const std::string data = Read(CorpusDir() + "/" + e->d_name);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()),
                           data.size());
    ++count;
  }
  closedir(dir);
  EXPECT_GE(count, 10);
}

TEST(SeedCorpusTest, PyJwtTokensVerify) {
  FuzzEnv& env = FuzzEnv::Get();
  for (const char* name : {"tok_hs256", "tok_hs256_nokid", "tok_es256",
                           "tok_eddsa", "tok_rs256", "tok_ps256"}) {
    auto t = env.verifier->Verify(Seed(name));
    ASSERT_TRUE(t.ok()) << name << ": " << t.status();
    EXPECT_EQ(t->subject, "user-1");
    EXPECT_EQ(t->tenant_id, "t1");
    EXPECT_EQ(t->scopes, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  }
  EXPECT_THAT(env.verifier->Verify(Seed("tok_none")),
              RejectedWith(Reason::kEmptySegment));
  EXPECT_THAT(env.verifier->Verify(Seed("tok_expired")),
              RejectedWith(Reason::kExpired));
  // PyJWT emits b64:false tokens with a detached (empty) payload.
  EXPECT_THAT(env.verifier->Verify(Seed("tok_crit")),
              RejectedWith(Reason::kEmptySegment));
}

}  // namespace
}  // namespace bastion::authn::jwt::fuzz
