// HttpsFetcher against a real local HTTPS server: what it accepts (a 200
// from a server the CA vouches for) and everything it refuses (plain http,
// unknown CA, redirects, other statuses, oversized bodies, slow answers),
// with no response body in any error.
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authn/jwt/https_fetcher.h"
#include "services/authn/jwt/testing/https_test_server.h"

namespace bastion::authn::jwt {
namespace {

using ::bastion::authn::jwt::testing::HttpsTestServer;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kMarker[] = "BODY-MARKER-5c1e";

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

HttpsTestServer::Answer Answer(int status, std::string body) {
  HttpsTestServer::Answer answer;
  answer.status = status;
  answer.body = std::move(body);
  return answer;
}

class HttpsFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = HttpsTestServer::Start(TempDir());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::unique_ptr<HttpsFetcher> Fetcher(HttpsFetchOptions options) {
    auto fetcher = HttpsFetcher::Create(std::move(options));
    EXPECT_TRUE(fetcher.ok()) << fetcher.status();
    return *std::move(fetcher);
  }
  std::unique_ptr<HttpsFetcher> Fetcher() {
    HttpsFetchOptions options;
    options.ca_file = server_->ca_file();
    options.max_body_bytes = 64 * 1024;
    options.timeout = absl::Seconds(5);
    return Fetcher(options);
  }

  std::unique_ptr<HttpsTestServer> server_;
};

TEST_F(HttpsFetcherTest, ReturnsBodyAndCacheControlOfA200) {
  HttpsTestServer::Answer answer = Answer(200, R"({"keys":[]})");
  answer.cache_control = "public, max-age=600";
  server_->Set("/jwks", answer);
  auto response = Fetcher()->Get(server_->Url("/jwks"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, R"({"keys":[]})");
  EXPECT_EQ(response->cache_control, "public, max-age=600");
  // By name, too: the certificate names localhost.
  EXPECT_TRUE(Fetcher()->Get(server_->LocalhostUrl("/jwks")).ok());
}

TEST_F(HttpsFetcherTest, RefusesPlainHttpWithoutConnecting) {
  server_->Set("/jwks", Answer(200, "{}"));
  const std::string http =
      absl::StrCat("http", server_->Url("/jwks").substr(5));
  EXPECT_EQ(Fetcher()->Get(http).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->total_hits(), 0);
}

TEST_F(HttpsFetcherTest, RefusesAServerItsCasDoNotVouchFor) {
  server_->Set("/jwks", Answer(200, "{}"));
  // The system CAs do not know the test CA; neither does another test CA.
  auto system = Fetcher(HttpsFetchOptions())->Get(server_->Url("/jwks"));
  EXPECT_EQ(system.status().code(), absl::StatusCode::kUnavailable);
  auto other = HttpsTestServer::Start(TempDir());
  ASSERT_TRUE(other.ok());
  HttpsFetchOptions options;
  options.ca_file = (*other)->ca_file();
  auto wrong = Fetcher(options)->Get(server_->Url("/jwks"));
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(server_->total_hits(), 0);
}

TEST_F(HttpsFetcherTest, DoesNotFollowRedirects) {
  HttpsTestServer::Answer redirect = Answer(301, kMarker);
  redirect.location = server_->Url("/elsewhere");
  server_->Set("/jwks", redirect);
  server_->Set("/elsewhere", Answer(200, "{}"));
  auto response = Fetcher()->Get(server_->Url("/jwks"));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("301"));
  EXPECT_EQ(server_->hits("/elsewhere"), 0);
}

TEST_F(HttpsFetcherTest, OtherStatusesFailWithoutTheBody) {
  for (int status : {404, 500, 503, 204}) {
    SCOPED_TRACE(status);
    server_->Set("/jwks", Answer(status, kMarker));
    auto response = Fetcher()->Get(server_->Url("/jwks"));
    EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(std::string(response.status().message()),
                HasSubstr(absl::StrCat(status)));
    EXPECT_THAT(std::string(response.status().message()),
                Not(HasSubstr(kMarker)));
  }
}

TEST_F(HttpsFetcherTest, BodiesOverTheCapAreRefused) {
  const std::string big = std::string(1 << 20, 'x') + kMarker;
  for (bool chunked : {false, true}) {
    SCOPED_TRACE(chunked ? "chunked" : "with Content-Length");
    HttpsTestServer::Answer answer = Answer(200, big);
    answer.chunked = chunked;
    server_->Set("/jwks", answer);
    auto response = Fetcher()->Get(server_->Url("/jwks"));
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(response.status().message()),
                HasSubstr("larger than 65536"));
  }
  // Exactly at the cap is fine.
  server_->Set("/jwks", Answer(200, std::string(64 * 1024, 'x')));
  EXPECT_TRUE(Fetcher()->Get(server_->Url("/jwks")).ok());
}

TEST_F(HttpsFetcherTest, SlowAnswersTimeOut) {
  HttpsTestServer::Answer slow = Answer(200, "{}");
  slow.delay = absl::Seconds(30);
  server_->Set("/jwks", slow);
  HttpsFetchOptions options;
  options.ca_file = server_->ca_file();
  options.connect_timeout = absl::Milliseconds(200);
  options.timeout = absl::Milliseconds(200);
  const absl::Time start = absl::Now();
  auto response = Fetcher(options)->Get(server_->Url("/jwks"));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(HttpsFetcherTest, CreateRefusesBadOptions) {
  HttpsFetchOptions options;
  options.ca_file = TempDir() + "/no-such-ca.pem";
  auto fetcher = HttpsFetcher::Create(options);
  EXPECT_EQ(fetcher.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(fetcher.status().message()),
              HasSubstr("no-such-ca.pem"));
  options = HttpsFetchOptions();
  options.connect_timeout = absl::Seconds(10);
  options.timeout = absl::Seconds(1);
  EXPECT_EQ(HttpsFetcher::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = HttpsFetchOptions();
  options.max_body_bytes = 0;
  EXPECT_EQ(HttpsFetcher::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bastion::authn::jwt
