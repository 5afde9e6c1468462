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

void adam_tfjs(const float* value, const float* g, const float* m, const float* v, std::size_t n, float b1,
               float c1, float b2, float c2, float om1, float om2, float eps, float neg_lr, float* new_value,
               float* new_m, float* new_v) {
  // Each line is one tfjs op; float arithmetic rounds as JS's double-then-Float32Array does for
  // + - * / and sqrt (double has more than 2 * 24 + 2 bits), so the results are the same bits.
  for (std::size_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float nm = m[i] * b1 + gi * c1;             // add(mul(m, beta1), mul(g, 1 - beta1))
    const float nv = v[i] * b2 + (gi * gi) * c2;      // add(mul(v, beta2), mul(square(g), 1 - beta2))
    const float bm = nm / om1;                        // div(newM, 1 - accBeta1)
    const float bv = nv / om2;                        // div(newV, 1 - accBeta2)
    const float q = bm / (std::sqrt(bv) + eps);       // div(bm, add(sqrt(bv), epsilon))
    new_value[i] = q * neg_lr + value[i];             // add(mul(q, -lr), value)
    new_m[i] = nm;
    new_v[i] = nv;
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
