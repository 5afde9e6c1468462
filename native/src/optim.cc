// nnlab native kernels: the element-wise tails of a fused training step (core/fused.ts,
// generative/fusedVae.ts), which are too long to loop over in JavaScript for large networks.
//
// adam_step: Adam (Kingma & Ba 2015) over flat arrays, gradients pre-scaled by `scale` (global-norm
// clipping): m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2; theta <- theta - lr (m/c1) / (sqrt(v/c2) + eps),
// with c1 = 1 - b1^t, c2 = 1 - b2^t. Float32 storage, double arithmetic, as the JS version.
//
// dense_delta: a dense layer's backward tail, dZ = G (.) act'(A) for act = relu (A > 0 ? G : 0) or
// linear (G), then db[j] = sum over rows of dZ[r, j], added row by row with each sum rounded to
// float (what core/fusedNet.ts's JavaScript loop computes, bit for bit). G may be dZ (in place).
//
// bce_logits: sum over i of max(l,0) - l x + log(1 + e^-|l|), and d/dl = (sigmoid(l) - x) * gscale.
#include "optim.h"

#include <cmath>

// adam_step and adam_tfjs are compiled for AVX-512, AVX2 and baseline x86-64, picked at load time
// (an ifunc): their loops are bound by sqrt and division, which the wide units run 4-16 at a time.
// Every clone computes the same IEEE double operations in the same order (no FMA contraction under
// -std=c++17), so the results are the same bits on any CPU. (binding.gyp's -fno-math-errno lets
// the sqrt vectorise: the argument is never negative, so errno was never set.)
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define NNLAB_WIDE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NNLAB_WIDE_CLONES
#endif

namespace nnlab {

NNLAB_WIDE_CLONES void adam_step(float* __restrict theta, const float* __restrict g, float* __restrict m,
                                   float* __restrict v, std::size_t n, double scale,
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

NNLAB_WIDE_CLONES void adam_tfjs(const float* __restrict value, const float* __restrict g, const float* __restrict m,
                                   const float* __restrict v, std::size_t n, float b1, float c1, float b2, float c2,
                                   float om1, float om2, float eps, float neg_lr, float* __restrict new_value,
                                   float* __restrict new_m, float* __restrict new_v) {
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

void dense_delta(int relu, const float* __restrict a, const float* g, float* dz, float* __restrict db,
                 std::size_t rows, std::size_t cols) {
  for (std::size_t j = 0; j < cols; ++j) db[j] = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* ar = a + r * cols;
    const float* gr = g + r * cols;
    float* zr = dz + r * cols;
    for (std::size_t j = 0; j < cols; ++j) {
      const float d = relu ? (ar[j] > 0 ? gr[j] : 0.0f) : gr[j];
      zr[j] = d;
      db[j] = static_cast<float>(static_cast<double>(db[j]) + static_cast<double>(d));
    }
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
