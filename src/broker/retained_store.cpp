#include "broker/retained_store.hpp"

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/subscription_index.hpp"

namespace attestmq::broker {

struct RetainedStore::Node {
  std::unordered_map<std::string, std::unique_ptr<Node>, TopicLevelHash, std::equal_to<>> children;
  MessagePtr message;

  bool empty() const { return children.empty() && !message; }
};

RetainedStore::RetainedStore() : root_(std::make_unique<Node>()) {}
// Torn down one node at a time, as SubscriptionIndex is: no recursion as deep as a topic.
RetainedStore::~RetainedStore() {
  std::vector<std::unique_ptr<Node>> pending;
  pending.push_back(std::move(root_));
  while (!pending.empty()) {
    std::unique_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    for (auto& [level, child] : node->children) pending.push_back(std::move(child));
  }
}

void RetainedStore::set(MessagePtr message) {
  std::vector<std::string_view> levels;
  split_topic_levels(message->topic, levels);
  Node* node = root_.get();
  for (const std::string_view level : levels) {
    auto it = node->children.find(level);
    if (it == node->children.end()) {
      it = node->children.emplace(std::string(level), std::make_unique<Node>()).first;
      ++nodes_;
    }
    node = it->second.get();
  }
  if (!node->message) ++messages_;
  node->message = std::move(message);
}

void RetainedStore::erase(std::string_view topic) {
  std::vector<std::string_view> levels;
  split_topic_levels(topic, levels);
  std::vector<Node*> path{root_.get()};
  for (const std::string_view level : levels) {
    const auto it = path.back()->children.find(level);
    if (it == path.back()->children.end()) return;
    path.push_back(it->second.get());
  }
  if (!path.back()->message) return;
  path.back()->message.reset();
  --messages_;
  for (std::size_t depth = path.size() - 1; depth > 0 && path[depth]->empty(); --depth) {
    Node& parent = *path[depth - 1];
    parent.children.erase(parent.children.find(levels[depth - 1]));
    --nodes_;
  }
}

void RetainedStore::match_filter(std::string_view filter, void* context, VisitFn visit) const {
  std::vector<std::string_view> levels;
  split_topic_levels(filter, levels);
  struct Frame {
    const Node* node;
    std::size_t depth;
  };
  std::vector<Frame> frames{{root_.get(), 0}};
  // Section 4.7.2: a wildcard in the first level does not match a level starting with '$'.
  const auto wildcard_skips = [](std::size_t depth, const std::string& level) {
    return depth == 0 && !level.empty() && level.front() == '$';
  };
  while (!frames.empty()) {
    const Frame frame = frames.back();
    frames.pop_back();
    if (frame.depth == levels.size()) {
      if (frame.node->message) visit(context, frame.node->message);
      continue;
    }
    const std::string_view level = levels[frame.depth];
    if (level == "#") {
      // Section 4.7.1.2: the parent level itself ("sport/#" matches "sport") and every
      // level below it.
      if (frame.node->message) visit(context, frame.node->message);
      std::vector<const Node*> subtree;
      for (const auto& [name, child] : frame.node->children) {
        if (!wildcard_skips(frame.depth, name)) subtree.push_back(child.get());
      }
      while (!subtree.empty()) {
        const Node* node = subtree.back();
        subtree.pop_back();
        if (node->message) visit(context, node->message);
        for (const auto& entry : node->children) subtree.push_back(entry.second.get());
      }
    } else if (level == "+") {
      for (const auto& [name, child] : frame.node->children) {
        if (!wildcard_skips(frame.depth, name)) frames.push_back({child.get(), frame.depth + 1});
      }
    } else {
      const auto it = frame.node->children.find(level);
      if (it != frame.node->children.end()) frames.push_back({it->second.get(), frame.depth + 1});
    }
  }
}

}  // namespace attestmq::broker
