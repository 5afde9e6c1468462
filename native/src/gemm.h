// nnlab native kernels: shared declarations (SGEMM, epilogue, thread pool).
//
// Layout conventions: every matrix is float32 and addressed through a row stride and a column
// stride, so one routine covers row-major, transposed and (for im2col) strided operands:
//   element (i, j) of a view V lives at V.p[i * V.rs + j * V.cs].
#pragma once

#include <cstddef>
#include <functional>

namespace nnlab {

// Fused activations, in the numbering addon.cc receives from JS (core/nativeAddon.ts NATIVE_ACT).
enum Act : int {
  kLinear = 0,
  kRelu = 1,
  kRelu6 = 2,
  kElu = 3,
  kLeakyRelu = 4,
  kSigmoid = 5,
  kTanh = 6,
};

// Bias broadcast modes for the epilogue: none, one scalar for all of C, or one value per column
// of C (a bias of shape [N] added to every row, as tfjs broadcasts a [N] bias over [M, N]).
enum BiasMode : int { kBiasNone = 0, kBiasScalar = 1, kBiasPerColumn = 2 };

struct Epilogue {
  const float* bias = nullptr;
  int bias_mode = kBiasNone;
  int act = kLinear;
  float alpha = 0.2f;  // leakyrelu slope
  bool active() const { return bias_mode != kBiasNone || act != kLinear; }
};

struct ConstView {
  const float* p;
  std::ptrdiff_t rs, cs;
};

// C[M, N] (row stride ldc, unit column stride) = (accumulate ? C : 0) + A[M, K] * B[K, N], then the
// epilogue (bias, activation) on each finished element. Runs on the calling thread only.
void sgemm_st(int M, int N, int K, ConstView A, ConstView B, float* C, std::ptrdiff_t ldc,
              bool accumulate, const Epilogue* ep);

// Same, but splits M (or N when M is short) over the thread pool when the problem is big enough.
void sgemm(int M, int N, int K, ConstView A, ConstView B, float* C, std::ptrdiff_t ldc,
           bool accumulate, const Epilogue* ep);

// Applies the epilogue to the rows [0, m) and columns [j0, j1) of C.
void apply_epilogue(float* C, std::ptrdiff_t ldc, int m, int j0, int j1, const Epilogue& ep);

// --- thread pool -----------------------------------------------------------------------------

// Number of threads kernels may use (1 + pool workers); settable for benchmarks.
int num_threads();
void set_num_threads(int n);
int max_thread_ids();

// Problems below this many multiply-adds stay on the calling thread (measured; see bench/kernels.ts).
long long parallel_threshold();
void set_parallel_threshold(long long flops);

// Runs fn(task, thread) for task in [0, ntasks), the caller (thread 0) and, when nthreads > 1, the
// pool's workers claiming tasks dynamically; returns when all are done. Re-entrant calls and calls
// made while another JS thread holds the pool run serially on the caller.
// `thread` is always < max_thread_ids() (for per-thread scratch indexed by it).
void parallel_for(int ntasks, int nthreads, const std::function<void(int task, int thread)>& fn);

// Which micro-kernels run: "avx512f" (AVX-512 tiles and the AVX2 kernel), "avx2-fma" or "scalar".
// NNLAB_NATIVE_NO_AVX512=1 leaves out the AVX-512 tiles; NNLAB_NATIVE_SCALAR=1 in the environment, or
// set_force_scalar(true) (tests), selects the portable kernel.
const char* simd_name();
void set_force_scalar(bool on);
// set_no_wide(true) (tests) leaves out the AVX-512 tiles: the AVX2 kernel alone, for comparing bits.
void set_no_wide(bool on);

// 64-byte aligned scratch owned by the calling thread; slot picks one of several buffers.
float* scratch(int slot, std::size_t floats);

}  // namespace nnlab
