// A map that remembers the order its entries were last used in, so that a cache can drop the
// least recently used ones when it holds too many (evict_to). Eviction is the caller's call: a
// value found stays valid until the next evict_to or erase.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <list>
#include <map>
#include <utility>

namespace stprof {

template <class Key, class Value>
class LruMap {
 public:
  // The value of `key`, now the most recently used; nullptr when absent.
  Value* find(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, it->second);
    return &it->second->second;
  }
  // Inserts (or replaces) the value of `key` as the most recently used.
  Value& insert(const Key& key, Value value) {
    if (Value* present = find(key)) return *present = std::move(value);
    entries_.emplace_front(key, std::move(value));
    index_.emplace(key, entries_.begin());
    return entries_.front().second;
  }
  // Drops the least recently used entries until at most `count` are left, handing each to
  // on_evict(key, value) first.
  template <class OnEvict>
  void evict_to(size_t count, OnEvict&& on_evict) {
    while (entries_.size() > count) {
      on_evict(entries_.back().first, entries_.back().second);
      index_.erase(entries_.back().first);
      entries_.pop_back();
      evicted_++;
    }
  }
  void evict_to(size_t count) {
    evict_to(count, [](const Key&, const Value&) {});
  }
  bool contains(const Key& key) const { return index_.count(key) > 0; }
  // Drops every entry whose key is in [first, last).
  void erase_range(const Key& first, const Key& last) {
    for (auto it = index_.lower_bound(first); it != index_.end() && it->first < last;) {
      entries_.erase(it->second);
      it = index_.erase(it);
    }
  }
  size_t size() const { return entries_.size(); }
  uint64_t evicted() const { return evicted_; }

 private:
  using Entries = std::list<std::pair<Key, Value>>;
  Entries entries_;  // most recently used first
  std::map<Key, typename Entries::iterator> index_;
  uint64_t evicted_ = 0;
};

}  // namespace stprof
