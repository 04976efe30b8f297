#include <doctest/doctest.h>

#include "util/lazy_deque.hpp"

#include <algorithm>
#include <vector>

using tern::util::lazy_deque;

TEST_CASE("lazy_deque: an empty queue iterates, searches and erases like an empty std::deque") {
  lazy_deque<int> q;
  CHECK(q.empty());
  CHECK(q.size() == 0);
  CHECK(q.begin() == q.end());
  CHECK(std::find(q.begin(), q.end(), 3) == q.end());
  CHECK(erase(q, 3) == 0);
  CHECK(erase_if(q, [](int) { return true; }) == 0);
  q.clear();
  q.resize(0);
  CHECK_FALSE(q.release_if_empty()); // nothing was allocated
  const lazy_deque<int>& c = q;
  CHECK(c.begin() == c.end());
}

TEST_CASE("lazy_deque: a FIFO once used, and gives its storage back when empty") {
  lazy_deque<int> q;
  q.insert(q.end(), 1); // the only position of an empty queue
  q.push_back(2);
  q.emplace_back(3);
  q.push_front(0);
  CHECK(q.size() == 4);
  CHECK(q.front() == 0);
  CHECK(q.back() == 3);
  CHECK(q[2] == 2);
  CHECK(std::vector<int>(q.begin(), q.end()) == std::vector<int>{0, 1, 2, 3});
  q.erase(std::find(q.begin(), q.end(), 1));
  CHECK(erase(q, 3) == 1);
  CHECK(std::vector<int>(q.begin(), q.end()) == std::vector<int>{0, 2});
  CHECK_FALSE(q.release_if_empty()); // still holds two
  lazy_deque<int> copy = q;
  q.pop_front();
  q.pop_back();
  CHECK(q.empty());
  CHECK(q.release_if_empty());
  CHECK(q.begin() == q.end());
  CHECK(copy.size() == 2);
  q.push_back(7);
  CHECK(q.front() == 7);
}
