// nnlab native elementwise kernels: declarations (see elementwise.cc).
#pragma once

#include <cstddef>

namespace nnlab {

// Binary op codes (core/native.ts BINARY) and broadcast modes.
enum BinaryOp : int { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3, kMax = 4, kMin = 5, kSquaredDifference = 6 };
enum BroadcastMode : int { kSame = 0, kBScalar = 1, kAScalar = 2, kBPeriodic = 3, kAPeriodic = 4 };

// Unary op codes (core/native.ts UNARY); alpha is Step's value for x <= 0.
enum UnaryOp : int {
  kURelu = 0, kUSqrt = 1, kUSquare = 2, kUExp = 3, kULog = 4, kUNeg = 5, kUAbs = 6, kUStep = 7,
  kUSigmoid = 8, kUTanh = 9, kURsqrt = 10, kUReciprocal = 11,
};

// out[0, n) = a op b under `mode`; false for an unknown op or inconsistent sizes.
bool binary_op(int op, const float* a, std::size_t na, const float* b, std::size_t nb, float* out,
               std::size_t n, int mode);
bool unary_op(int op, const float* x, float* out, std::size_t n, float alpha);
// out[o, i] = sum over r of x[o, r, i].
void sum_middle(const float* x, float* out, std::size_t outer, std::size_t reduce, std::size_t inner);

}  // namespace nnlab
