// Sends raw request bytes to a real server built by StartServer: a request
// that does not parse answers INVALID_ARGUMENT with a message, and its
// handler never runs; a stream of requests that simply ends keeps its
// status.
#include "common/server/malformed_request.h"

#include <atomic>
#include <future>
#include <memory>
#include <string>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/client_callback.h>
#include <grpcpp/support/server_callback.h>

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

// Reads a stream of requests to its end, then answers OK: a method whose
// requests are a stream, as server reflection's are.
class DrainingService final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext*) override {
    return new Reactor(&received);
  }
  std::atomic<int> received{0};

 private:
  class Reactor final : public grpc::ServerGenericBidiReactor {
   public:
    explicit Reactor(std::atomic<int>* received) : received_(received) {
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) {  // the client closed its side: the end of the stream
        Finish(grpc::Status::OK);
        return;
      }
      ++*received_;
      StartRead(&request_);
    }
    void OnDone() override { delete this; }

   private:
    std::atomic<int>* received_;
    grpc::ByteBuffer request_;
  };
};

// Writes `count` requests on one stream, closes its side, and waits for the
// status.
class StreamingClient final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  grpc::Status Run(std::shared_ptr<grpc::Channel> channel, const std::string& method,
                   int count) {
    left_ = count;
    grpc::Slice slice(std::string("request"));
    request_ = grpc::ByteBuffer(&slice, 1);
    grpc::GenericStub stub(std::move(channel));
    stub.PrepareBidiStreamingCall(&context_, method, grpc::StubOptions(), this);
    WriteNext();
    StartCall();
    return done_.get_future().get();
  }
  void OnWriteDone(bool ok) override {
    if (ok) WriteNext();
  }
  void OnDone(const grpc::Status& status) override { done_.set_value(status); }

 private:
  void WriteNext() {
    if (left_-- > 0) {
      StartWrite(&request_);
    } else {
      StartWritesDone();
    }
  }

  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  int left_ = 0;
  std::promise<grpc::Status> done_;
};

class MalformedRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.fallback = &draining_;
    absl::StatusOr<std::unique_ptr<RunningServer>> server = StartServer(
        options, {{&service_, test::v1::Annotated::service_full_name()}});
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
  DrainingService draining_;
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

TEST_F(MalformedRequestTest, AStreamOfRequestsThatEndsKeepsItsStatus) {
  // The read that sees the end of a request stream has no message either;
  // it is not a malformed request.
  StreamingClient client;
  grpc::Status status = client.Run(channel_, "/bastion.test.v1.Stream/Drain",
                                   /*count=*/2);
  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(draining_.received, 2);
}

}  // namespace
}  // namespace bastion
