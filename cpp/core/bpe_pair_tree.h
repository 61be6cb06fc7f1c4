#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/bpe_merge_table.h"

namespace virnucpro {

// The pairs of one word as a tournament tree over pair positions: a leaf holds (rank << 32 | position)
// for the pair starting at that symbol, the rank kNoMerge when it has none (so it sorts after every
// mergeable pair), and every inner node the smaller of its children. The root is then the lowest-ranked pair,
// leftmost on ties: the order in which the Rust crate's binary heap yields valid merges. Unlike a heap it
// never holds stale pairs, and a merge rewrites three leaves at O(log n) each with branch-free minimums.
class BpePairTree {
 public:
  static uint64_t Key(uint32_t rank, int32_t pos) {
    return (uint64_t{rank} << 32) | static_cast<uint32_t>(pos);
  }
  static uint32_t RankOf(uint64_t key) { return static_cast<uint32_t>(key >> 32); }
  static int32_t PosOf(uint64_t key) { return static_cast<int32_t>(static_cast<uint32_t>(key)); }

  // Room for positions [0, count), every leaf without a merge; fill them with SetLeaf, then Build.
  void Reset(std::size_t count) {
    leaves_ = 1;
    while (leaves_ < count) leaves_ *= 2;
    nodes_.resize(2 * leaves_);
    std::fill(nodes_.begin() + leaves_, nodes_.end(), Key(BpeMergeTable::kNoMerge, 0));
  }
  void SetLeaf(int32_t pos, uint64_t key) { nodes_[leaves_ + pos] = key; }
  void Build() {
    for (std::size_t node = leaves_ - 1; node >= 1; --node) Refresh(node);
  }

  // Recomputes the minimums above the leaves of three positions after SetLeaf changed them. The
  // paths are walked together in branch-free steps up to the node where they meet, then as one.
  void Repair(int32_t a, int32_t b, int32_t c) {
    std::size_t x = leaves_ + a, y = leaves_ + b, z = leaves_ + c;
    while (x != y || x != z) {
      x /= 2;
      y /= 2;
      z /= 2;
      Refresh(x);
      Refresh(y);
      Refresh(z);
    }
    for (x /= 2; x >= 1; x /= 2) Refresh(x);
  }

  // The lowest-ranked, leftmost pair; its rank is kNoMerge when nothing merges.
  uint64_t Min() const { return nodes_[1]; }

 private:
  void Refresh(std::size_t node) { nodes_[node] = std::min(nodes_[2 * node], nodes_[2 * node + 1]); }

  std::vector<uint64_t> nodes_;  // nodes_[1] is the root; nodes_[leaves_ + pos] the leaf of pos
  std::size_t leaves_ = 1;
};

}  // namespace virnucpro
