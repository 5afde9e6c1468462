// nnlab native kernels: Adam and BCE-with-logits over flat arrays (see optim.cc).
#pragma once

#include <cstddef>

namespace nnlab {

void adam_step(float* theta, const float* g, float* m, float* v, std::size_t n, double scale,
               double lr, double b1, double b2, double eps, double c1, double c2);

// tfjs's AdamOptimizer update of one variable, op for op in float32 (bit-identical to its ~13
// elementwise kernels): coefficients are the float32 scalars tfjs makes of beta1, 1 - beta1, beta2,
// 1 - beta2, epsilon, -lr and the tensors 1 - beta1^t (om1), 1 - beta2^t (om2).
void adam_tfjs(const float* value, const float* g, const float* m, const float* v, std::size_t n, float b1,
               float c1, float b2, float c2, float om1, float om2, float eps, float neg_lr, float* new_value,
               float* new_m, float* new_v);

// dZ = G (.) act'(A) (relu, or linear when relu is 0) and db = its column sums, rows x cols (optim.cc).
void dense_delta(int relu, const float* a, const float* g, float* dz, float* db, std::size_t rows, std::size_t cols);

// Returns the summed loss; writes the gradient times gscale into dlogits.
double bce_logits(const float* logits, const float* x, float* dlogits, std::size_t n, double gscale);

}  // namespace nnlab
