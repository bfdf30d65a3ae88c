#pragma once
// Retained messages (MQTT 5.0 section 3.3.1.3): at most one per topic, handed to every new
// subscription whose filter matches. Held in a trie of topic levels so that a filter with
// literal levels visits only its own branch, and a wildcard only the subtree it covers.
#include <cstddef>
#include <memory>
#include <string_view>
#include <type_traits>

#include "broker/message.hpp"

namespace attestmq::broker {

class RetainedStore {
 public:
  RetainedStore();
  ~RetainedStore();
  RetainedStore(const RetainedStore&) = delete;
  RetainedStore& operator=(const RetainedStore&) = delete;

  void set(MessagePtr message);        // stores under message->topic (replaces)
  void erase(std::string_view topic);  // an empty retained payload clears (3.3.1.3)

  // Calls visit(const MessagePtr&) for every retained message whose topic matches `filter`
  // (an ordinary filter, wildcards allowed, the '$' rule of 4.7.2 applied). `visit` must
  // not modify this store.
  template <class Visit>
  void match(std::string_view filter, Visit&& visit) const {
    auto call = [](void* context, const MessagePtr& message) {
      (*static_cast<std::remove_reference_t<Visit>*>(context))(message);
    };
    match_filter(filter, const_cast<void*>(static_cast<const void*>(std::addressof(visit))), call);
  }

  std::size_t size() const { return messages_; }

  // Trie nodes below the root; 0 once every message is erased (empty nodes are pruned).
  std::size_t node_count() const { return nodes_; }

 private:
  struct Node;
  using VisitFn = void (*)(void* context, const MessagePtr& message);

  void match_filter(std::string_view filter, void* context, VisitFn visit) const;

  std::unique_ptr<Node> root_;
  std::size_t messages_ = 0;
  std::size_t nodes_ = 0;
};

}  // namespace attestmq::broker
