// nnlab native SGEMM: packing, blocking, micro-kernel dispatch, epilogue and the thread pool.
//
// Algorithm (the classic Goto/BLIS layering, written from scratch here):
//   for each NC-wide column block of B and C
//     for each KC-deep slice of K:  pack B[kc x nc] into NR-wide row panels (zero padded)
//       for each MC-tall row block: pack A[mc x kc] into MR-tall column panels (zero padded)
//         for each NR panel of B (stays in L1), for each MR panel of A (streams from L2):
//           micro-kernel: C[MR x NR] (+)= Apanel * Bpanel
//         after the last K slice: bias + activation on the finished C block while it is hot.
// The micro-kernel is 6 x 16: AVX2+FMA (gemm_avx2.cc) when the CPU has both, otherwise a portable
// C++ loop the compiler vectorises with baseline SSE2/NEON. Where the CPU has AVX-512
// (gemm_avx512.cc), full tiles over two adjacent B panels take 12 x 32 and 6 x 32 kernels at twice
// the vector width, each element of C the same FMA chain as the AVX2 kernel's, so the result is
// the same to the bit (1.3-1.4x the AVX2 GFLOP/s on the DCGAN's K = 1600 convolutions here; set
// NNLAB_NATIVE_NO_AVX512 to compare). Partial edge tiles go through a small stack tile. Operands
// are (pointer, row stride, column stride) views, so transposed A or B and
// im2col matrices need no copies beyond the packing every GEMM does anyway.
//
// Threads: a small persistent pool (hardware threads, at most 8; NNLAB_NATIVE_THREADS overrides).
// sgemm() splits M into MR-aligned chunks (or N into NR-aligned ones when M is short) only when
// M*N*K reaches parallel_threshold(); below it waking the other core costs more than it saves.
// Idle workers spin ~50 us before sleeping on a condition variable, so a run of back-to-back
// kernels (a training step) does not pay the futex wake-up each time.
#include "gemm.h"
#include "blend.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#define NNLAB_X86 1
#include <immintrin.h>
#endif

namespace nnlab {

#if defined(NNLAB_X86) && defined(NNLAB_HAVE_AVX2_TU)
void kernel_6x16_avx2(int kc, const float* Ap, const float* Bp, float* C, std::ptrdiff_t ldc,
                      bool accumulate);
#endif
#if defined(NNLAB_X86) && defined(NNLAB_HAVE_AVX512_TU)
void kernel_6x32_avx512(int kc, const float* Ap, const float* Bp0, const float* Bp1, float* C,
                        std::ptrdiff_t ldc, bool accumulate);
void kernel_12x32_avx512(int kc, const float* Ap0, const float* Ap1, const float* Bp0,
                         const float* Bp1, float* C, std::ptrdiff_t ldc, bool accumulate);
#endif

namespace {

constexpr int MR = 6;
constexpr int NR = 16;
constexpr int KC = 256;   // packed B panel: KC x NR x 4 B = 16 KiB, fits L1 next to the A stream
constexpr int MC = 120;   // packed A block: MC x KC x 4 B = 120 KiB, fits L2 (512 KiB/core)
constexpr int NC = 2048;  // packed B block: KC x NC x 4 B = 2 MiB, lives in L3

using MicroKernel = void (*)(int, const float*, const float*, float*, std::ptrdiff_t, bool);
/** Tiles over two adjacent 16-wide B panels (AVX-512): 6 x 32, and 12 x 32 over two A panels. */
struct WideKernel {
  void (*fn)(int, const float*, const float*, const float*, float*, std::ptrdiff_t, bool);
  void (*tall)(int, const float*, const float*, const float*, const float*, float*,
               std::ptrdiff_t, bool);
};

void kernel_6x16_scalar(int kc, const float* Ap, const float* Bp, float* C, std::ptrdiff_t ldc,
                        bool accumulate) {
  float t[MR][NR];
  for (int r = 0; r < MR; ++r)
    for (int c = 0; c < NR; ++c) t[r][c] = 0.f;
  for (int k = 0; k < kc; ++k) {
    for (int r = 0; r < MR; ++r) {
      const float a = Ap[r];
      for (int c = 0; c < NR; ++c) t[r][c] += a * Bp[c];
    }
    Ap += MR;
    Bp += NR;
  }
  for (int r = 0; r < MR; ++r) {
    float* row = C + r * ldc;
    if (accumulate)
      for (int c = 0; c < NR; ++c) row[c] += t[r][c];
    else
      for (int c = 0; c < NR; ++c) row[c] = t[r][c];
  }
}

struct KernelChoice {
  MicroKernel fn;
  WideKernel wide;  // full 6/12 x 32 tiles when the CPU has AVX-512 (the same bits as fn's tiles)
  const char* name;
};

// NNLAB_NATIVE_SCALAR: the portable kernel; NNLAB_NATIVE_NO_AVX512: AVX2 even where AVX-512 is.
KernelChoice choose_kernel() {
#if defined(NNLAB_X86) && defined(NNLAB_HAVE_AVX2_TU) && defined(__GNUC__)
  if (!std::getenv("NNLAB_NATIVE_SCALAR")) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
#if defined(NNLAB_HAVE_AVX512_TU)
      if (__builtin_cpu_supports("avx512f") && !std::getenv("NNLAB_NATIVE_NO_AVX512"))
        return {kernel_6x16_avx2, {kernel_6x32_avx512, kernel_12x32_avx512}, "avx512f"};
#endif
      return {kernel_6x16_avx2, {nullptr, nullptr}, "avx2-fma"};
    }
  }
#endif
  return {kernel_6x16_scalar, {nullptr, nullptr}, "scalar"};
}

std::atomic<bool> g_force_scalar{false};
std::atomic<bool> g_no_wide{false};

const KernelChoice& kernel() {
  static const KernelChoice best = choose_kernel();
  static const KernelChoice scalar = {kernel_6x16_scalar, {nullptr, nullptr}, "scalar"};
  static const KernelChoice narrow = {best.fn, {nullptr, nullptr}, best.wide.fn != nullptr ? "avx2-fma" : best.name};
  if (g_force_scalar.load(std::memory_order_relaxed)) return scalar;
  return g_no_wide.load(std::memory_order_relaxed) ? narrow : best;
}

inline int round_up(int x, int m) { return (x + m - 1) / m * m; }

// Packs rows [i0, i0+mc) x cols [k0, k0+kc) of A into MR-row panels: panel p holds, for each k,
// the MR values A(i0 + p*MR + r, k0 + k) contiguously; rows past mc are zero.
void pack_a(ConstView A, int i0, int k0, int mc, int kc, float* Ap) {
  for (int ir = 0; ir < mc; ir += MR) {
    const int mr = std::min(MR, mc - ir);
    float* dst = Ap + static_cast<std::ptrdiff_t>(ir) * kc;
    const float* base = A.p + (i0 + ir) * A.rs + k0 * A.cs;
    if (A.rs == 1 && mr == MR) {  // A stored transposed: the MR values of one k are contiguous
      for (int k = 0; k < kc; ++k) {
        const float* s = base + k * A.cs;
        for (int r = 0; r < MR; ++r) dst[k * MR + r] = s[r];
      }
    } else {
      for (int r = 0; r < mr; ++r) {
        const float* s = base + r * A.rs;
        if (A.cs == 1)
          for (int k = 0; k < kc; ++k) dst[k * MR + r] = s[k];
        else
          for (int k = 0; k < kc; ++k) dst[k * MR + r] = s[k * A.cs];
      }
      for (int r = mr; r < MR; ++r)
        for (int k = 0; k < kc; ++k) dst[k * MR + r] = 0.f;
    }
  }
}

// Packs rows [k0, k0+kc) x cols [j0, j0+nc) of B into NR-column panels: panel q holds, for each k,
// the NR values B(k0 + k, j0 + q*NR + c) contiguously; columns past nc are zero.
void pack_b(ConstView B, int k0, int j0, int kc, int nc, float* Bp) {
  for (int jr = 0; jr < nc; jr += NR) {
    const int nr = std::min(NR, nc - jr);
    float* dst = Bp + static_cast<std::ptrdiff_t>(jr) * kc;
    const float* base = B.p + k0 * B.rs + (j0 + jr) * B.cs;
    if (B.cs == 1) {  // row-major B: each k row of the panel is one contiguous run
      for (int k = 0; k < kc; ++k) {
        const float* s = base + k * B.rs;
        float* d = dst + k * NR;
        if (nr == NR) {
          std::memcpy(d, s, NR * sizeof(float));
        } else {
          for (int c = 0; c < nr; ++c) d[c] = s[c];
          for (int c = nr; c < NR; ++c) d[c] = 0.f;
        }
      }
    } else {
      for (int c = 0; c < nr; ++c) {
        const float* s = base + c * B.cs;
        if (B.rs == 1)
          for (int k = 0; k < kc; ++k) dst[k * NR + c] = s[k];
        else
          for (int k = 0; k < kc; ++k) dst[k * NR + c] = s[k * B.rs];
      }
      for (int c = nr; c < NR; ++c)
        for (int k = 0; k < kc; ++k) dst[k * NR + c] = 0.f;
    }
  }
}

template <int ACT>
inline float activate(float v, float alpha) {
  if (ACT == kRelu) return v < 0.f ? 0.f : v;
  if (ACT == kRelu6) return std::min(std::max(v, 0.f), 6.f);
  if (ACT == kElu) return v >= 0.f ? v : std::expm1(v);
  // both sides then a bitwise select: `v < 0 ? alpha * v : v` compiled to a branch (the multiply
  // may not be hoisted, it could raise an FP flag), mispredicted on half the elements: 4x ReLU's time
  if (ACT == kLeakyRelu) return blend(v < 0.f, alpha * v, v);
  if (ACT == kSigmoid) return 1.f / (1.f + std::exp(-v));
  if (ACT == kTanh) return std::tanh(v);
  return v;
}

template <int ACT>
void epilogue_rows(float* C, std::ptrdiff_t ldc, int m, int j0, int j1, const Epilogue& ep) {
  const float alpha = ep.alpha;
  for (int i = 0; i < m; ++i) {
    float* row = C + i * ldc;
    if (ep.bias_mode == kBiasPerColumn) {
      const float* b = ep.bias;
      for (int j = j0; j < j1; ++j) row[j] = activate<ACT>(row[j] + b[j], alpha);
    } else if (ep.bias_mode == kBiasScalar) {
      const float b = ep.bias[0];
      for (int j = j0; j < j1; ++j) row[j] = activate<ACT>(row[j] + b, alpha);
    } else {
      for (int j = j0; j < j1; ++j) row[j] = activate<ACT>(row[j], alpha);
    }
  }
}

}  // namespace

void apply_epilogue(float* C, std::ptrdiff_t ldc, int m, int j0, int j1, const Epilogue& ep) {
  switch (ep.act) {
    case kRelu: return epilogue_rows<kRelu>(C, ldc, m, j0, j1, ep);
    case kRelu6: return epilogue_rows<kRelu6>(C, ldc, m, j0, j1, ep);
    case kElu: return epilogue_rows<kElu>(C, ldc, m, j0, j1, ep);
    case kLeakyRelu: return epilogue_rows<kLeakyRelu>(C, ldc, m, j0, j1, ep);
    case kSigmoid: return epilogue_rows<kSigmoid>(C, ldc, m, j0, j1, ep);
    case kTanh: return epilogue_rows<kTanh>(C, ldc, m, j0, j1, ep);
    default: return epilogue_rows<kLinear>(C, ldc, m, j0, j1, ep);
  }
}

const char* simd_name() { return kernel().name; }
void set_force_scalar(bool on) { g_force_scalar.store(on, std::memory_order_relaxed); }
void set_no_wide(bool on) { g_no_wide.store(on, std::memory_order_relaxed); }

// ---- scratch memory ---------------------------------------------------------------------------

namespace {
struct Scratch {
  static constexpr int kSlots = 4;
  float* buf[kSlots] = {};
  std::size_t cap[kSlots] = {};
  ~Scratch() {
    for (float* p : buf) std::free(p);
  }
};
thread_local Scratch tls_scratch;
}  // namespace

float* scratch(int slot, std::size_t floats) {
  Scratch& s = tls_scratch;
  if (floats > s.cap[slot]) {
    std::free(s.buf[slot]);
    std::size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
    s.buf[slot] = static_cast<float*>(std::aligned_alloc(64, bytes));
    s.cap[slot] = s.buf[slot] ? floats : 0;
  }
  return s.buf[slot];
}

// ---- GEMM -------------------------------------------------------------------------------------

namespace {

// One 6 x 16 tile of C (mr x nr of it inside C): straight into C when whole, else through `tile`
// and its corner added to (acc) or stored in C.
inline void tile_6x16(MicroKernel kern, int kc, const float* ap, const float* bp, float* c,
                      std::ptrdiff_t ldc, int mr, int nr, bool acc, float* tile) {
  if (mr == MR && nr == NR) {
    kern(kc, ap, bp, c, ldc, acc);
    return;
  }
  kern(kc, ap, bp, tile, NR, false);
  for (int r = 0; r < mr; ++r) {
    float* crow = c + r * ldc;
    const float* trow = tile + r * NR;
    if (acc)
      for (int q = 0; q < nr; ++q) crow[q] += trow[q];
    else
      for (int q = 0; q < nr; ++q) crow[q] = trow[q];
  }
}

}  // namespace

void sgemm_st(int M, int N, int K, ConstView A, ConstView B, float* C, std::ptrdiff_t ldc,
              bool accumulate, const Epilogue* ep) {
  if (M <= 0 || N <= 0) return;
  const bool epi = ep != nullptr && ep->active();
  if (K <= 0) {
    if (!accumulate)
      for (int i = 0; i < M; ++i) std::memset(C + i * ldc, 0, N * sizeof(float));
    if (epi) apply_epilogue(C, ldc, M, 0, N, *ep);
    return;
  }
  const MicroKernel kern = kernel().fn;
  const WideKernel wide = kernel().wide;  // .fn null: no AVX-512
  const int kc_max = std::min(KC, K);
  float* Bp = scratch(0, static_cast<std::size_t>(kc_max) * round_up(std::min(N, NC), NR));
  float* Ap = scratch(1, static_cast<std::size_t>(kc_max) * round_up(std::min(M, MC), MR));
  alignas(64) float tile[MR * NR];
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      const bool acc = accumulate || pc > 0;
      const bool last = pc + kc >= K;
      pack_b(B, pc, jc, kc, nc, Bp);
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = std::min(MC, M - ic);
        pack_a(A, ic, pc, mc, kc, Ap);
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = std::min(NR, nc - jr);
          const float* bp = Bp + static_cast<std::ptrdiff_t>(jr) * kc;
          // with AVX-512, two full B panels at once: 12 x 32 and 6 x 32 tiles, short rows per panel
          const bool pair = wide.fn != nullptr && jr + 2 * NR <= nc;
          const float* bp1 = bp + static_cast<std::ptrdiff_t>(NR) * kc;  // the second panel, when pair
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = std::min(MR, mc - ir);
            const float* ap = Ap + static_cast<std::ptrdiff_t>(ir) * kc;
            float* c = C + (ic + ir) * ldc + jc + jr;
            if (pair && ir + 2 * MR <= mc) {
              wide.tall(kc, ap, ap + static_cast<std::ptrdiff_t>(MR) * kc, bp, bp1, c, ldc, acc);
              ir += MR;  // the loop adds the other
            } else if (pair && mr == MR) {
              wide.fn(kc, ap, bp, bp1, c, ldc, acc);
            } else {
              for (int q = 0; q < (pair ? 2 : 1); ++q)
                tile_6x16(kern, kc, ap, q == 0 ? bp : bp1, c + q * NR, ldc, mr, nr, acc, tile);
            }
          }
          if (pair) jr += NR;  // the loop adds the other
        }
        if (last && epi) apply_epilogue(C + ic * ldc, ldc, mc, jc, jc + nc, *ep);
      }
    }
  }
}

void sgemm(int M, int N, int K, ConstView A, ConstView B, float* C, std::ptrdiff_t ldc,
           bool accumulate, const Epilogue* ep) {
  const int nt = num_threads();
  const long long work = static_cast<long long>(M) * N * std::max(K, 1);
  if (nt <= 1 || work < parallel_threshold()) {
    sgemm_st(M, N, K, A, B, C, ldc, accumulate, ep);
    return;
  }
  // Several tasks per thread (handed out dynamically), so a thread that gets preempted or starts
  // late holds up only a small piece. Each task packs its own panels; the repeated packing of the
  // shared operand costs K*N (or M*K) copies per task against >= 24*K*N multiply-adds.
  // Split the dimension whose redundant packing is cheaper: an M split repacks B (K*N) per task,
  // an N split repacks A (M*K); so split N when it is the longer one.
  const bool can_m = M >= nt * MR * 2;
  const bool can_n = N >= nt * NR * 2;
  if (can_m && !(can_n && N > M)) {
    const int chunk = std::max(4 * MR, round_up((M + 4 * nt - 1) / (4 * nt), MR));
    const int tasks = (M + chunk - 1) / chunk;
    parallel_for(tasks, nt, [&](int t, int) {
      const int i0 = t * chunk;
      const int m = std::min(chunk, M - i0);
      ConstView a{A.p + i0 * A.rs, A.rs, A.cs};
      sgemm_st(m, N, K, a, B, C + i0 * ldc, ldc, accumulate, ep);
    });
  } else if (can_n) {
    const int chunk = std::max(2 * NR, round_up((N + 4 * nt - 1) / (4 * nt), NR));
    const int tasks = (N + chunk - 1) / chunk;
    parallel_for(tasks, nt, [&](int t, int) {
      const int j0 = t * chunk;
      const int n = std::min(chunk, N - j0);
      ConstView b{B.p + j0 * B.cs, B.rs, B.cs};
      Epilogue e;
      if (ep) {
        e = *ep;
        if (e.bias_mode == kBiasPerColumn) e.bias += j0;
      }
      sgemm_st(M, n, K, A, b, C + j0, ldc, accumulate, ep ? &e : nullptr);
    });
  } else {
    sgemm_st(M, N, K, A, B, C, ldc, accumulate, ep);
  }
}

// ---- thread pool ------------------------------------------------------------------------------

namespace {

inline void cpu_relax() {
#if defined(NNLAB_X86)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Work sharing without waiting on sleepers: one 64-bit atomic holds (generation, task count,
// next task). Anyone who wants work - the caller or a woken worker - claims the next index with a
// compare-and-swap that also checks the generation, so a worker that wakes late (after the run it
// was woken for has finished) claims nothing. The caller waits only for tasks actually claimed
// (done == ntasks), never for workers that have not started; if the other core is busy the caller
// simply does all the tasks itself.
class Pool {
 public:
  static constexpr int kMaxTasks = 0xffff;

  explicit Pool(int workers) : nworkers_(workers) {
    for (int i = 0; i < workers; ++i) std::thread([this, i] { loop(i + 1); }).detach();
  }

  // Returns false (and runs nothing) when another thread holds the pool.
  bool run(int ntasks, const std::function<void(int, int)>& fn) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    fn_ = &fn;
    done_.store(0, std::memory_order_relaxed);
    const std::uint64_t gen = ++gen_;
    state_.store(gen << 32 | static_cast<std::uint64_t>(ntasks) << 16, std::memory_order_release);
    { std::lock_guard<std::mutex> lk(m_); }  // no lost wake-up: sleepers re-check state_ under m_
    cv_.notify_all();
    work(gen, 0);
    for (int spins = 0; done_.load(std::memory_order_acquire) < ntasks; ++spins) {
      if (spins < 4096)
        cpu_relax();
      else
        std::this_thread::yield();  // a claimed task's worker was preempted: let it run
    }
    return true;
  }

 private:
  // Claims and runs tasks of generation `gen` until none are left (or a newer run started).
  void work(std::uint64_t gen, int id) {
    for (;;) {
      std::uint64_t v = state_.load(std::memory_order_acquire);
      for (;;) {
        if ((v >> 32) != gen) return;
        const int next = static_cast<int>(v & 0xffff);
        const int n = static_cast<int>((v >> 16) & 0xffff);
        if (next >= n) return;
        if (state_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
          // Claiming an unfinished task of run `gen` proves the run is live, so fn_ is its function.
          (*fn_)(next, id);
          done_.fetch_add(1, std::memory_order_release);
          break;
        }
      }
    }
  }

  void loop(int id) {
    std::uint64_t seen = 0;
    for (;;) {
      std::uint64_t g = state_.load(std::memory_order_acquire) >> 32;
      if (g == seen) {
        // Spin ~50 us first: the kernels of one training step come back to back.
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
        for (int spins = 1; (g = state_.load(std::memory_order_acquire) >> 32) == seen; ++spins) {
          cpu_relax();
          if ((spins & 63) == 0 && std::chrono::steady_clock::now() > until) {
            std::unique_lock<std::mutex> lk(m_);
            cv_.wait(lk, [&] { return (state_.load(std::memory_order_acquire) >> 32) != seen; });
            g = state_.load(std::memory_order_acquire) >> 32;
            break;
          }
        }
      }
      seen = g;
      work(g, id);
    }
  }

  const int nworkers_;
  std::mutex busy_;  // held by the JS thread that owns the current run
  std::mutex m_;
  std::condition_variable cv_;
  std::uint64_t gen_ = 0;  // written by the run owner only
  std::atomic<std::uint64_t> state_{0};
  std::atomic<int> done_{0};
  const std::function<void(int, int)>* fn_ = nullptr;

 public:
  int workers() const { return nworkers_; }
};

int default_threads() {
  if (const char* s = std::getenv("NNLAB_NATIVE_THREADS")) {
    const int n = std::atoi(s);
    if (n >= 1) return std::min(n, 64);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(hw == 0 ? 1u : hw, 1u, 8u));
}

std::atomic<int> g_threads{0};
// Multiply-adds below which a GEMM (or convolution) stays single-threaded: 4 M. On the 2-core AMD
// EPYC dev box, idle: 64^3 (0.26 M) is 1.8x slower on 2 threads, 128^3 (2.1 M) 1.3x faster,
// 256^3 1.8x, 512^3 2.3x; with the other core busy (other processes), 2 threads lost up to ~40 M.
// 4 M keeps the DQN's matmuls (<= 2.1 M) on one core and splits the VAE and DCGAN ones.
std::atomic<long long> g_threshold{1 << 22};

// Created on first parallel use and deliberately never destroyed: joinable threads must not be
// torn down by static destructors at process exit, and the workers just sleep when idle.
Pool* pool(int workers) {
  static Pool* p = new Pool(workers);
  return p;
}

thread_local bool tls_in_parallel = false;

}  // namespace

int num_threads() {
  int n = g_threads.load(std::memory_order_relaxed);
  if (n == 0) {
    n = default_threads();
    g_threads.store(n, std::memory_order_relaxed);
  }
  return n;
}

int max_thread_ids() { return std::max(default_threads(), 2); }  // pool workers + the caller

void set_num_threads(int n) { g_threads.store(std::max(1, n), std::memory_order_relaxed); }
long long parallel_threshold() { return g_threshold.load(std::memory_order_relaxed); }
void set_parallel_threshold(long long w) { g_threshold.store(std::max(0LL, w), std::memory_order_relaxed); }

void parallel_for(int ntasks, int nthreads, const std::function<void(int, int)>& fn) {
  if (ntasks <= 0) return;
  if (nthreads > 1 && ntasks > 1 && !tls_in_parallel) {
    Pool* p = pool(std::max(default_threads() - 1, 1));
    tls_in_parallel = true;
    bool ran;
    if (ntasks <= Pool::kMaxTasks) {
      ran = p->run(ntasks, fn);
    } else {  // more tasks than the state word counts: hand them out in groups
      const int group = (ntasks + Pool::kMaxTasks - 1) / Pool::kMaxTasks;
      const int groups = (ntasks + group - 1) / group;
      ran = p->run(groups, [&](int gi, int thread) {
        for (int t = gi * group, e = std::min(ntasks, t + group); t < e; ++t) fn(t, thread);
      });
    }
    tls_in_parallel = false;
    if (ran) return;
  }
  for (int t = 0; t < ntasks; ++t) fn(t, 0);
}

}  // namespace nnlab
