#pragma once
// Each subcommand of the `attestmq` binary parses its own arguments (argv[0] is the
// subcommand's name) and returns the process exit code.
namespace attestmq::app {

int broker_main(int argc, char** argv);
int pub_main(int argc, char** argv);
int sub_main(int argc, char** argv);
int bench_main(int argc, char** argv);
int verify_main(int argc, char** argv);
int attest_main(int argc, char** argv);
int passwd_main(int argc, char** argv);

}  // namespace attestmq::app
