// The engine's persistence (broker/persistence.cpp) through a real SQLite Store: what a
// persistent session had (subscriptions, queued and in-flight QoS 1/2 messages in both
// directions) and the retained messages survive a restart of the engine, and resume as MQTT
// 5.0 section 4.4 prescribes: unacknowledged PUBLISH again with DUP and their original packet
// identifiers, PUBREL for those already PUBREC'd.
#include <sqlite3.h>

#include "../support/scratch_dir.hpp"
#include "broker/access_control.hpp"
#include "harness.hpp"
#include "store/sqlite_store.hpp"

namespace attestmq::broker::testing {
namespace {

std::vector<mqtt::Publish> publishes(TestClient& client) {
  std::vector<mqtt::Publish> out;
  for (auto& packet : client.receive_all())
    if (auto* p = std::get_if<mqtt::Publish>(&packet)) out.push_back(std::move(*p));
  return out;
}

// A client in a persistent session subscribes to `filter`, then its connection drops.
void subscribe_and_leave(Broker& broker, Version version, std::string_view filter,
                         std::uint32_t subscription_id = 0) {
  TestClient sub(broker, version);
  sub.connect("sub", persistent());
  sub.subscribe(filter, 1, subscription_id);
  broker.engine->closed(sub.id());
}

class PersistenceTest : public ::testing::TestWithParam<Version> {
 protected:
  PersistenceTest() { open_store(); }

  void open_store() {
    auto opened = store::SqliteStore::open(path(), store::SyncPolicy::normal);
    ASSERT_TRUE(std::holds_alternative<std::unique_ptr<store::SqliteStore>>(opened))
        << std::get<std::string>(opened);
    store_ = std::get<0>(std::move(opened));
  }
  std::string path() const { return (dir_.path() / "attestmq.db").string(); }

  // A broker on the store, restored from what it holds; `error` gets the first refusal.
  std::unique_ptr<Broker> start(std::optional<std::string>* error = nullptr, std::uint64_t clock_ms = 5'000'000) {
    auto broker = std::make_unique<Broker>(settings_, store_.get());
    broker->host.clock_ms = clock_ms;
    auto refused = store_->load([&](RecordKind kind, std::span<const std::uint8_t> key,
                                    std::span<const std::uint8_t> value) {
      return broker->engine->restore(kind, key, value);
    });
    if (error) *error = refused;
    else EXPECT_FALSE(refused) << *refused;
    return broker;
  }

  // What a crash right after the host's commit leaves: the engine gone, the file reopened.
  std::unique_ptr<Broker> restart(std::unique_ptr<Broker> broker, std::uint64_t later_ms = 0) {
    EXPECT_FALSE(store_->commit());
    const std::uint64_t clock = broker->host.clock_ms + later_ms;
    broker.reset();
    store_.reset();
    open_store();
    return start(nullptr, clock);
  }

  // Stops the broker after its last commit, edits the database with `statement` as anyone
  // with the disk could, and starts again from it: what the start refused, if anything.
  std::optional<std::string> restart_after_edit(std::unique_ptr<Broker> broker, const std::string& statement) {
    EXPECT_FALSE(store_->commit());
    broker.reset();
    store_.reset();
    sql(statement);
    open_store();
    std::optional<std::string> error;
    start(&error);
    return error;
  }

  void sql(const std::string& statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  attestmq::testing::ScratchDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
  Settings settings_ = open_settings();
};

// A subscriber got "one" (QoS 1) and "two" (QoS 2) without acknowledging them, then "three"
// was queued while it was away: after the restart it gets all three, the first two again
// with DUP and their packet identifiers.
TEST_P(PersistenceTest, QueuedAndInflightMessagesSurviveARestart) {
  auto broker = start();
  std::uint16_t one_id = 0;
  std::uint16_t two_id = 0;
  {
    TestClient sub(*broker, GetParam());
    sub.connect("sub", persistent());
    sub.subscribe("a/#", 2, 0);
    TestClient pub(*broker, Version::v5);
    pub.connect("pub");
    pub.publish("a/1", "one", 1);
    pub.publish("a/2", "two", 2);
    auto got = publishes(sub);
    ASSERT_EQ(got.size(), 2u);
    one_id = got[0].packet_id;
    two_id = got[1].packet_id;
    broker->engine->closed(sub.id());
    pub.publish("a/3", "three", 1);
  }
  broker = restart(std::move(broker));
  TestClient sub(*broker, GetParam());
  EXPECT_TRUE(sub.connect("sub", persistent()).session_present);
  auto got = publishes(sub);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(TestClient::text_of(got[0].payload), "one");
  EXPECT_TRUE(got[0].dup);
  EXPECT_EQ(got[0].packet_id, one_id);
  EXPECT_EQ(got[0].qos, 1);
  EXPECT_EQ(TestClient::text_of(got[1].payload), "two");
  EXPECT_TRUE(got[1].dup);
  EXPECT_EQ(got[1].packet_id, two_id);
  EXPECT_EQ(got[1].qos, 2);
  EXPECT_EQ(TestClient::text_of(got[2].payload), "three");
  EXPECT_FALSE(got[2].dup);
  EXPECT_NE(got[2].packet_id, one_id);
  EXPECT_NE(got[2].packet_id, two_id);
  // Acknowledged, they are gone for good: nothing comes back after another restart.
  sub.send(mqtt::Puback{got[0].packet_id, ReasonCode::Success, {}});
  sub.send(mqtt::Pubrec{got[1].packet_id, ReasonCode::Success, {}});
  EXPECT_EQ(sub.take<mqtt::Pubrel>().packet_id, got[1].packet_id);
  sub.send(mqtt::Pubcomp{got[1].packet_id, ReasonCode::Success, {}});
  sub.send(mqtt::Puback{got[2].packet_id, ReasonCode::Success, {}});
  broker->engine->closed(sub.id());
  broker = restart(std::move(broker));
  TestClient again(*broker, GetParam());
  EXPECT_TRUE(again.connect("sub", persistent()).session_present);
  EXPECT_TRUE(again.idle());
}

// Section 4.3.3: a QoS 2 message the subscriber PUBREC'd before the restart is released with
// PUBREL after it, not sent again.
TEST_P(PersistenceTest, AReleasedQos2MessageGetsItsPubrelAfterARestart) {
  auto broker = start();
  {
    TestClient sub(*broker, GetParam());
    sub.connect("sub", persistent());
    sub.subscribe("a/#", 2, 0);
    TestClient pub(*broker, Version::v5);
    pub.connect("pub");
    pub.publish("a/1", "once", 2);
    auto got = publishes(sub);
    ASSERT_EQ(got.size(), 1u);
    sub.send(mqtt::Pubrec{got[0].packet_id, ReasonCode::Success, {}});
    EXPECT_EQ(sub.take<mqtt::Pubrel>().packet_id, got[0].packet_id);
    broker->engine->closed(sub.id());
  }
  broker = restart(std::move(broker));
  TestClient sub(*broker, GetParam());
  sub.connect("sub", persistent());
  auto packets = sub.receive_all();
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<mqtt::Pubrel>(packets[0]));
}

// Section 4.3.3: the publisher's QoS 2 packet identifier, PUBREC'd before the restart, still
// holds after it: the same PUBLISH again is acknowledged but not delivered twice, and PUBREL
// completes it.
TEST_P(PersistenceTest, AnIncomingQos2IdentifierSurvivesARestart) {
  auto broker = start();
  {
    TestClient sub(*broker, Version::v5);
    sub.connect("sub", persistent());
    sub.subscribe("a/#", 2, 0);
    TestClient pub(*broker, GetParam());
    pub.connect("pub", persistent());
    pub.publish("a/1", "exactly once", 2, false, 7);
    EXPECT_EQ(pub.take<mqtt::Pubrec>().packet_id, 7);
    ASSERT_EQ(publishes(sub).size(), 1u);
  }
  broker = restart(std::move(broker));
  TestClient sub(*broker, Version::v5);
  sub.connect("sub", persistent());
  auto first = publishes(sub);  // the unacknowledged copy, with DUP
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(first[0].dup);
  TestClient pub(*broker, GetParam());
  EXPECT_TRUE(pub.connect("pub", persistent()).session_present);
  mqtt::Publish again;
  again.topic = "a/1";
  again.payload = TestClient::bytes_of("exactly once");
  again.qos = 2;
  again.dup = true;
  again.packet_id = 7;
  pub.send(again);
  EXPECT_EQ(pub.take<mqtt::Pubrec>().packet_id, 7);
  EXPECT_TRUE(publishes(sub).empty());
  pub.send(mqtt::Pubrel{7, ReasonCode::Success, {}});
  const auto pubcomp = pub.take<mqtt::Pubcomp>();
  EXPECT_EQ(pubcomp.packet_id, 7);
  EXPECT_EQ(pubcomp.reason, ReasonCode::Success);
}

TEST_P(PersistenceTest, SubscriptionsSurviveWithTheirOptions) {
  auto broker = start();
  subscribe_and_leave(*broker, Version::v5, "news/#", 42);
  broker = restart(std::move(broker));
  TestClient sub(*broker, Version::v5);
  sub.connect("sub", persistent());
  TestClient pub(*broker, GetParam());
  pub.connect("pub");
  pub.publish("news/today", "hello", 1);
  auto got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].qos, 1);
  EXPECT_EQ(got[0].properties.subscription_identifiers, std::vector<std::uint32_t>{42});
}

TEST_P(PersistenceTest, RetainedMessagesSurviveAndSoDoesTheirClearing) {
  auto broker = start();
  {
    TestClient pub(*broker, GetParam());
    pub.connect("pub");
    pub.publish("r/kept", "value", 1, true);
    pub.publish("r/cleared", "value", 1, true);
    pub.publish("r/cleared", "", 1, true);
  }
  broker = restart(std::move(broker));
  TestClient sub(*broker, GetParam());
  sub.connect("late");
  sub.subscribe("r/#", 1);
  auto got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].topic, "r/kept");
  EXPECT_TRUE(got[0].retain);
}

// Section 3.3.2.3.3: time the broker spent stopped counts against a message's expiry.
TEST_P(PersistenceTest, AMessageThatExpiredWhileStoppedIsNotDelivered) {
  auto broker = start();
  subscribe_and_leave(*broker, GetParam(), "a/#");
  {
    TestClient pub(*broker, Version::v5);
    pub.connect("pub");
    mqtt::Properties properties;
    properties.message_expiry_interval = 10;
    pub.publish("a/short", "gone", 1, false, 0, properties);
    pub.publish("a/long", "kept", 1);
  }
  broker = restart(std::move(broker), 30'000);
  TestClient sub(*broker, GetParam());
  sub.connect("sub", persistent());
  auto got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(TestClient::text_of(got[0].payload), "kept");
}

// Clean start discards the stored session too (section 3.1.2.4), and so does a session that
// ends at disconnect: nothing of them comes back.
TEST_P(PersistenceTest, ACleanStartDiscardsTheStoredSession) {
  auto broker = start();
  subscribe_and_leave(*broker, GetParam(), "a/#");
  {
    TestClient pub(*broker, Version::v5);
    pub.connect("pub");
    pub.publish("a/1", "queued", 1);
    TestClient clean(*broker, GetParam());
    clean.connect("sub", ConnectOptions().clean(true));
  }
  broker = restart(std::move(broker));
  EXPECT_EQ(broker->engine->stats().clients_total, 0u);
  TestClient sub(*broker, GetParam());
  EXPECT_FALSE(sub.connect("sub", persistent()).session_present);
  EXPECT_TRUE(sub.idle());
}

mqtt::Will will_on(std::string_view topic, std::uint32_t delay_s) {
  mqtt::Will will;
  will.qos = 1;
  will.topic = topic;
  will.payload = TestClient::bytes_of("gone");
  if (delay_s != 0) will.properties.will_delay_interval = delay_s;
  return will;
}

// Section 3.1.3.2: a will waiting out its Will Delay Interval when the broker stopped is
// published when that interval ends, the time stopped included, and only once.
TEST_P(PersistenceTest, ADelayedWillIsPublishedAfterARestartWhenDue) {
  if (GetParam() != Version::v5) GTEST_SKIP() << "MQTT 3.1.1 has no Will Delay Interval";
  auto broker = start();
  {
    TestClient client(*broker, GetParam());
    client.connect("dying", persistent().with_will(will_on("wills/dying", 60)));
    broker->engine->closed(client.id());  // no DISCONNECT: the will is due in 60 s
  }
  broker = restart(std::move(broker), 20'000);  // stopped for 20 s
  {
    TestClient watcher(*broker, Version::v5);
    watcher.connect("watcher");
    watcher.subscribe("wills/#", 1);
    broker->advance(30'000);
    EXPECT_TRUE(publishes(watcher).empty());
    broker->advance(15'000);
    auto got = publishes(watcher);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].topic, "wills/dying");
  }
  broker = restart(std::move(broker));
  TestClient watcher(*broker, Version::v5);
  watcher.connect("watcher");
  watcher.subscribe("wills/#", 1);
  broker->advance(120'000);
  EXPECT_TRUE(publishes(watcher).empty());
}

// A crash ends every connection without DISCONNECT: the wills of persistent sessions whose
// clients were connected are published after the restart; a client that said DISCONNECT
// took its will with it.
TEST_P(PersistenceTest, ACrashPublishesTheWillsOfConnectedClients) {
  auto broker = start();
  {
    TestClient connected(*broker, GetParam());
    connected.connect("connected", persistent().with_will(will_on("wills/connected", 0)));
    TestClient polite(*broker, GetParam());
    polite.connect("polite", persistent().with_will(will_on("wills/polite", 0)));
    polite.send(mqtt::Disconnect{});
  }
  broker = restart(std::move(broker));
  TestClient watcher(*broker, Version::v5);
  watcher.connect("watcher");
  watcher.subscribe("wills/#", 1);
  broker->advance(2'000);
  auto got = publishes(watcher);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].topic, "wills/connected");
}

// The acl_file applies to a restored will as it does to a live one (section 3.1.3.2 and
// Mosquitto: a will is checked when it is published): the session keeps whose it is.
TEST_P(PersistenceTest, ARestoredWillIsCheckedAgainstTheAclFile) {
  auto acl = std::make_shared<AccessControl>();
  acl->add_topic_rule(std::string("device"), {AclAccess::write, "devices/status"});
  acl->add_topic_rule(std::string("watcher"), {AclAccess::read, "#"});
  settings_.listeners.front().acl = std::move(acl);
  auto broker = start();
  {
    TestClient allowed(*broker, GetParam());
    allowed.connect("allowed", persistent().user("device").with_will(will_on("devices/status", 0)));
    TestClient denied(*broker, GetParam());
    denied.connect("denied", persistent().user("device").with_will(will_on("admin/reboot", 0)));
  }
  broker = restart(std::move(broker));
  TestClient watcher(*broker, Version::v5);
  watcher.connect("watcher", ConnectOptions().user("watcher"));
  watcher.subscribe("#", 1);
  broker->advance(2'000);
  auto got = publishes(watcher);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].topic, "devices/status");
  EXPECT_TRUE(broker->host.logged("Denied will of denied to 'admin/reboot': acl_file"));
}

// A QoS 2 PUBLISH to a subscriber is stored before it is sent: a host holds back output only
// while changes are pending, so a PUBLISH sent before its record exists would leave ahead of
// the commit, and a crash then would deliver it twice (docs/persistence.md, "Held output").
TEST_P(PersistenceTest, AQos2PublishIsStoredBeforeItIsSent) {
  // The real store, watched: at each delivery record, what the subscriber had been sent.
  struct Watched : Store {
    Store& real;
    RecordingHost* host = nullptr;
    ConnId subscriber = 0;
    std::vector<std::size_t> sent_at_put;
    explicit Watched(Store& store) : real(store) {}
    void put(RecordKind kind, std::span<const std::uint8_t> key, std::span<const std::uint8_t> value) override {
      if (kind == RecordKind::delivery && host) sent_at_put.push_back(host->outbox[subscriber].size());
      real.put(kind, key, value);
    }
    void erase(RecordKind kind, std::span<const std::uint8_t> key) override { real.erase(kind, key); }
  } watched(*store_);
  Broker broker(open_settings(), &watched);
  TestClient sub(broker, GetParam());
  sub.connect("sub", persistent());
  sub.subscribe("a/#", 2);
  TestClient pub(broker, GetParam());
  pub.connect("pub", persistent());
  EXPECT_TRUE(sub.idle());
  watched.host = &broker.host;
  watched.subscriber = sub.id();
  pub.publish("a/1", "once", 2);
  EXPECT_EQ(watched.sent_at_put, std::vector<std::size_t>{0});
  EXPECT_EQ(publishes(sub).size(), 1u);
}

TEST_P(PersistenceTest, ADamagedRecordIsRefusedNotSkipped) {
  auto broker = start();
  subscribe_and_leave(*broker, GetParam(), "a/#");
  const auto error = restart_after_edit(
      std::move(broker), "UPDATE records SET value = substr(value, 1, length(value) - 1) WHERE kind = 1");
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("session record: "), std::string::npos) << *error;
  EXPECT_NE(error->find("(client 'sub')"), std::string::npos) << *error;
}

// The key is the record's identity: a delivery whose session record is gone, or a retained
// message filed under another topic, is refused.
TEST_P(PersistenceTest, ARecordMovedUnderAnotherKeyIsRefused) {
  auto broker = start();
  {
    TestClient pub(*broker, GetParam());
    pub.connect("pub");
    pub.publish("r/a", "value", 0, true);
  }
  EXPECT_EQ(restart_after_edit(std::move(broker), "UPDATE records SET key = CAST('r/b' AS BLOB) WHERE kind = 3"),
            "persistence file " + path() + ": a retained record filed under another topic ('r/b')");
}

TEST_P(PersistenceTest, ADeliveryWithoutItsSessionIsRefused) {
  auto broker = start();
  subscribe_and_leave(*broker, GetParam(), "a/#");
  {
    TestClient pub(*broker, Version::v5);
    pub.connect("pub");
    pub.publish("a/1", "queued", 1);
  }
  EXPECT_EQ(restart_after_edit(std::move(broker), "DELETE FROM records WHERE kind = 1"),
            "persistence file " + path() + ": delivery record 1 is for client 'sub', which has no "
            "session record");
}

INSTANTIATE_TEST_SUITE_P(Versions, PersistenceTest, both_versions(), version_name);

}  // namespace
}  // namespace attestmq::broker::testing
