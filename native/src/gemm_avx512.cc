// AVX-512 micro-kernel for nnlab's SGEMM (see gemm.cc for the blocking around it).
//
// The only translation unit compiled with -mavx512f (binding.gyp builds it as its own static
// library); gemm.cc calls it only when __builtin_cpu_supports("avx512f") says the CPU has it.
//
// Kernels: 6 x 32 and 12 x 32 tiles of C over two adjacent 16-wide packed B panels, the AVX2
// kernel's schedule at twice the width (12 x 32: 24 zmm accumulators, 2 loads of B and 12
// broadcasts per 24 FMAs).
#include <immintrin.h>

#include <cstddef>

namespace nnlab {

namespace {

// ROWS = 6 (one packed A panel) or 12 (two, Ap1 = the second): 2·ROWS accumulators; per step k,
// one 16-wide row of each B panel, a broadcast of each A value and 2·ROWS FMAs. Every element of C
// is the same chain as in the AVX2 kernel, c = fma(a_k, b_k, c) for k in order from 0, then + C
// when accumulating: the kernels give the same bits.
template <int ROWS>
inline void tile_x32(int kc, const float* Ap0, const float* Ap1, const float* Bp0,
                     const float* Bp1, float* C, std::ptrdiff_t ldc, bool accumulate) {
  __m512 lo[ROWS], hi[ROWS];
#pragma GCC unroll 12
  for (int i = 0; i < ROWS; ++i) {
    lo[i] = _mm512_setzero_ps();
    hi[i] = _mm512_setzero_ps();
  }
#pragma GCC unroll 2
  for (int k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(Bp0);
    const __m512 b1 = _mm512_loadu_ps(Bp1);
#pragma GCC unroll 12
    for (int i = 0; i < ROWS; ++i) {
      const __m512 a = _mm512_set1_ps(i < 6 ? Ap0[i] : Ap1[i - 6]);
      lo[i] = _mm512_fmadd_ps(a, b0, lo[i]);
      hi[i] = _mm512_fmadd_ps(a, b1, hi[i]);
    }
    Ap0 += 6;
    if (ROWS > 6) Ap1 += 6;
    Bp0 += 16;
    Bp1 += 16;
  }
#pragma GCC unroll 12
  for (int i = 0; i < ROWS; ++i) {
    float* r = C + i * ldc;
    __m512 l = lo[i], h = hi[i];
    if (accumulate) {
      l = _mm512_add_ps(l, _mm512_loadu_ps(r));
      h = _mm512_add_ps(h, _mm512_loadu_ps(r + 16));
    }
    _mm512_storeu_ps(r, l);
    _mm512_storeu_ps(r + 16, h);
  }
}

}  // namespace

// A 6 x 32 tile of C over two adjacent 16-wide packed B panels (Bp0, Bp1).
void kernel_6x32_avx512(int kc, const float* Ap, const float* Bp0, const float* Bp1, float* C,
                        std::ptrdiff_t ldc, bool accumulate) {
  tile_x32<6>(kc, Ap, nullptr, Bp0, Bp1, C, ldc, accumulate);
}

// A 12 x 32 tile: two A panels (Ap0, Ap1) against the same two B panels.
void kernel_12x32_avx512(int kc, const float* Ap0, const float* Ap1, const float* Bp0,
                         const float* Bp1, float* C, std::ptrdiff_t ldc, bool accumulate) {
  tile_x32<12>(kc, Ap0, Ap1, Bp0, Bp1, C, ldc, accumulate);
}

}  // namespace nnlab
