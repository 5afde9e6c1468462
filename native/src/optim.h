// nnlab native kernels: Adam and BCE-with-logits over flat arrays (see optim.cc).
#pragma once

#include <cstddef>

namespace nnlab {

void adam_step(float* theta, const float* g, float* m, float* v, std::size_t n, double scale,
               double lr, double b1, double b2, double eps, double c1, double c2);

// Returns the summed loss; writes the gradient times gscale into dlogits.
double bce_logits(const float* logits, const float* x, float* dlogits, std::size_t n, double gscale);

}  // namespace nnlab
