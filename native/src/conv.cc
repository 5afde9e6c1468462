// nnlab native 2-D convolution (NHWC, filters [fh, fw, Ci, Co] as in tfjs), dilation 1.
//
// All three kernels lower to the SGEMM in gemm.cc through im2col / col2im, a chunk of output
// pixels at a time so the column buffer stays in cache and chunks can run on different threads:
//   P = B*OH*OW output pixels, K = fh*fw*Ci, row p of col = the input patch under pixel p, laid out
//   (ky, kx, ci) to match the filter reshaped to W[K, Co].
//   forward          y[P, Co]   = col[P, K] * W[K, Co]             (+ bias, activation)
//   backprop input   dcol[P, K] = dy[P, Co] * W^T;  dx = col2im(dcol)  (scatter-add; adjoint of im2col)
//   backprop filter  dW[K, Co]  = sum over chunks of col^T * dy     (partial sums per static slot)
// Padding (top/left) comes from tfjs's computeConv2DInfo, so 'same', 'valid', explicit pads and
// dimRoundingMode all arrive already resolved. Patches of 1x1 stride-1 unpadded convolutions are
// the input itself, so those skip im2col.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv.h"
#include "gemm.h"

namespace nnlab {

namespace {

constexpr int kColSlot = 2;
constexpr int kWtSlot = 3;

bool pointwise(const ConvGeom& g) {
  return g.fh == 1 && g.fw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 &&
         g.OH == g.H && g.OW == g.W;
}

// Rows of col per chunk: about kChunkFloats (64K floats, 256 KiB) of patches, a multiple of 6 (the
// GEMM's MR). Measured on the DCGAN's K = 1600 convolutions: 4x taller chunks (fewer repacks of the
// filter) made the backprop-input kernel slower (its col2im then misses L2). The forward's chunks
// hold 4x as much (1 MiB): each packs the whole filter, and at K = 3200 (WGAN-GP's 5x5x128 critic
// layer) 24-row chunks spent about as long packing as multiplying (a 192-image forward took 21 ms,
// 16 ms with 84-row chunks; how the rows are chunked changes no output's sum).
constexpr int kChunkFloats = 65536;
constexpr int kForwardChunkFloats = 4 * kChunkFloats;
// Rows of a backprop-input chunk of several short images (see conv2d_backprop_input).
constexpr int kImageChunkRows = 192;

int chunk_rows(int K, int P, int floats = kChunkFloats) {
  int r = std::clamp(floats / std::max(K, 1), 24, 1024);
  r = (r + 5) / 6 * 6;
  return std::min(r, std::max(P, 1));
}

// col[r - r0, :] = patch under output pixel r, for r in [r0, r1).
void im2col(const ConvGeom& g, const float* x, int r0, int r1, float* col) {
  const int K = g.fh * g.fw * g.Ci;
  const int plane = g.OH * g.OW;
  for (int r = r0; r < r1; ++r) {
    const int b = r / plane;
    const int rem = r - b * plane;
    const int oy = rem / g.OW;
    const int ox = rem - oy * g.OW;
    float* dst = col + static_cast<std::ptrdiff_t>(r - r0) * K;
    const int ix0 = ox * g.sw - g.pl;
    // Valid kx range: 0 <= ix0 + kx < W.
    const int kx0 = std::max(0, -ix0);
    const int kx1 = std::min(g.fw, g.W - ix0);
    for (int ky = 0; ky < g.fh; ++ky) {
      const int iy = oy * g.sh - g.pt + ky;
      float* d = dst + ky * g.fw * g.Ci;
      if (iy < 0 || iy >= g.H || kx1 <= kx0) {
        std::memset(d, 0, sizeof(float) * g.fw * g.Ci);
        continue;
      }
      if (kx0 > 0) std::memset(d, 0, sizeof(float) * kx0 * g.Ci);
      const float* s = x + ((static_cast<std::ptrdiff_t>(b) * g.H + iy) * g.W + ix0 + kx0) * g.Ci;
      std::memcpy(d + kx0 * g.Ci, s, sizeof(float) * (kx1 - kx0) * g.Ci);
      if (kx1 < g.fw) std::memset(d + kx1 * g.Ci, 0, sizeof(float) * (g.fw - kx1) * g.Ci);
    }
  }
}

// dx += col2im(dcol) for output pixels [r0, r1).
void col2im_add(const ConvGeom& g, const float* dcol, int r0, int r1, float* dx) {
  const int K = g.fh * g.fw * g.Ci;
  const int plane = g.OH * g.OW;
  for (int r = r0; r < r1; ++r) {
    const int b = r / plane;
    const int rem = r - b * plane;
    const int oy = rem / g.OW;
    const int ox = rem - oy * g.OW;
    const float* src = dcol + static_cast<std::ptrdiff_t>(r - r0) * K;
    const int ix0 = ox * g.sw - g.pl;
    const int kx0 = std::max(0, -ix0);
    const int kx1 = std::min(g.fw, g.W - ix0);
    if (kx1 <= kx0) continue;
    const int run = (kx1 - kx0) * g.Ci;
    for (int ky = 0; ky < g.fh; ++ky) {
      const int iy = oy * g.sh - g.pt + ky;
      if (iy < 0 || iy >= g.H) continue;
      const float* s = src + (ky * g.fw + kx0) * g.Ci;
      float* d = dx + ((static_cast<std::ptrdiff_t>(b) * g.H + iy) * g.W + ix0 + kx0) * g.Ci;
      for (int i = 0; i < run; ++i) d[i] += s[i];
    }
  }
}

int threads_for(long long work) {
  return work >= parallel_threshold() ? num_threads() : 1;
}

}  // namespace

void conv2d_forward(const ConvGeom& g, const float* x, const float* w, float* y, const Epilogue* ep) {
  const int K = g.fh * g.fw * g.Ci;
  const int P = g.B * g.OH * g.OW;
  const ConstView W{w, g.Co, 1};
  if (pointwise(g)) {
    sgemm(P, g.Co, K, ConstView{x, K, 1}, W, y, g.Co, false, ep);
    return;
  }
  const int R = chunk_rows(K, P, kForwardChunkFloats);
  const int tasks = (P + R - 1) / R;
  parallel_for(tasks, threads_for(static_cast<long long>(P) * K * g.Co), [&](int t, int) {
    const int r0 = t * R;
    const int r1 = std::min(P, r0 + R);
    float* col = scratch(kColSlot, static_cast<std::size_t>(R) * K);
    im2col(g, x, r0, r1, col);
    sgemm_st(r1 - r0, g.Co, K, ConstView{col, K, 1}, W, y + static_cast<std::ptrdiff_t>(r0) * g.Co,
             g.Co, false, ep);
  });
}

void conv2d_backprop_input(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  const int K = g.fh * g.fw * g.Ci;
  const int P = g.B * g.OH * g.OW;
  const std::ptrdiff_t image = static_cast<std::ptrdiff_t>(g.H) * g.W * g.Ci;
  if (pointwise(g)) {
    const ConstView Wt{w, 1, g.Co};  // W^T[Co, K]: element (co, k) = w[k * Co + co]
    sgemm(P, K, g.Co, ConstView{dy, g.Co, 1}, Wt, dx, K, false, nullptr);
    return;
  }
  // W^T[Co, K] copied once into rows (packing reads it per chunk; strided reads cost 2x there).
  float* wt = scratch(kWtSlot, static_cast<std::size_t>(K) * g.Co);
  for (int k = 0; k < K; ++k)
    for (int co = 0; co < g.Co; ++co) wt[static_cast<std::ptrdiff_t>(co) * K + k] = w[static_cast<std::ptrdiff_t>(k) * g.Co + co];
  const ConstView Wt{wt, K, 1};
  const int plane = g.OH * g.OW;
  const long long work = static_cast<long long>(P) * K * g.Co;
  // Images are independent in dx, so whole images are the tasks (no write races in col2im).
  // A lone image instead parallelises inside the GEMM of each chunk.
  const bool by_image = g.B >= 2 && threads_for(work) > 1;
  // By image, an image of up to 2R rows goes in one chunk: otherwise its last chunk packs the
  // whole filter for a few rows (7 of the DCGAN's 49). Short images go several to a chunk (up to
  // about kImageChunkRows rows, at least 4 tasks a thread): each chunk packs all of W^T, which for
  // one 4x4 image (16 rows against K = 3200) cost more than its multiply-adds. Each image's rows
  // still enter dx in the same order, so dx keeps its bits.
  const int R0 = chunk_rows(K, plane);
  int group = 1;
  if (by_image && plane <= 2 * R0) {
    const int nt = num_threads();
    group = std::max(1, std::min(kImageChunkRows / plane, g.B / (4 * nt)));
  }
  const int R = by_image && plane <= 2 * R0 ? plane * group : R0;
  auto do_images = [&](int b0, int b1, bool inner_parallel) {
    std::memset(dx + b0 * image, 0, sizeof(float) * image * (b1 - b0));
    const int p0 = b0 * plane;
    const int p1 = b1 * plane;
    float* dcol = scratch(kColSlot, static_cast<std::size_t>(R) * K);
    for (int r0 = p0; r0 < p1; r0 += R) {
      const int r1 = std::min(p1, r0 + R);
      const ConstView dyv{dy + static_cast<std::ptrdiff_t>(r0) * g.Co, g.Co, 1};
      if (inner_parallel)
        sgemm(r1 - r0, K, g.Co, dyv, Wt, dcol, K, false, nullptr);
      else
        sgemm_st(r1 - r0, K, g.Co, dyv, Wt, dcol, K, false, nullptr);
      col2im_add(g, dcol, r0, r1, dx);
    }
  };
  if (by_image) {
    const int tasks = (g.B + group - 1) / group;
    parallel_for(tasks, num_threads(), [&](int t, int) { do_images(t * group, std::min(g.B, (t + 1) * group), false); });
  } else {
    do_images(0, g.B, true);
  }
}

void conv2d_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  const int K = g.fh * g.fw * g.Ci;
  const int P = g.B * g.OH * g.OW;
  const std::size_t wsize = static_cast<std::size_t>(K) * g.Co;
  std::memset(dw, 0, sizeof(float) * wsize);
  if (P == 0) return;
  if (pointwise(g)) {
    // dW[K, Co] = x^T[K, P] * dy[P, Co]
    sgemm(K, g.Co, P, ConstView{x, 1, K}, ConstView{dy, g.Co, 1}, dw, g.Co, false, nullptr);
    return;
  }
  // Chunks of 256 pixels (one KC slice of the GEMM's K) or the 256 KiB rule, whichever is bigger,
  // so every chunk's GEMM reads and writes its dW accumulator only once.
  const int R = std::min(P, std::max(chunk_rows(K, P), 256));
  const int tasks = (P + R - 1) / R;
  // Slot s sums the chunks [s*tasks/slots, (s+1)*tasks/slots) in order, slot 0 into dw and the
  // others into buffers of their own (allocated and zeroed by the thread that runs them), added to dw
  // in slot order: dW's sums do not depend on which thread ran which slot, so a run gives the same
  // bits every time (for a given thread count). Two slots a thread balance a late thread's share.
  const bool threaded = threads_for(static_cast<long long>(P) * K * g.Co) > 1 && tasks > 1;
  const int slots = threaded ? std::min(2 * num_threads(), tasks) : 1;
  std::vector<std::vector<float>> partial(slots);
  parallel_for(slots, threaded ? num_threads() : 1, [&](int slot, int) {
    float* acc = dw;
    if (slot > 0) {
      partial[slot].assign(wsize, 0.f);
      acc = partial[slot].data();
    }
    float* col = scratch(kColSlot, static_cast<std::size_t>(R) * K);
    const int t1 = static_cast<int>(static_cast<long long>(tasks) * (slot + 1) / slots);
    for (int t = static_cast<int>(static_cast<long long>(tasks) * slot / slots); t < t1; ++t) {
      const int r0 = t * R;
      const int r1 = std::min(P, r0 + R);
      im2col(g, x, r0, r1, col);
      // col^T[K, rows]: element (k, r) = col[r * K + k]
      sgemm_st(K, g.Co, r1 - r0, ConstView{col, 1, K},
               ConstView{dy + static_cast<std::ptrdiff_t>(r0) * g.Co, g.Co, 1}, acc, g.Co, true, nullptr);
    }
  });
  for (const auto& p : partial) {
    for (std::size_t i = 0; i < p.size(); ++i) dw[i] += p[i];
  }
}

}  // namespace nnlab
