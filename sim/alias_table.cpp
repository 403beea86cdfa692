#include "sim/alias_table.h"

#include "sim/assert.h"

namespace estate::sim {

AliasTable::AliasTable(std::span<const double> weights) {
  const std::size_t n = weights.size();
  ESTATE_ASSERT(n > 0 && n < 0xffffffffu, "alias table: bad size");
  double total = 0;
  for (double w : weights) {
    ESTATE_ASSERT(w >= 0, "alias table: negative weight");
    total += w;
  }
  ESTATE_ASSERT(total > 0, "alias table: zero total weight");
  prob_.assign(n, 0.0);
  alias_.assign(n, 0);
  std::vector<double> scaled(n);
  std::vector<std::uint32_t> small, large;
  for (std::size_t i = 0; i < n; ++i) {
    scaled[i] = weights[i] * static_cast<double>(n) / total;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    const std::uint32_t s = small.back();
    small.pop_back();
    const std::uint32_t l = large.back();
    prob_[s] = scaled[s];
    alias_[s] = l;
    scaled[l] = (scaled[l] + scaled[s]) - 1.0;
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  for (std::uint32_t i : large) prob_[i] = 1.0;
  for (std::uint32_t i : small) prob_[i] = 1.0;
}

std::uint32_t AliasTable::sample(Rng& rng) const {
  const auto i = static_cast<std::uint32_t>(rng.below(prob_.size()));
  return rng.uniform01() < prob_[i] ? i : alias_[i];
}

}  // namespace estate::sim
