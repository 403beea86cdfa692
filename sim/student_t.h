#pragma once
// The two-sided 95% quantile of Student's t, for confidence intervals over a few replications.
#include <cstddef>
#include <iterator>

namespace estate::sim {

inline double t975(std::size_t df) {
  static constexpr double kT[] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                  2.201, 2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
                                  2.074, 2.069,  2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (df == 0) return 0;
  if (df < std::size(kT)) return kT[df];
  return df < 60 ? 2.00 : df < 120 ? 1.98 : 1.96;
}

}  // namespace estate::sim
