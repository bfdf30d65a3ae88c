// `attestmq attest` as a process (DESIGN.md section 4) against the fake attested broker over
// real TLS on 127.0.0.1: the verdict, the claims and every check on stdout, the failed check
// on stderr, and the exit status.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "fake_attested_broker.hpp"
#include "test_pki.hpp"

namespace attestmq::client::testing {
namespace {

test::TestPki& pki() {
  static test::TestPki instance;
  return instance;
}

struct ProcessRun {
  int exit_status = -1;
  std::string output;  // stdout and stderr
};

ProcessRun run_attest(const std::string& arguments) {
  const std::string command = std::string(ATTESTMQ_BINARY) + " attest " + arguments + " 2>&1";
  ProcessRun run;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  while (const std::size_t count = std::fread(buffer, 1, sizeof buffer, pipe)) {
    run.output.append(buffer, count);
  }
  const int status = ::pclose(pipe);
  run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class AttestCommand : public ::testing::Test {
 protected:
  ProcessRun attest(const std::string& extra) {
    tls::ServerTlsOptions listener;
    listener.certfile = pki().server.certfile;
    listener.keyfile = pki().server.keyfile;
    std::string error;
    ScriptedServer server(broker_.responder(), tls::Context::server(listener, error));
    const std::string root = pki().write_file("sim_root.pem", broker_.root_pem());
    return run_attest("127.0.0.1:" + std::to_string(server.port()) + " --cafile " +
                      pki().ca_file + " --root " + root + " " + extra);
  }

  FakeBroker broker_;
};

TEST_F(AttestCommand, VerifiedPrintsClaimsAndChecksAndExits0) {
  const ProcessRun run = attest("--allow-simulated --expect-module " + std::string(64, '1'));
  EXPECT_EQ(run.exit_status, 0) << run.output;
  EXPECT_NE(run.output.find("WARNING: SIMULATED evidence, NO SECURITY"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("VALID sim evidence"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("module_sha256: " + std::string(64, '1')), std::string::npos);
  EXPECT_NE(run.output.find("ok    session.binder"), std::string::npos) << run.output;
}

TEST_F(AttestCommand, DefaultPolicyRejectsSimulatedEvidenceAndExits1) {
  const ProcessRun run = attest("");
  EXPECT_EQ(run.exit_status, 1) << run.output;
  EXPECT_NE(run.output.find("rejected: policy.allow_simulated:"), std::string::npos)
      << run.output;
}

TEST_F(AttestCommand, WrongModuleHashIsNamed) {
  const ProcessRun run = attest("--allow-simulated --expect-module " + std::string(64, '2'));
  EXPECT_EQ(run.exit_status, 1) << run.output;
  EXPECT_NE(run.output.find("rejected: policy.module_hash:"), std::string::npos) << run.output;
}

TEST_F(AttestCommand, EvidenceForAnotherKeyIsNamed) {
  broker_.other_key = true;
  const ProcessRun run = attest("--allow-simulated --json");
  EXPECT_EQ(run.exit_status, 1) << run.output;
  EXPECT_NE(run.output.find("rejected: session.tls_key:"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("\"verified\": false"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace attestmq::client::testing
