// nnlab native elementwise kernels: float32 binary ops with the broadcasts that dominate training
// steps, unary activations / math, and Sum over one contiguous block of axes.
//
// Why: tfjs's cpu kernels spend 10-20 ns per element in generic JS (a closure call and a modulo
// per element), so a DQN step of ~200 small ops on [128, 128] tensors is bound by them, not by
// the matmuls. These loops are plain C++ the compiler vectorises (baseline SSE2 on x86-64).
//
// Binary broadcast modes (decided in core/native.ts; anything else runs the cpu kernel):
//   kSame      a and b have the output's shape
//   kBScalar   b has one element            kAScalar  a has one element
//   kBPeriodic b matches the output's trailing dims (a bias row): b[i % nb]
//   kAPeriodic the same with a and b swapped
// Sum reduces x viewed as [outer, reduce, inner] over the middle axis, accumulating in double as
// the cpu kernel's JS numbers do.
#include "elementwise.h"

#include <cmath>
#include <limits>

namespace nnlab {

namespace {

template <int OP>
inline float bin(float a, float b) {
  if (OP == kAdd) return a + b;
  if (OP == kSub) return a - b;
  if (OP == kMul) return a * b;
  if (OP == kDiv) return a / b;
  if (OP == kMax) return (a != a || b != b) ? std::numeric_limits<float>::quiet_NaN() : (a > b ? a : b);
  if (OP == kMin) return (a != a || b != b) ? std::numeric_limits<float>::quiet_NaN() : (a < b ? a : b);
  const float d = a - b;  // kSquaredDifference
  return d * d;
}

template <int OP>
void binary_loop(const float* a, std::size_t na, const float* b, std::size_t nb, float* out,
                 std::size_t n, int mode) {
  switch (mode) {
    case kSame:
      for (std::size_t i = 0; i < n; ++i) out[i] = bin<OP>(a[i], b[i]);
      break;
    case kBScalar: {
      const float s = b[0];
      for (std::size_t i = 0; i < n; ++i) out[i] = bin<OP>(a[i], s);
      break;
    }
    case kAScalar: {
      const float s = a[0];
      for (std::size_t i = 0; i < n; ++i) out[i] = bin<OP>(s, b[i]);
      break;
    }
    case kBPeriodic:
      for (std::size_t i0 = 0; i0 < n; i0 += nb)
        for (std::size_t j = 0; j < nb; ++j) out[i0 + j] = bin<OP>(a[i0 + j], b[j]);
      break;
    case kAPeriodic:
      for (std::size_t i0 = 0; i0 < n; i0 += na)
        for (std::size_t j = 0; j < na; ++j) out[i0 + j] = bin<OP>(a[j], b[i0 + j]);
      break;
  }
}

template <int OP>
inline float un(float x, float alpha) {
  if (OP == kURelu) return x < 0.f ? 0.f : x;
  if (OP == kUSqrt) return std::sqrt(x);
  if (OP == kUSquare) return x * x;
  if (OP == kUExp) return std::exp(x);
  if (OP == kULog) return std::log(x);
  if (OP == kUNeg) return -x;
  if (OP == kUAbs) return std::fabs(x);
  if (OP == kUStep) return x != x ? x : (x > 0.f ? 1.f : alpha);
  if (OP == kUSigmoid) return 1.f / (1.f + std::exp(-x));
  if (OP == kUTanh) return std::tanh(x);
  if (OP == kURsqrt) return 1.f / std::sqrt(x);
  return 1.f / x;  // kUReciprocal
}

template <int OP>
void unary_loop(const float* x, float* out, std::size_t n, float alpha) {
  for (std::size_t i = 0; i < n; ++i) out[i] = un<OP>(x[i], alpha);
}

}  // namespace

bool binary_op(int op, const float* a, std::size_t na, const float* b, std::size_t nb, float* out,
               std::size_t n, int mode) {
  if (mode == kBPeriodic && (nb == 0 || n % nb != 0)) return false;
  if (mode == kAPeriodic && (na == 0 || n % na != 0)) return false;
  switch (op) {
    case kAdd: binary_loop<kAdd>(a, na, b, nb, out, n, mode); return true;
    case kSub: binary_loop<kSub>(a, na, b, nb, out, n, mode); return true;
    case kMul: binary_loop<kMul>(a, na, b, nb, out, n, mode); return true;
    case kDiv: binary_loop<kDiv>(a, na, b, nb, out, n, mode); return true;
    case kMax: binary_loop<kMax>(a, na, b, nb, out, n, mode); return true;
    case kMin: binary_loop<kMin>(a, na, b, nb, out, n, mode); return true;
    case kSquaredDifference: binary_loop<kSquaredDifference>(a, na, b, nb, out, n, mode); return true;
  }
  return false;
}

bool unary_op(int op, const float* x, float* out, std::size_t n, float alpha) {
  switch (op) {
    case kURelu: unary_loop<kURelu>(x, out, n, alpha); return true;
    case kUSqrt: unary_loop<kUSqrt>(x, out, n, alpha); return true;
    case kUSquare: unary_loop<kUSquare>(x, out, n, alpha); return true;
    case kUExp: unary_loop<kUExp>(x, out, n, alpha); return true;
    case kULog: unary_loop<kULog>(x, out, n, alpha); return true;
    case kUNeg: unary_loop<kUNeg>(x, out, n, alpha); return true;
    case kUAbs: unary_loop<kUAbs>(x, out, n, alpha); return true;
    case kUStep: unary_loop<kUStep>(x, out, n, alpha); return true;
    case kUSigmoid: unary_loop<kUSigmoid>(x, out, n, alpha); return true;
    case kUTanh: unary_loop<kUTanh>(x, out, n, alpha); return true;
    case kURsqrt: unary_loop<kURsqrt>(x, out, n, alpha); return true;
    case kUReciprocal: unary_loop<kUReciprocal>(x, out, n, alpha); return true;
  }
  return false;
}

void sum_middle(const float* x, float* out, std::size_t outer, std::size_t reduce, std::size_t inner) {
  if (inner == 1) {
    for (std::size_t o = 0; o < outer; ++o) {
      const float* p = x + o * reduce;
      double s = 0;
      for (std::size_t r = 0; r < reduce; ++r) s += p[r];
      out[o] = static_cast<float>(s);
    }
    return;
  }
  // Column sums: accumulate rows into a double buffer, inner elements at a time.
  constexpr std::size_t kBlock = 512;
  double acc[kBlock];
  for (std::size_t o = 0; o < outer; ++o) {
    const float* base = x + o * reduce * inner;
    for (std::size_t i0 = 0; i0 < inner; i0 += kBlock) {
      const std::size_t w = inner - i0 < kBlock ? inner - i0 : kBlock;
      for (std::size_t i = 0; i < w; ++i) acc[i] = 0;
      for (std::size_t r = 0; r < reduce; ++r) {
        const float* row = base + r * inner + i0;
        for (std::size_t i = 0; i < w; ++i) acc[i] += row[i];
      }
      for (std::size_t i = 0; i < w; ++i) out[o * inner + i0 + i] = static_cast<float>(acc[i]);
    }
  }
}

}  // namespace nnlab
