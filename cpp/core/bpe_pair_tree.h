#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace virnucpro {

// The mergeable pairs of one word as a tournament tree over pair positions: a leaf holds
// (rank << 32 | position) for the pair starting at that symbol, or kNoPair, and every inner node the
// smaller of its children. The root is then the lowest-ranked pair, leftmost on ties: the order in
// which the Rust crate's binary heap yields valid merges. Unlike a heap it never holds stale pairs,
// and a merge rewrites three leaves at O(log n) each with branch-free minimums.
class BpePairTree {
 public:
  static constexpr uint64_t kNoPair = ~uint64_t{0};

  static uint64_t Key(uint32_t rank, int32_t pos) {
    return (uint64_t{rank} << 32) | static_cast<uint32_t>(pos);
  }
  static uint32_t RankOf(uint64_t key) { return static_cast<uint32_t>(key >> 32); }
  static int32_t PosOf(uint64_t key) { return static_cast<int32_t>(static_cast<uint32_t>(key)); }

  // Room for positions [0, count), every leaf kNoPair; fill them with SetLeaf, then call Build.
  void Reset(std::size_t count) {
    leaves_ = 1;
    while (leaves_ < count) leaves_ *= 2;
    nodes_.assign(2 * leaves_, kNoPair);
  }
  void SetLeaf(int32_t pos, uint64_t key) { nodes_[leaves_ + pos] = key; }
  void Build() {
    for (std::size_t node = leaves_ - 1; node >= 1; --node) Refresh(node);
  }

  void Update(int32_t pos, uint64_t key) {
    std::size_t node = leaves_ + pos;
    nodes_[node] = key;
    // Above the first ancestor whose minimum stays the same, nothing changes.
    for (node /= 2; node >= 1; node /= 2) {
      const uint64_t smaller = std::min(nodes_[2 * node], nodes_[2 * node + 1]);
      if (nodes_[node] == smaller) break;
      nodes_[node] = smaller;
    }
  }

  // The lowest-ranked, leftmost pair, or kNoPair when nothing merges.
  uint64_t Min() const { return nodes_[1]; }

 private:
  void Refresh(std::size_t node) { nodes_[node] = std::min(nodes_[2 * node], nodes_[2 * node + 1]); }

  std::vector<uint64_t> nodes_;  // nodes_[1] is the root; nodes_[leaves_ + pos] the leaf of pos
  std::size_t leaves_ = 1;
};

}  // namespace virnucpro
