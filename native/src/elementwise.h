// nnlab native elementwise kernels: declarations (see elementwise.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace nnlab {

// Binary op codes (core/nativeAddon.ts NATIVE_BINARY) and broadcast modes (NATIVE_BROADCAST).
// kPrelu: a < 0 ? b * a : a (tfjs Prelu with x = a, alpha = b).
enum BinaryOp : int {
  kAdd = 0, kSub = 1, kMul = 2, kDiv = 3, kMax = 4, kMin = 5, kSquaredDifference = 6, kPrelu = 7,
};
// Comparison op codes (core/nativeAddon.ts NATIVE_COMPARE); results are tfjs bools (bytes 0 / 1).
enum CompareOp : int { kGreater = 0, kGreaterEqual = 1, kLess = 2, kLessEqual = 3, kEqual = 4, kNotEqual = 5 };
enum BroadcastMode : int { kSame = 0, kBScalar = 1, kAScalar = 2, kBPeriodic = 3, kAPeriodic = 4 };

// Unary op codes (core/nativeAddon.ts NATIVE_UNARY); alpha is Step's value for x <= 0 and LeakyRelu's slope
// (multiplied in double, as the cpu kernel's JS numbers do).
enum UnaryOp : int {
  kURelu = 0, kUSqrt = 1, kUSquare = 2, kUExp = 3, kULog = 4, kUNeg = 5, kUAbs = 6, kUStep = 7,
  kUSigmoid = 8, kUTanh = 9, kURsqrt = 10, kUReciprocal = 11, kULeakyRelu = 12,
};

// out[0, n) = a op b under `mode`; false for an unknown op or inconsistent sizes.
bool binary_op(int op, const float* a, std::size_t na, const float* b, std::size_t nb, float* out,
               std::size_t n, int mode);
bool unary_op(int op, const float* x, float* out, std::size_t n, double alpha);
// out[0, n) = (a op b) as 0 / 1 under the same broadcast modes as binary_op.
bool compare_op(int op, const float* a, std::size_t na, const float* b, std::size_t nb, std::uint8_t* out,
                std::size_t n, int mode);
// out[i] = cond[i] ? t[i] : e[i] (tfjs Select with cond, t and e of one shape).
void select_op(const std::uint8_t* cond, const float* t, const float* e, float* out, std::size_t n);
// tfjs FusedBatchNorm: out[i] = offset[i % lo] + (x[i] - mean[i % lm]) * scale[i % ls] /
// sqrt(variance[i % lv] + eps), in double as the cpu kernel computes it.
void batch_norm(const float* x, std::size_t n, const float* mean, std::size_t lm, const float* variance,
                std::size_t lv, const float* scale, std::size_t ls, const float* offset, std::size_t lo,
                double eps, float* out);
// The gradient of batch_norm over x viewed as [rows, C] with per-channel mean, variance, scale:
// with r = 1/sqrt(variance + eps), xm = x - mean, dys = dy * scale:
//   dx = dy * r * scale; dmean = sum_rows(-r * dys); dvariance = sum_rows(-0.5 r^3 xm dys);
//   dscale = sum_rows(dy * xm * r); doffset = sum_rows(dy). Any output may be null (not wanted).
void batch_norm_grad(const float* x, const float* dy, std::size_t rows, std::size_t C, const float* mean,
                     const float* variance, const float* scale, double eps, float* dx, float* dmean,
                     float* dvariance, float* dscale, float* doffset);
// out[o, i] = sum over r of x[o, r, i].
void sum_middle(const float* x, float* out, std::size_t outer, std::size_t reduce, std::size_t inner);

}  // namespace nnlab
