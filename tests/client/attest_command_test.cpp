// `attestmq attest`, and `attestmq pub|sub --attest`, as processes (DESIGN.md section 4)
// against the fake attested broker over real TLS on 127.0.0.1: the verdict, the claims and
// every check, the failed check, the exit status, and sub's re-attestation.
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

ProcessRun run_attestmq(const std::string& arguments) {
  const std::string command = std::string(ATTESTMQ_BINARY) + " " + arguments + " 2>&1";
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
  // `attestmq SUBCOMMAND` with `arguments`, then `extra`, where {port}, {ca}, {root} and
  // {policy} stand for the fake broker's port, the test CA, the sim root and a policy that
  // pins it and allows simulated evidence.
  ProcessRun run(const std::string& arguments) {
    tls::ServerTlsOptions listener;
    listener.certfile = pki().server.certfile;
    listener.keyfile = pki().server.keyfile;
    std::string error;
    ScriptedServer server(broker_.responder(), tls::Context::server(listener, error));
    const std::string root = pki().write_file("sim_root.pem", broker_.root_pem());
    const std::string policy = pki().write_file(
        "sim_policy.json", "{\"allow_simulated\": true, \"pinned_roots\": {\"sim\": \"" + root +
                               "\"}, \"accepted_module_hashes\": [\"" + std::string(64, '1') +
                               "\"]}");
    std::string command = arguments;
    for (const auto& [name, value] :
         {std::pair<std::string, std::string>{"{port}", std::to_string(server.port())},
          {"{ca}", pki().ca_file}, {"{root}", root}, {"{policy}", policy}}) {
      for (auto at = command.find(name); at != std::string::npos; at = command.find(name)) {
        command.replace(at, name.size(), value);
      }
    }
    return run_attestmq(command);
  }

  ProcessRun attest(const std::string& extra) {
    return run("attest 127.0.0.1:{port} --cafile {ca} --root {root} " + extra);
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

TEST_F(AttestCommand, PubAttestsBeforePublishing) {
  const ProcessRun run_ok =
      run("pub --attest {policy} --cafile {ca} -h 127.0.0.1 -p {port} -t t -m m");
  EXPECT_EQ(run_ok.exit_status, 0) << run_ok.output;
  EXPECT_EQ(broker_.evidence_sent, 1);
}

TEST_F(AttestCommand, PubRefusesEvidenceForAnotherModule) {
  broker_.module.fill(0x33);
  const ProcessRun refused =
      run("pub --attest {policy} --cafile {ca} -h 127.0.0.1 -p {port} -t t -m m");
  EXPECT_EQ(refused.exit_status, 1) << refused.output;
  EXPECT_NE(refused.output.find("Error: attestation rejected: policy.module_hash:"),
            std::string::npos)
      << refused.output;
}

// Section 7.6: sub re-attests on the live connection; the broker's publication after its
// AUTH 0x00 is the one message -C 1 waits for.
TEST_F(AttestCommand, SubReattestsOnTheLiveConnection) {
  const ProcessRun sub = run("sub --attest {policy} --cafile {ca} -h 127.0.0.1 -p {port} -t '#' "
                             "-v -C 1 --attest-every 1");
  EXPECT_EQ(sub.exit_status, 0) << sub.output;
  EXPECT_EQ(sub.output, "attested re-attested\n");
  EXPECT_EQ(broker_.evidence_sent, 2);
}

}  // namespace
}  // namespace attestmq::client::testing
