// Sends raw request bytes to a real server built by StartServer: a request
// that does not parse answers INVALID_ARGUMENT with a message, and its
// handler never runs.
#include "common/server/malformed_request.h"

#include <atomic>
#include <future>
#include <memory>
#include <string>

#include <grpcpp/generic/generic_stub.h>

#include "bastion/test/v1/test.grpc.pb.h"
#include "common/server/server.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

class EchoService final : public test::v1::Annotated::Service {
 public:
  grpc::Status Flat(grpc::ServerContext*, const test::v1::EchoRequest* request,
                    test::v1::EchoResponse* response) override {
    ++handled;
    response->set_text(request->thing_id());
    return grpc::Status::OK;
  }
  std::atomic<int> handled{0};
};

class MalformedRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RunningServer>> server = StartServer(
        ServerOptions(), {{&service_, test::v1::Annotated::service_full_name()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
  }

  // Calls Annotated/Flat with `bytes` as the serialized request.
  grpc::Status CallWithBytes(const std::string& bytes) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, "/bastion.test.v1.Annotated/Flat",
                   grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status status) { done.set_value(status); });
    return done.get_future().get();
  }

  EchoService service_;
  std::unique_ptr<RunningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Field 2 (thing_id, a proto3 string), length-delimited.
std::string ThingIdField(const std::string& value) {
  return std::string("\x12", 1) + static_cast<char>(value.size()) + value;
}

TEST_F(MalformedRequestTest, InvalidUtf8InAStringIsInvalidArgument) {
  grpc::Status status = CallWithBytes(ThingIdField("\xff\xfe"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), kMalformedRequestMessage);
  // Bytes that are not a message at all: the same.
  status = CallWithBytes("\x12\x7f");  // claims 127 bytes that are not there
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(service_.handled, 0);
}

TEST_F(MalformedRequestTest, AWellFormedRequestIsUntouched) {
  EXPECT_TRUE(CallWithBytes(ThingIdField("caf\xc3\xa9")).ok());
  EXPECT_TRUE(CallWithBytes("").ok());  // an empty message is a message
  EXPECT_EQ(service_.handled, 2);
}

}  // namespace
}  // namespace bastion
