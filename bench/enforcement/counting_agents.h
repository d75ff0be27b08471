// The two Agents services the benchmark compares, behind the same counting
// wrapper: the real guarded AgentsService (enforcement on) and the same
// registry answered without a guard (enforcement off).
#ifndef BASTION_BENCH_ENFORCEMENT_COUNTING_AGENTS_H_
#define BASTION_BENCH_ENFORCEMENT_COUNTING_AGENTS_H_

#include <atomic>
#include <cstdint>

#include <grpcpp/grpcpp.h>

#include "bastion/runs/v1/runs.grpc.pb.h"
#include "services/run_executor/registry.h"

namespace bastion::bench {

// Forwards to `inner` and counts the answers by outcome, so the benchmark
// can prove that the calls h2load counted as HTTP 200 were gRPC OK (a denied
// call is HTTP 200 too). Thread-safe if `inner` is; `inner` must outlive it.
class CountingAgents final : public runs::v1::Agents::Service {
 public:
  explicit CountingAgents(runs::v1::Agents::Service* inner) : inner_(inner) {}

  grpc::Status ListAgents(grpc::ServerContext* context,
                          const runs::v1::ListAgentsRequest* request,
                          runs::v1::ListAgentsResponse* response) override;
  grpc::Status GetAgent(grpc::ServerContext* context,
                        const runs::v1::GetAgentRequest* request,
                        runs::v1::Agent* response) override;

  uint64_t ok() const { return ok_.load(std::memory_order_relaxed); }
  uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  grpc::Status Count(grpc::Status status);

  runs::v1::Agents::Service* inner_;
  std::atomic<uint64_t> ok_{0};
  std::atomic<uint64_t> failed_{0};
};

// Enforcement off: the registry exactly as AgentsService answers it, with
// no guard. Only a baseline for the benchmark; never served by Bastion.
// Thread-safe: the registry is immutable.
class UnguardedAgents final : public runs::v1::Agents::Service {
 public:
  explicit UnguardedAgents(const runs::AgentRegistry* registry)
      : registry_(registry) {}

  grpc::Status ListAgents(grpc::ServerContext* context,
                          const runs::v1::ListAgentsRequest* request,
                          runs::v1::ListAgentsResponse* response) override;
  grpc::Status GetAgent(grpc::ServerContext* context,
                        const runs::v1::GetAgentRequest* request,
                        runs::v1::Agent* response) override;

 private:
  const runs::AgentRegistry* registry_;
};

}  // namespace bastion::bench

#endif  // BASTION_BENCH_ENFORCEMENT_COUNTING_AGENTS_H_
