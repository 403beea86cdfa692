#pragma once
// Walker/Vose alias table: O(1) sampling of an index with given weights (SKU popularity).
// Construction is deterministic (plain worklists, no sorting of equal keys).
#include <cstdint>
#include <span>
#include <vector>

#include "sim/rng.h"

namespace estate::sim {

class AliasTable {
 public:
  AliasTable() = default;
  explicit AliasTable(std::span<const double> weights);
  std::uint32_t sample(Rng& rng) const;
  std::size_t size() const { return prob_.size(); }

 private:
  std::vector<double> prob_;
  std::vector<std::uint32_t> alias_;
};

}  // namespace estate::sim
