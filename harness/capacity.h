#pragma once
// The arithmetic of capacity planning, apart from running anything: the knee of a curve
// (Kneedle), the Universal Scalability Law fitted to throughput against a resource, and the
// reading of a sweep's points into curves, saturation, bottlenecks and recommendations
// (harness/sweep.h runs the points; reports/ render what this finds).
#include <optional>
#include <vector>

#include "harness/reader.h"

namespace estate::harness {

// Kneedle (Satopaa et al., 2011) for an increasing, convex curve such as latency against
// load: x and y scaled to [0, 1], the knee is the point farthest below the diagonal
// (largest x' - y'). None when there are fewer than three points, x does not increase, or
// no point lies more than `sensitivity` below the diagonal (the curve is straight or concave).
std::optional<std::size_t> kneedle(const std::vector<double>& x, const std::vector<double>& y, double sensitivity = 0.05);

// Universal Scalability Law: X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1)).
struct UslFit {
  double lambda = 0, sigma = 0, kappa = 0;
  double r2 = 0;       // of X, against the mean of the measured X
  double rmse = 0;     // of X, in its own unit
  std::optional<double> peak_n;  // sqrt((1 - sigma) / kappa); none when kappa = 0
  double peak_x = 0;             // X at peak_n (or at the largest measured N when none)
  const char* model = "usl";     // "usl", or "amdahl" (kappa held at 0) when the full fit is not physical
};
// Least squares of N/X = 1/lambda + (sigma/lambda)(N - 1) + (kappa/lambda) N (N - 1), which
// is linear in its three coefficients; sigma and kappa are held at 0 when the free fit makes
// them negative. None with fewer than three distinct N or a non-positive X.
std::optional<UslFit> fit_usl(const std::vector<double>& n, const std::vector<double>& x);
double usl_throughput(const UslFit& fit, double n);

// A resource reaches saturation at this utilisation (documented in docs/capacity.md).
inline constexpr double kSaturation = 0.9;
// A point's throughput "tracks" its offered load while at least this fraction of it.
inline constexpr double kTracking = 0.95;

// What a run used of each resource that can run out: every station but a 3PL's dock (a wait
// for pickups, not a capacity), and the ERP quota when one was in force ("erp.quota"). Per
// resource: utilization (over the demand period) and peak_utilization, the higher of that
// and its mean over each timeline window (a promotion, an outage), with the window it was
// in (null: the demand period as a whole). Windows, not single series intervals: a warehouse
// picking in waves is busy for whole minutes at any load.
Json resource_use(const Json& report);

// Reads the points of a sweep (sweep.json's "points") on its axes (sweep.json's "axes") into
// the analysis: curves along the load axis with their saturation, knees and bottleneck,
// Universal Scalability fits along resource axes, and the recommendations.
Json analyse_sweep(const Json& axes, const Json& points);

}  // namespace estate::harness
