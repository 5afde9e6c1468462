// nnlab native: a branch-free select, shared by the elementwise kernels and the GEMM epilogue.
#pragma once

#include <cstdint>
#include <cstring>

namespace nnlab {

// c ? a : b without a branch (GCC keeps data-dependent ternaries as branches when the loop does
// not vectorise, and random signs mispredict half of them: 10+ ns per element). Both a and b are
// computed by the caller, so the compiler may also vectorise the loop around it.
inline float blend(bool c, float a, float b) {
  std::uint32_t ab, bb;
  std::memcpy(&ab, &a, 4);
  std::memcpy(&bb, &b, 4);
  const std::uint32_t m = 0u - static_cast<std::uint32_t>(c);
  const std::uint32_t r = (ab & m) | (bb & ~m);
  float out;
  std::memcpy(&out, &r, 4);
  return out;
}

}  // namespace nnlab
