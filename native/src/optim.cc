// nnlab native kernels: the element-wise tails of a fused training step (core/fused.ts,
// core/fusedVae.ts), which are too long to loop over in JavaScript for large networks.
//
// adam_step: Adam (Kingma & Ba 2015) over flat arrays, gradients pre-scaled by `scale` (global-norm
// clipping): m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2; theta <- theta - lr (m/c1) / (sqrt(v/c2) + eps),
// with c1 = 1 - b1^t, c2 = 1 - b2^t. Float32 storage, double arithmetic, as the JS version.
//
// bce_logits: sum over i of max(l,0) - l x + log(1 + e^-|l|), and d/dl = (sigmoid(l) - x) * gscale.
#include "optim.h"

#include <cmath>

namespace nnlab {

void adam_step(float* theta, const float* g, float* m, float* v, std::size_t n, double scale,
               double lr, double b1, double b2, double eps, double c1, double c2) {
  const double step = lr / c1, inv_c2 = 1.0 / c2;
  for (std::size_t i = 0; i < n; ++i) {
    const double gi = g[i] * scale;
    const double mi = b1 * m[i] + (1 - b1) * gi;
    const double vi = b2 * v[i] + (1 - b2) * gi * gi;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    theta[i] = static_cast<float>(theta[i] - step * mi / (std::sqrt(vi * inv_c2) + eps));
  }
}

double bce_logits(const float* logits, const float* x, float* dlogits, std::size_t n, double gscale) {
  double loss = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double l = logits[i], t = x[i];
    const double e = std::exp(-std::fabs(l));
    loss += (l > 0 ? l : 0) - l * t + std::log1p(e);
    const double sig = l >= 0 ? 1 / (1 + e) : e / (1 + e);
    dlogits[i] = static_cast<float>((sig - t) * gscale);
  }
  return loss;
}

}  // namespace nnlab
