#pragma once
// Debian's mosquitto programs: the independent peers AttestMQ's tests check it against.
// scripts/setup.sh installs them (packages mosquitto and mosquitto-clients), so a test that
// needs one fails when it is missing or broken; it never skips, since a skipped
// interoperability test would pass while testing nothing.
#include <gtest/gtest.h>

namespace attestmq::test {

inline constexpr const char* kMosquitto = "/usr/sbin/mosquitto";
inline constexpr const char* kMosquittoPasswd = "/usr/bin/mosquitto_passwd";
inline constexpr const char* kMosquittoPub = "/usr/bin/mosquitto_pub";
inline constexpr const char* kMosquittoSub = "/usr/bin/mosquitto_sub";

// Success when `program` (one of the paths above) is an executable file; otherwise a failure
// that says so: "Debian's mosquitto not found at /usr/sbin/mosquitto (No such file or
// directory): run scripts/setup.sh".
::testing::AssertionResult installed(const char* program);

}  // namespace attestmq::test
