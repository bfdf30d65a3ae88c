#include "broker/subscription_index.hpp"

#include <functional>
#include <optional>
#include <unordered_map>

#include "mqtt/topic.hpp"

namespace attestmq::broker {

std::size_t TopicLevelHash::operator()(std::string_view level) const noexcept {
  return std::hash<std::string_view>{}(level);
}

void split_topic_levels(std::string_view topic, std::vector<std::string_view>& levels) {
  levels.clear();
  std::size_t begin = 0;
  for (;;) {
    const std::size_t slash = topic.find('/', begin);
    if (slash == std::string_view::npos) {
      levels.push_back(topic.substr(begin));
      return;
    }
    levels.push_back(topic.substr(begin, slash - begin));
    begin = slash + 1;
  }
}

namespace {

struct Subscriber {
  SubscriberId who;
  SubscriptionOptions options;
};

// The subscribers of one filter: a compact vector, walked on every match, plus a position
// map once it holds more than a few entries, so that subscribing and unsubscribing stay
// O(1) even when 100,000 sessions share one filter.
class SubscriberSet {
 public:
  // Returns true when `who` was not subscribed yet; otherwise replaces its options.
  bool upsert(SubscriberId who, const SubscriptionOptions& options) {
    if (const auto at = find(who)) {
      entries_[*at].options = options;
      return false;
    }
    entries_.push_back({who, options});
    if (!positions_.empty()) {
      positions_.emplace(who, entries_.size() - 1);
    } else if (entries_.size() > kLinearLimit) {
      for (std::size_t i = 0; i < entries_.size(); ++i) positions_.emplace(entries_[i].who, i);
    }
    return true;
  }

  // Returns false when `who` was not subscribed. The last entry takes the removed one's
  // place: order carries no meaning beyond round robin, which only needs to be fair.
  bool erase(SubscriberId who) {
    const auto at = find(who);
    if (!at) return false;
    if (*at != entries_.size() - 1) {
      entries_[*at] = entries_.back();
      if (!positions_.empty()) positions_[entries_[*at].who] = *at;
    }
    entries_.pop_back();
    if (!positions_.empty()) {
      positions_.erase(who);
      if (entries_.size() <= kLinearLimit / 2) positions_.clear();
    }
    return true;
  }

  const std::vector<Subscriber>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  static constexpr std::size_t kLinearLimit = 16;

  std::optional<std::size_t> find(SubscriberId who) const {
    if (!positions_.empty()) {
      const auto it = positions_.find(who);
      if (it == positions_.end()) return std::nullopt;
      return it->second;
    }
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].who == who) return i;
    }
    return std::nullopt;
  }

  std::vector<Subscriber> entries_;
  std::unordered_map<SubscriberId, std::size_t> positions_;
};

// One shared subscription: a group name and filter (the node it hangs off), whose members
// take turns receiving its messages (MQTT 5.0 section 4.8.2).
struct SharedGroup {
  std::string name;
  SubscriberSet members;
  std::size_t cursor = 0;  // where the next round-robin search starts
};

}  // namespace

struct SubscriptionIndex::Node {
  // Literal levels; '+' and '#' are kept aside so that a match visits only the topic's own
  // level and the two wildcards, never every child.
  std::unordered_map<std::string, std::unique_ptr<Node>, TopicLevelHash, std::equal_to<>> literal;
  std::unique_ptr<Node> single_level;  // '+'
  std::unique_ptr<Node> multi_level;   // '#', always a leaf (section 4.7.1.2)
  SubscriberSet subscribers;
  std::vector<SharedGroup> groups;

  bool empty() const {
    return literal.empty() && !single_level && !multi_level && subscribers.empty() &&
           groups.empty();
  }

  std::unique_ptr<Node>* child_slot(std::string_view level) {
    if (level == "+") return &single_level;
    if (level == "#") return &multi_level;
    const auto it = literal.find(level);
    return it == literal.end() ? nullptr : &it->second;
  }

  SharedGroup* group(std::string_view name) {
    for (auto& g : groups) {
      if (g.name == name) return &g;
    }
    return nullptr;
  }
};

SubscriptionIndex::SubscriptionIndex() : root_(std::make_unique<Node>()) {}
SubscriptionIndex::~SubscriptionIndex() = default;

SubscriptionIndex::Node& SubscriptionIndex::find_or_create(std::string_view filter) {
  split_topic_levels(filter, levels_);
  Node* node = root_.get();
  for (const std::string_view level : levels_) {
    std::unique_ptr<Node>* slot = node->child_slot(level);
    if (slot == nullptr) slot = &node->literal.emplace(std::string(level), nullptr).first->second;
    if (!*slot) {
      *slot = std::make_unique<Node>();
      ++nodes_;
    }
    node = slot->get();
  }
  return *node;
}

bool SubscriptionIndex::subscribe(std::string_view filter, SubscriberId who,
                                  const SubscriptionOptions& options) {
  bool added = false;
  if (const auto shared = mqtt::parse_shared_filter(filter)) {
    Node& node = find_or_create(shared->filter);
    SharedGroup* group = node.group(shared->group);
    if (group == nullptr)
      group = &node.groups.emplace_back(SharedGroup{std::string(shared->group), {}, 0});
    added = group->members.upsert(who, options);
  } else {
    added = find_or_create(filter).subscribers.upsert(who, options);
  }
  if (added) ++subscriptions_;
  return added;
}

bool SubscriptionIndex::unsubscribe(std::string_view filter, SubscriberId who) {
  const auto shared = mqtt::parse_shared_filter(filter);
  split_topic_levels(shared ? shared->filter : filter, levels_);
  std::vector<Node*> path{root_.get()};
  for (const std::string_view level : levels_) {
    std::unique_ptr<Node>* slot = path.back()->child_slot(level);
    if (slot == nullptr || !*slot) return false;
    path.push_back(slot->get());
  }
  Node& node = *path.back();
  if (shared) {
    SharedGroup* group = node.group(shared->group);
    if (group == nullptr || !group->members.erase(who)) return false;
    if (group->members.empty()) {
      if (group != &node.groups.back()) *group = std::move(node.groups.back());
      node.groups.pop_back();
    }
  } else if (!node.subscribers.erase(who)) {
    return false;
  }
  --subscriptions_;
  prune(path);
  return true;
}

void SubscriptionIndex::prune(const std::vector<Node*>& path) {
  for (std::size_t depth = path.size() - 1; depth > 0 && path[depth]->empty(); --depth) {
    Node& parent = *path[depth - 1];
    const std::string_view level = levels_[depth - 1];
    if (level == "+") {
      parent.single_level.reset();
    } else if (level == "#") {
      parent.multi_level.reset();
    } else {
      parent.literal.erase(parent.literal.find(level));
    }
    --nodes_;
  }
}

void SubscriptionIndex::match_topic(std::string_view topic, std::vector<SubscriptionMatch>& out,
                                    void* context, AvailableFn available) {
  const auto emit = [&](Node& node) {
    for (const Subscriber& s : node.subscribers.entries()) out.push_back({s.who, s.options, false});
    for (SharedGroup& group : node.groups) {
      // Section 4.8.2: one member per group; prefer one that can take the message now,
      // but never drop it while the group has members.
      const auto& members = group.members.entries();
      const std::size_t start = group.cursor % members.size();
      std::size_t chosen = start;
      for (std::size_t step = 0; step < members.size(); ++step) {
        const std::size_t at = (start + step) % members.size();
        if (available(context, members[at].who)) {
          chosen = at;
          break;
        }
      }
      group.cursor = chosen + 1;
      out.push_back({members[chosen].who, members[chosen].options, true});
    }
  };

  split_topic_levels(topic, levels_);
  // Section 4.7.2: a filter starting with a wildcard does not match a topic starting with '$'.
  const bool dollar_topic = !levels_.front().empty() && levels_.front().front() == '$';
  frames_.clear();
  frames_.push_back({root_.get(), 0});
  while (!frames_.empty()) {
    const Frame frame = frames_.back();
    frames_.pop_back();
    const bool wildcards_match = !(dollar_topic && frame.depth == 0);
    // Section 4.7.1.2: '#' matches the remaining levels, including none ("sport/#" matches
    // "sport").
    if (frame.node->multi_level && wildcards_match) emit(*frame.node->multi_level);
    if (frame.depth == levels_.size()) {
      emit(*frame.node);
      continue;
    }
    const auto it = frame.node->literal.find(levels_[frame.depth]);
    if (it != frame.node->literal.end()) frames_.push_back({it->second.get(), frame.depth + 1});
    if (frame.node->single_level && wildcards_match) {
      frames_.push_back({frame.node->single_level.get(), frame.depth + 1});
    }
  }
}

}  // namespace attestmq::broker
