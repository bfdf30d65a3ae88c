#pragma once
// The broker's subscriptions (MQTT 5.0 section 3.8, 4.7 and 4.8.2): a trie of topic-filter
// levels, so that finding the subscribers of a topic costs time proportional to the topic's
// depth and the number of matching filters, never to the number of filters held.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace attestmq::broker {

using SubscriberId = std::uint32_t;  // the engine's dense session number

struct SubscriptionOptions {  // MQTT 5.0 section 3.8.3.1
  std::uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint8_t retain_handling = 0;
  std::uint32_t subscription_id = 0;  // 0 = none (section 3.8.2.1.2)
};

struct SubscriptionMatch {
  SubscriberId subscriber;
  SubscriptionOptions options;
  bool shared;  // chosen as the one member of a $share group
};

// Hash for maps keyed by a topic level that can be looked up with a string_view.
struct TopicLevelHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view level) const noexcept;
};

// Splits a topic name or filter at '/' into `levels` (cleared first). "a//b" has three
// levels, the middle one empty; "/a" has two (section 4.7.1.1).
void split_topic_levels(std::string_view topic, std::vector<std::string_view>& levels);

class SubscriptionIndex {
 public:
  SubscriptionIndex();
  ~SubscriptionIndex();
  SubscriptionIndex(const SubscriptionIndex&) = delete;
  SubscriptionIndex& operator=(const SubscriptionIndex&) = delete;

  // filter is a valid topic filter, possibly "$share/GROUP/FILTER". Returns true when the
  // subscription is new, false when it replaced the subscriber's existing one for the same
  // filter (and group) (section 3.8.4: replace, keep the session's other state).
  bool subscribe(std::string_view filter, SubscriberId who, const SubscriptionOptions& options);

  // Returns false when there was no such subscription (UNSUBACK 0x11).
  bool unsubscribe(std::string_view filter, SubscriberId who);

  // Appends every subscription matching `topic` to `out` (does not clear it): all ordinary
  // subscriptions, and for each matching $share group exactly one member, chosen round robin
  // among members for which available(who) is true; if none is available, the next member in
  // round-robin order anyway (its session will queue the message), so a group never loses a
  // message while it has members (section 4.8.2). `available` must not call back into this
  // index.
  template <class Available>
  void match(std::string_view topic, std::vector<SubscriptionMatch>& out, Available&& available) {
    auto call = [](void* context, SubscriberId who) -> bool {
      return (*static_cast<std::remove_reference_t<Available>*>(context))(who);
    };
    match_topic(topic, out, const_cast<void*>(static_cast<const void*>(std::addressof(available))),
                call);
  }

  std::size_t size() const { return subscriptions_; }  // number of subscriptions

  // Trie nodes below the root; 0 once every subscription is gone (empty nodes are pruned).
  std::size_t node_count() const { return nodes_; }

 private:
  struct Node;
  using AvailableFn = bool (*)(void* context, SubscriberId who);

  void match_topic(std::string_view topic, std::vector<SubscriptionMatch>& out, void* context,
                   AvailableFn available);
  Node& find_or_create(std::string_view filter);
  // Removes the now empty nodes at the end of `path` (the root, then one node per entry of
  // levels_, which still holds the unsubscribed filter's levels), deepest first.
  void prune(const std::vector<Node*>& path);

  std::unique_ptr<Node> root_;
  std::size_t subscriptions_ = 0;
  std::size_t nodes_ = 0;
  // Scratch space reused by every match so that a publish allocates nothing once warm.
  std::vector<std::string_view> levels_;
  std::vector<std::size_t> level_hashes_;  // TopicLevelHash of each entry of levels_, or 0
  struct Frame {
    Node* node;
    std::size_t depth;
  };
  std::vector<Frame> frames_;
};

}  // namespace attestmq::broker
