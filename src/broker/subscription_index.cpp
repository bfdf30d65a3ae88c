#include "broker/subscription_index.hpp"

#include <cstring>
#include <optional>
#include <unordered_map>

#include "mqtt/topic.hpp"

namespace attestmq::broker {

// Topic levels are short (a site, a device, a sensor): a few word loads through a
// multiply-xorshift mix cost a fraction of the general-purpose std::hash, which the profile
// showed as a fifth of a match. The last word may overlap the previous one, and short
// levels are read as two overlapping halves or three bytes; the length, mixed in first,
// keeps such reads apart. Like std::hash, it is unkeyed.
std::size_t TopicLevelHash::operator()(std::string_view level) const noexcept {
  constexpr std::uint64_t kMultiplier = 0x9E37'79B9'7F4A'7C15;  // 2^64 divided by phi
  const auto mix = [](std::uint64_t hash, std::uint64_t chunk) {
    hash = (hash ^ chunk) * kMultiplier;
    return hash ^ (hash >> 29);
  };
  const auto load = [&level]<typename Word>(std::size_t at, Word) {
    Word word;
    std::memcpy(&word, level.data() + at, sizeof word);
    return static_cast<std::uint64_t>(word);
  };
  const std::size_t size = level.size();
  std::uint64_t hash = mix(size, 0);
  if (size >= 8) {
    for (std::size_t at = 0; at + 8 < size; at += 8) hash = mix(hash, load(at, std::uint64_t{}));
    hash = mix(hash, load(size - 8, std::uint64_t{}));
  } else if (size >= 4) {
    hash = mix(hash, load(0, std::uint32_t{}) << 32 | load(size - 4, std::uint32_t{}));
  } else if (size > 0) {
    hash = mix(hash, load(0, std::uint8_t{}) << 16 | load(size / 2, std::uint8_t{}) << 8 |
                         load(size - 1, std::uint8_t{}));
  }
  return static_cast<std::size_t>(hash);
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

// A topic level whose hash was computed once per match: a level is looked up in every
// node a match reaches at its depth ('+' branches lead to several), and hashing it anew
// each time showed in the profile.
struct HashedLevel {
  std::string_view text;
  std::size_t hash;
};

// Lets the literal-children map be searched with a HashedLevel (or any string_view)
// without building a std::string or hashing again (C++20 heterogeneous lookup).
struct LiteralHash : TopicLevelHash {
  using TopicLevelHash::operator();
  std::size_t operator()(const HashedLevel& level) const noexcept { return level.hash; }
};

struct LiteralEqual {
  using is_transparent = void;
  static std::string_view text(std::string_view level) { return level; }
  static std::string_view text(const HashedLevel& level) { return level.text; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return text(a) == text(b);
  }
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
  std::unordered_map<std::string, std::unique_ptr<Node>, LiteralHash, LiteralEqual> literal;
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
// Torn down one node at a time: letting each unique_ptr destroy its children would recurse
// as deep as the deepest filter.
SubscriptionIndex::~SubscriptionIndex() {
  std::vector<std::unique_ptr<Node>> pending;
  pending.push_back(std::move(root_));
  while (!pending.empty()) {
    std::unique_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    for (auto& [level, child] : node->literal) {
      if (child) pending.push_back(std::move(child));
    }
    if (node->single_level) pending.push_back(std::move(node->single_level));
    if (node->multi_level) pending.push_back(std::move(node->multi_level));
  }
}

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
  // Hashed on first use: 0 stands for "not yet", and a level that really hashes to 0 is
  // merely hashed again.
  level_hashes_.assign(levels_.size(), 0);
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
    auto& literal = frame.node->literal;
    if (!literal.empty()) {
      const std::string_view level = levels_[frame.depth];
      std::size_t& hash = level_hashes_[frame.depth];
      if (hash == 0) hash = TopicLevelHash{}(level);
      const auto it = literal.find(HashedLevel{level, hash});
      if (it != literal.end()) frames_.push_back({it->second.get(), frame.depth + 1});
    }
    if (frame.node->single_level && wildcards_match) {
      frames_.push_back({frame.node->single_level.get(), frame.depth + 1});
    }
  }
}

}  // namespace attestmq::broker
