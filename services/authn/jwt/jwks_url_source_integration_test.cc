// JwksUrlSource against a real local HTTPS server (a throwaway CA, 127.0.0.1
// port 0): first fetch, Cache-Control within bounds, rotation, outage, slow
// answer, garbage, an unknown-kid flood and OpenID discovery. Freshness and
// intervals run on a FakeClock; only fetches and bounded waits take real
// time.
#include <atomic>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/clock/fake_clock.h"
#include "services/authn/jwt/jwks_url_source.h"
#include "services/authn/jwt/jwt_verifier.h"
#include "services/authn/jwt/oidc_discovery.h"
#include "services/authn/jwt/testing/https_test_server.h"
#include "services/authn/jwt/testing/matchers.h"
#include "services/authn/jwt/testing/test_keys.h"

namespace bastion::authn::jwt {
namespace {

using ::bastion::authn::jwt::testing::HttpsTestServer;
using ::bastion::authn::jwt::testing::MintToken;
using ::bastion::authn::jwt::testing::RejectedWith;
using ::bastion::authn::jwt::testing::TestKey;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kIssuer[] = "https://idp.test";
// Put in every bad answer: it must never reach a log line or an error.
constexpr char kMarker[] = "BODY-MARKER-7f3a";

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string Jwks(const std::vector<std::string>& keys) {
  return absl::StrCat(R"({"keys":[)", absl::StrJoin(keys, ","), "]}");
}

HttpsTestServer::Answer Ok(std::string body, std::string cache_control = "") {
  HttpsTestServer::Answer answer;
  answer.body = std::move(body);
  answer.cache_control = std::move(cache_control);
  return answer;
}

class JwksUrlSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = HttpsTestServer::Start(TempDir());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->Set("/jwks", Ok(Jwks({old_.Jwk("old", "EdDSA")}), "max-age=300"));
  }

  JwksUrlOptions Options(const std::string& path = "/jwks") const {
    JwksUrlOptions options;
    options.url = server_->Url(path);
    options.fetch.ca_file = server_->ca_file();
    options.fetch.connect_timeout = absl::Seconds(2);
    options.fetch.timeout = absl::Seconds(5);
    options.min_cache = absl::Seconds(60);
    options.max_cache = absl::Hours(1);
    options.refetch_interval = absl::Seconds(30);
    options.unknown_kid_wait = absl::Seconds(5);
    return options;
  }

  std::shared_ptr<JwksUrlSource> Create(JwksUrlOptions options) {
    auto source = JwksUrlSource::Create(std::move(options), &clock_);
    EXPECT_TRUE(source.ok()) << source.status();
    return source.ok() ? std::shared_ptr<JwksUrlSource>(*std::move(source))
                       : nullptr;
  }

  std::unique_ptr<JwtVerifier> Verifier(std::shared_ptr<KeySource> keys) {
    JwtVerifierOptions options;
    options.claims.allowed_issuers = {kIssuer};
    options.claims.audiences = {"bastion"};
    options.claims.default_tenant = "t1";
    auto verifier = JwtVerifier::Create(options, std::move(keys), &clock_);
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return *std::move(verifier);
  }

  std::string Token(const TestKey& key, const std::string& kid) const {
    const int64_t now = absl::ToUnixSeconds(clock_.Now());
    return MintToken(
        absl::StrCat(R"({"alg":"EdDSA","kid":")", kid, R"("})"),
        absl::StrCat(R"({"iss":")", kIssuer, R"(","aud":"bastion","sub":"u1",)",
                     R"("iat":)", now, R"(,"exp":)", now + 600, "}"),
        key, Algorithm::kEdDSA);
  }

  // Lets the source's refresh (if one started) finish.
  static void Settle(const JwksUrlSource& source) {
    ASSERT_TRUE(source.WaitIdle(absl::Seconds(20)));
  }

  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  std::unique_ptr<HttpsTestServer> server_;
  const TestKey old_ = TestKey::Ed25519();
  const TestKey new_ = TestKey::Ed25519();
};

TEST_F(JwksUrlSourceTest, FirstFetchVerifiesTokens) {
  std::shared_ptr<JwksUrlSource> source = Create(Options());
  ASSERT_NE(source, nullptr);
  EXPECT_NE(source->Current()->FindByKid("old"), nullptr);
  EXPECT_TRUE(Verifier(source)->Verify(Token(old_, "old")).ok());
  EXPECT_EQ(server_->hits("/jwks"), 1);
  EXPECT_EQ(source->stats().fetches, 1);
}

TEST_F(JwksUrlSourceTest, NoGoodFirstFetchRefusesToStart) {
  HttpsTestServer::Answer error = Ok(kMarker);
  error.status = 500;
  server_->Set("/jwks", error);
  auto source = JwksUrlSource::Create(Options(), &clock_);
  EXPECT_EQ(source.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(source.status().message()), HasSubstr("500"));
  EXPECT_THAT(std::string(source.status().message()),
              HasSubstr(server_->Url("/jwks")));

  server_->Set("/jwks", Ok(absl::StrCat("{\"keys\": \"", kMarker, "\"}")));
  source = JwksUrlSource::Create(Options(), &clock_);
  EXPECT_EQ(source.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(source.status().message()), Not(HasSubstr(kMarker)));

  server_->Stop();
  source = JwksUrlSource::Create(Options(), &clock_);
  EXPECT_EQ(source.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(JwksUrlSourceTest, RefusesPlainHttpAndBadBounds) {
  JwksUrlOptions options = Options();
  options.url = absl::StrCat("http://127.0.0.1:", 1, "/jwks");
  EXPECT_EQ(JwksUrlSource::Create(options, &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Options();
  options.min_cache = absl::Hours(2);  // Above max_cache.
  EXPECT_EQ(JwksUrlSource::Create(options, &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Options();
  options.refetch_interval = absl::ZeroDuration();
  EXPECT_EQ(JwksUrlSource::Create(options, &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->total_hits(), 0);
}

TEST_F(JwksUrlSourceTest, CacheControlIsHonouredWithinBounds) {
  struct Case {
    std::string cache_control;
    absl::Duration lifetime;
  };
  // Bounds from Options(): [60 s, 1 h].
  for (const Case& c : std::vector<Case>{
           {"max-age=300", absl::Seconds(300)},
           {"public, max-age=5", absl::Seconds(60)},
           {"max-age=999999", absl::Hours(1)},
           {"no-store", absl::Seconds(60)},
           {"", absl::Seconds(60)},
       }) {
    SCOPED_TRACE(c.cache_control);
    server_->Set("/jwks",
                 Ok(Jwks({old_.Jwk("old", "EdDSA")}), c.cache_control));
    std::shared_ptr<JwksUrlSource> source = Create(Options());
    ASSERT_NE(source, nullptr);
    EXPECT_EQ(source->stats().fresh_until, clock_.Now() + c.lifetime);
  }
}

TEST_F(JwksUrlSourceTest, StaleSetIsRefetchedInTheBackgroundNotBefore) {
  std::shared_ptr<JwksUrlSource> source = Create(Options());  // max-age=300
  ASSERT_NE(source, nullptr);
  const uint64_t generation = source->Current()->generation();
  clock_.Advance(absl::Seconds(299));
  source->Current();
  Settle(*source);
  EXPECT_EQ(server_->hits("/jwks"), 1);

  clock_.Advance(absl::Seconds(2));
  // Answers at once with the stale set; the fetch runs on its own thread.
  EXPECT_EQ(source->Current()->generation(), generation);
  Settle(*source);
  EXPECT_EQ(server_->hits("/jwks"), 2);
  // The same document keeps the same set (verified-token cache stays valid).
  EXPECT_EQ(source->Current()->generation(), generation);
  EXPECT_EQ(source->stats().fresh_until, clock_.Now() + absl::Seconds(300));
}

TEST_F(JwksUrlSourceTest, RotationNewKidIsAcceptedAfterOneRefetch) {
  std::shared_ptr<JwksUrlSource> source = Create(Options());
  ASSERT_NE(source, nullptr);
  std::unique_ptr<JwtVerifier> verifier = Verifier(source);
  server_->Set("/jwks",
               Ok(Jwks({old_.Jwk("old", "EdDSA"), new_.Jwk("new", "EdDSA")}),
                  "max-age=300"));

  // Within the refetch interval of the first fetch: refused, nothing fetched.
  clock_.Advance(absl::Seconds(10));
  EXPECT_THAT(verifier->Verify(Token(new_, "new")),
              RejectedWith(Reason::kUnknownKid));
  EXPECT_EQ(server_->hits("/jwks"), 1);

  // After it: one refetch, and the same call accepts the token.
  clock_.Advance(absl::Seconds(20));
  EXPECT_TRUE(verifier->Verify(Token(new_, "new")).ok());
  EXPECT_EQ(server_->hits("/jwks"), 2);
  EXPECT_EQ(source->stats().unknown_kid_fetches, 1);
  EXPECT_TRUE(verifier->Verify(Token(old_, "old")).ok());

  // The provider retires the old key: gone once the set goes stale.
  server_->Set("/jwks", Ok(Jwks({new_.Jwk("new", "EdDSA")}), "max-age=300"));
  clock_.Advance(absl::Seconds(301));
  source->Current();
  Settle(*source);
  EXPECT_THAT(verifier->Verify(Token(old_, "old")),
              RejectedWith(Reason::kUnknownKid));
  EXPECT_TRUE(verifier->Verify(Token(new_, "new")).ok());
}

TEST_F(JwksUrlSourceTest, OutageKeepsTheLastGoodKeysAndLogsOncePerInterval) {
  std::shared_ptr<JwksUrlSource> source = Create(Options());
  ASSERT_NE(source, nullptr);
  std::unique_ptr<JwtVerifier> verifier = Verifier(source);
  server_->Stop();

  ::testing::internal::CaptureStderr();
  clock_.Advance(absl::Seconds(301));
  source->Current();
  Settle(*source);
  EXPECT_TRUE(verifier->Verify(Token(old_, "old")).ok());
  // Within the interval: no new attempt, however many requests.
  for (int i = 0; i < 20; ++i) {
    clock_.Advance(absl::Seconds(1));
    EXPECT_TRUE(verifier->Verify(Token(old_, "old")).ok());
    Settle(*source);
  }
  EXPECT_EQ(source->stats().failures, 1);
  clock_.Advance(absl::Seconds(10));
  source->Current();
  Settle(*source);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(source->stats().failures, 2);
  EXPECT_EQ(source->stats().last_error.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(source->stats().fetches, 3);
  size_t lines = 0;
  for (size_t at = log.find("jwks_fetch_failed"); at != std::string::npos;
       at = log.find("jwks_fetch_failed", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 2u) << log;
  EXPECT_THAT(log, HasSubstr(server_->Url("/jwks")));
  EXPECT_TRUE(verifier->Verify(Token(old_, "old")).ok());

  // The provider comes back, rotated: the next attempt picks it up.
  server_->Set("/jwks", Ok(Jwks({new_.Jwk("new", "EdDSA")}), "max-age=300"));
  ASSERT_TRUE(server_->Restart().ok());
  clock_.Advance(absl::Seconds(30));
  EXPECT_TRUE(verifier->Verify(Token(new_, "new")).ok());
  EXPECT_TRUE(source->stats().last_error.ok());
}

TEST_F(JwksUrlSourceTest, SlowAnswerNeverBlocksRequestsBeyondTheWait) {
  JwksUrlOptions options = Options();
  options.fetch.connect_timeout = absl::Milliseconds(300);
  options.fetch.timeout = absl::Milliseconds(300);
  options.unknown_kid_wait = absl::Milliseconds(100);
  std::shared_ptr<JwksUrlSource> source = Create(options);
  ASSERT_NE(source, nullptr);
  std::unique_ptr<JwtVerifier> verifier = Verifier(source);
  HttpsTestServer::Answer slow =
      Ok(Jwks({old_.Jwk("old", "EdDSA"), new_.Jwk("new", "EdDSA")}));
  slow.delay = absl::Seconds(10);
  server_->Set("/jwks", slow);

  clock_.Advance(absl::Seconds(30));
  absl::Time start = absl::Now();
  EXPECT_THAT(verifier->Verify(Token(new_, "new")),
              RejectedWith(Reason::kUnknownKid));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  // While the fetch hangs, known keys verify without waiting for it.
  start = absl::Now();
  EXPECT_TRUE(verifier->Verify(Token(old_, "old")).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  // Another unknown kid joins the fetch in flight (no second fetch).
  EXPECT_THAT(verifier->Verify(Token(new_, "other")),
              RejectedWith(Reason::kUnknownKid));

  Settle(*source);  // The fetch times out after 300 ms.
  EXPECT_EQ(source->stats().failures, 1);
  EXPECT_THAT(std::string(source->stats().last_error.message()),
              HasSubstr("Timeout"));
  EXPECT_EQ(source->stats().fetches, 2);
  EXPECT_TRUE(verifier->Verify(Token(old_, "old")).ok());
}

TEST_F(JwksUrlSourceTest, GarbageKeepsTheKeysAndNeverLogsTheBody) {
  std::vector<std::pair<std::string, HttpsTestServer::Answer>> answers;
  answers.emplace_back("not JSON", Ok(absl::StrCat("<html>", kMarker)));
  answers.emplace_back("keys not an array",
                       Ok(absl::StrCat(R"({"keys":{"k":")", kMarker, "\"}}")));
  answers.emplace_back("an array", Ok(absl::StrCat("[\"", kMarker, "\"]")));
  answers.emplace_back("no keys", Ok(R"({"keys":[]})"));
  answers.emplace_back(
      "private key member",
      Ok(Jwks({
          new_.Jwk("new", "EdDSA", absl::StrCat(R"("d":")", kMarker, "\"")),
      })));
  answers.emplace_back(
      "huge", Ok(absl::StrCat(R"({"keys":[], "pad":")",
                              std::string(2 << 20, 'x'), kMarker, "\"}")));
  HttpsTestServer::Answer error = Ok(kMarker);
  error.status = 503;
  answers.emplace_back("HTTP 503", error);
  HttpsTestServer::Answer redirect = Ok(kMarker);
  redirect.status = 302;
  redirect.location = server_->Url("/elsewhere");
  answers.emplace_back("redirect", redirect);
  server_->Set("/elsewhere", Ok(Jwks({new_.Jwk("new", "EdDSA")})));

  JwksUrlOptions options = Options();
  options.fetch.max_body_bytes = 64 * 1024;
  std::shared_ptr<JwksUrlSource> source = Create(options);
  ASSERT_NE(source, nullptr);
  std::unique_ptr<JwtVerifier> verifier = Verifier(source);
  int64_t failures = 0;
  for (const auto& [name, answer] : answers) {
    SCOPED_TRACE(name);
    server_->Set("/jwks", answer);
    ::testing::internal::CaptureStderr();
    clock_.Advance(absl::Hours(2));
    source->Current();
    Settle(*source);
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(source->stats().failures, ++failures);
    EXPECT_THAT(log, HasSubstr("jwks_fetch_failed"));
    EXPECT_THAT(log, Not(HasSubstr(kMarker)));
    EXPECT_THAT(std::string(source->stats().last_error.message()),
                Not(HasSubstr(kMarker)));
    EXPECT_TRUE(verifier->Verify(Token(old_, "old")).ok());
    EXPECT_EQ(source->Current()->FindByKid("new"), nullptr);
  }
  EXPECT_EQ(server_->hits("/elsewhere"), 0);  // Redirects are not followed.
}

TEST_F(JwksUrlSourceTest, UnknownKidFloodCostsAtMostOneFetchPerInterval) {
  std::shared_ptr<JwksUrlSource> source = Create(Options());
  ASSERT_NE(source, nullptr);
  std::unique_ptr<JwtVerifier> verifier = Verifier(source);
  const TestKey attacker = TestKey::Ed25519();
  std::mt19937_64 random(std::random_device{}());
  std::vector<std::string> forged;
  for (int i = 0; i < 1000; ++i) {
    forged.push_back(Token(attacker, absl::StrCat(absl::Hex(random()))));
  }
  for (int round = 1; round <= 2; ++round) {
    SCOPED_TRACE(round);
    clock_.Advance(absl::Seconds(30));
    std::atomic<int> rejected{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (size_t i = t; i < forged.size(); i += 8) {
          if (ReasonOf(verifier->Verify(forged[i]).status()) ==
              Reason::kUnknownKid) {
            ++rejected;
          }
        }
      });
    }
    EXPECT_TRUE(verifier->Verify(Token(old_, "old")).ok());
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(rejected.load(), 1000);
    EXPECT_EQ(server_->hits("/jwks"), 1 + round);
    EXPECT_EQ(source->stats().unknown_kid_fetches, round);
  }
}

TEST_F(JwksUrlSourceTest, DiscoveryDocumentIsFollowed) {
  const std::string issuer = server_->Url("");
  server_->Set(std::string(kDiscoveryPath),
               Ok(absl::StrCat(R"({"issuer":")", issuer, R"(","jwks_uri":")",
                               server_->Url("/keys"), R"("})")));
  server_->Set("/keys", Ok(Jwks({old_.Jwk("old", "EdDSA")}), "max-age=300"));
  std::shared_ptr<JwksUrlSource> source =
      Create(Options(std::string(kDiscoveryPath)));
  ASSERT_NE(source, nullptr);
  EXPECT_TRUE(Verifier(source)->Verify(Token(old_, "old")).ok());
  EXPECT_EQ(server_->hits(std::string(kDiscoveryPath)), 1);
  EXPECT_EQ(server_->hits("/keys"), 1);

  // A refresh goes straight to the keys.
  clock_.Advance(absl::Seconds(301));
  source->Current();
  Settle(*source);
  EXPECT_EQ(server_->hits(std::string(kDiscoveryPath)), 1);
  EXPECT_EQ(server_->hits("/keys"), 2);

  // The keys moved: the failed fetch makes the next attempt rediscover.
  server_->Set("/keys", Ok("gone", "max-age=300"));
  server_->Set("/moved", Ok(Jwks({new_.Jwk("new", "EdDSA")}), "max-age=300"));
  server_->Set(std::string(kDiscoveryPath),
               Ok(absl::StrCat(R"({"issuer":")", issuer, R"(","jwks_uri":")",
                               server_->Url("/moved"), R"("})")));
  clock_.Advance(absl::Seconds(301));
  source->Current();
  Settle(*source);
  EXPECT_EQ(source->stats().failures, 1);
  clock_.Advance(absl::Seconds(30));
  source->Current();
  Settle(*source);
  EXPECT_EQ(server_->hits(std::string(kDiscoveryPath)), 2);
  EXPECT_NE(source->Current()->FindByKid("new"), nullptr);
}

TEST_F(JwksUrlSourceTest, DiscoveryNamingAnotherIssuerIsRefused) {
  server_->Set("/keys", Ok(Jwks({old_.Jwk("old", "EdDSA")})));
  for (const std::string& document :
       {absl::StrCat(R"({"issuer":"https://evil.example","jwks_uri":")",
                     server_->Url("/keys"), R"("})"),
        // The same host spelled differently is another issuer.
        absl::StrCat(R"({"issuer":")", server_->LocalhostUrl(""),
                     R"(","jwks_uri":")", server_->Url("/keys"), R"("})"),
        absl::StrCat(R"({"issuer":")", server_->Url(""),
                     R"(","jwks_uri":"http://127.0.0.1:1/keys"})")}) {
    SCOPED_TRACE(document);
    server_->Set(std::string(kDiscoveryPath), Ok(document));
    auto source =
        JwksUrlSource::Create(Options(std::string(kDiscoveryPath)), &clock_);
    EXPECT_EQ(source.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(std::string(source.status().message()), HasSubstr("discovery"));
  }
  EXPECT_EQ(server_->hits("/keys"), 0);
}

}  // namespace
}  // namespace bastion::authn::jwt
