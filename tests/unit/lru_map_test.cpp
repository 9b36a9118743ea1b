// Tests for util/lru_map: the least recently used entries go first, and only when asked.

#include "util/lru_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stprof {
namespace {

TEST(LruMap, EvictsTheLeastRecentlyUsedFirst) {
  LruMap<int, std::string> map;
  map.insert(1, "one");
  map.insert(2, "two");
  map.insert(3, "three");
  ASSERT_NE(map.find(1), nullptr);  // 1 is now the most recently used: 2 is the oldest
  std::vector<int> evicted;
  map.evict_to(1, [&](int key, const std::string&) { evicted.push_back(key); });
  EXPECT_EQ(evicted, (std::vector<int>{2, 3}));
  EXPECT_EQ(map.size(), 1u);
  ASSERT_NE(map.find(1), nullptr);
  EXPECT_EQ(*map.find(1), "one");
  EXPECT_EQ(map.evicted(), 2u);
}

TEST(LruMap, InsertReplacesAndRefreshes) {
  LruMap<int, int> map;
  map.insert(1, 10);
  map.insert(2, 20);
  map.insert(1, 11);
  map.evict_to(1);
  EXPECT_FALSE(map.contains(2));
  ASSERT_NE(map.find(1), nullptr);
  EXPECT_EQ(*map.find(1), 11);
}

TEST(LruMap, ContainsDoesNotRefresh) {
  LruMap<int, int> map;
  map.insert(1, 10);
  map.insert(2, 20);
  EXPECT_TRUE(map.contains(1));
  map.evict_to(1);
  EXPECT_FALSE(map.contains(1));
  EXPECT_TRUE(map.contains(2));
}

TEST(LruMap, EraseRangeDropsThoseKeysOnly) {
  LruMap<int, int> map;
  for (int key = 0; key < 10; key++) map.insert(key, key);
  map.erase_range(3, 7);
  EXPECT_EQ(map.size(), 6u);
  for (int key = 0; key < 10; key++) EXPECT_EQ(map.contains(key), key < 3 || key >= 7) << key;
  EXPECT_EQ(map.evicted(), 0u) << "erased, not evicted";
}

}  // namespace
}  // namespace stprof
