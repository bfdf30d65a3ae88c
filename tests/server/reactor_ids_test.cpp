// How many reactors a server runs, and connection ids that name each of them: the id field
// holds kReactorBits bits, so no machine may get more reactors than it can name.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/reactor_ids.hpp"
#include "test_peer.hpp"

namespace attestmq::server {
namespace {

TEST(ReactorThreads, OnePerCoreUpToWhatIdsCanName) {
  EXPECT_EQ(reactor_threads(0, 8), 8u);
  EXPECT_EQ(reactor_threads(0, kMaxReactors), kMaxReactors);
  EXPECT_EQ(reactor_threads(0, kMaxReactors + 1), kMaxReactors);
  EXPECT_EQ(reactor_threads(0, 1024), kMaxReactors);
}

TEST(ReactorThreads, UnknownCoreCountMeansOneThread) { EXPECT_EQ(reactor_threads(0, 0), 1u); }

TEST(ReactorThreads, AConfiguredCountWinsOverTheCores) {
  EXPECT_EQ(reactor_threads(3, 64), 3u);
  EXPECT_EQ(reactor_threads(kMaxReactors, 2), kMaxReactors);
}

TEST(ConnectionIds, EveryReactorIsNamedAndTheSequenceSurvives) {
  const std::uint64_t sequences[] = {1, 255, std::uint64_t{1} << 40};
  for (const unsigned reactor : {0u, 1u, kMaxReactors / 2, kMaxReactors - 1}) {
    for (const std::uint64_t sequence : sequences) {
      const broker::ConnId conn = connection_id(sequence, reactor);
      EXPECT_EQ(reactor_of(conn), reactor);
      EXPECT_EQ(conn >> kReactorBits, sequence);
    }
  }
  // Neighbouring reactors never share an id.
  EXPECT_NE(connection_id(1, kMaxReactors - 1), connection_id(2, 0));
}

// The largest server the ids allow: connections land on every reactor (round robin), the
// last one included, and messages cross from it to reactor 0 and back.
TEST(ReactorThreads, AServerWithTheMostReactorsDeliversFromTheLastOne) {
  testing::RunningServer running(testing::loopback_config(kMaxReactors));
  ASSERT_EQ(running.server().threads(), kMaxReactors);
  testing::TestClient first("127.0.0.1", running.port());  // reactor 0
  ASSERT_EQ(first.connect("on-reactor-0"), mqtt::ReasonCode::Success);
  first.subscribe("from/last", 0);
  std::vector<std::unique_ptr<testing::TestClient>> middle;  // reactors 1 .. kMaxReactors - 2
  for (unsigned reactor = 1; reactor + 1 < kMaxReactors; ++reactor) {
    middle.push_back(std::make_unique<testing::TestClient>("127.0.0.1", running.port()));
    ASSERT_TRUE(middle.back()->connected());
  }
  testing::TestClient last("127.0.0.1", running.port());  // reactor kMaxReactors - 1
  ASSERT_EQ(last.connect("on-the-last-reactor"), mqtt::ReasonCode::Success);
  last.subscribe("to/last", 1);
  last.publish("from/last", {'u', 'p'});
  const auto up = first.receive();
  ASSERT_TRUE(up && std::holds_alternative<mqtt::Publish>(*up));
  EXPECT_EQ(std::get<mqtt::Publish>(*up).topic, "from/last");
  first.publish("to/last", {'d', 'o', 'w', 'n'}, 1, 9);
  const auto puback = first.receive();
  ASSERT_TRUE(puback && std::holds_alternative<mqtt::Puback>(*puback));
  const auto down = last.receive();
  ASSERT_TRUE(down && std::holds_alternative<mqtt::Publish>(*down));
  EXPECT_EQ(std::get<mqtt::Publish>(*down).topic, "to/last");
}

}  // namespace
}  // namespace attestmq::server
