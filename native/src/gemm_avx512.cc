// AVX-512 micro-kernel for nnlab's SGEMM (see gemm.cc for the blocking around it).
//
// The only translation unit compiled with -mavx512f (binding.gyp builds it as its own static
// library); gemm.cc calls it only when __builtin_cpu_supports("avx512f") says the CPU has it.
//
// Kernel: a 6 x 32 tile of C over two adjacent 16-wide packed B panels (Bp0, Bp1), in 12 zmm
// accumulators. Per step k it loads one 16-wide row of each panel, broadcasts the 6 packed A values
// of column k one at a time and issues 12 FMAs: the AVX2 kernel's schedule at twice the width.
// Every element of C is the same chain as in the AVX2 kernel, c = fma(a_k, b_k, c) for k in order
// from 0, then + C when accumulating: the two kernels give the same bits.
#include <immintrin.h>

#include <cstddef>

namespace nnlab {

void kernel_6x32_avx512(int kc, const float* Ap, const float* Bp0, const float* Bp1, float* C,
                        std::ptrdiff_t ldc, bool accumulate) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps();
  __m512 c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
  __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps();
  __m512 c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(Bp0);
    const __m512 b1 = _mm512_loadu_ps(Bp1);
    __m512 a = _mm512_set1_ps(Ap[0]);
    c00 = _mm512_fmadd_ps(a, b0, c00);
    c01 = _mm512_fmadd_ps(a, b1, c01);
    a = _mm512_set1_ps(Ap[1]);
    c10 = _mm512_fmadd_ps(a, b0, c10);
    c11 = _mm512_fmadd_ps(a, b1, c11);
    a = _mm512_set1_ps(Ap[2]);
    c20 = _mm512_fmadd_ps(a, b0, c20);
    c21 = _mm512_fmadd_ps(a, b1, c21);
    a = _mm512_set1_ps(Ap[3]);
    c30 = _mm512_fmadd_ps(a, b0, c30);
    c31 = _mm512_fmadd_ps(a, b1, c31);
    a = _mm512_set1_ps(Ap[4]);
    c40 = _mm512_fmadd_ps(a, b0, c40);
    c41 = _mm512_fmadd_ps(a, b1, c41);
    a = _mm512_set1_ps(Ap[5]);
    c50 = _mm512_fmadd_ps(a, b0, c50);
    c51 = _mm512_fmadd_ps(a, b1, c51);
    Ap += 6;
    Bp0 += 16;
    Bp1 += 16;
  }
  float* r[6] = {C, C + ldc, C + 2 * ldc, C + 3 * ldc, C + 4 * ldc, C + 5 * ldc};
  __m512 lo[6] = {c00, c10, c20, c30, c40, c50};
  __m512 hi[6] = {c01, c11, c21, c31, c41, c51};
  for (int i = 0; i < 6; ++i) {
    if (accumulate) {
      lo[i] = _mm512_add_ps(lo[i], _mm512_loadu_ps(r[i]));
      hi[i] = _mm512_add_ps(hi[i], _mm512_loadu_ps(r[i] + 16));
    }
    _mm512_storeu_ps(r[i], lo[i]);
    _mm512_storeu_ps(r[i] + 16, hi[i]);
  }
}

// Two A panels (12 rows) against the same two B panels: 24 accumulators, 2 loads of B and 12
// broadcasts per 24 FMAs. Same per-element chain as above.
void kernel_12x32_avx512(int kc, const float* Ap0, const float* Ap1, const float* Bp0,
                         const float* Bp1, float* C, std::ptrdiff_t ldc, bool accumulate) {
  __m512 lo[12], hi[12];
  for (int i = 0; i < 12; ++i) {
    lo[i] = _mm512_setzero_ps();
    hi[i] = _mm512_setzero_ps();
  }
#pragma GCC unroll 2
  for (int k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(Bp0);
    const __m512 b1 = _mm512_loadu_ps(Bp1);
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) {
      const __m512 a = _mm512_set1_ps(Ap0[i]);
      lo[i] = _mm512_fmadd_ps(a, b0, lo[i]);
      hi[i] = _mm512_fmadd_ps(a, b1, hi[i]);
    }
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) {
      const __m512 a = _mm512_set1_ps(Ap1[i]);
      lo[6 + i] = _mm512_fmadd_ps(a, b0, lo[6 + i]);
      hi[6 + i] = _mm512_fmadd_ps(a, b1, hi[6 + i]);
    }
    Ap0 += 6;
    Ap1 += 6;
    Bp0 += 16;
    Bp1 += 16;
  }
#pragma GCC unroll 12
  for (int i = 0; i < 12; ++i) {
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

}  // namespace nnlab
