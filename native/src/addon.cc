// nnlab_native: N-API glue for nnlab's native tfjs kernels (plain node_api.h, no node-addon-api).
//
// Accelerated (called from core/native.ts, which registers them as the tfjs backend 'native'):
//   matmul               BatchMatMul / _FusedMatMul: batched SGEMM with transposes, batch
//                        broadcasting (one side of batch 1, or equal batches) and a fused epilogue
//                        (bias [N] or scalar, then linear|relu|relu6|elu|leakyrelu|sigmoid|tanh)
//   conv2d               Conv2D / FusedConv2D (NHWC, dilation 1), im2col + SGEMM + epilogue
//   conv2dBackpropInput  Conv2DBackpropInput (also conv2dTranspose), SGEMM + col2im
//   conv2dBackpropFilter Conv2DBackpropFilter, im2col + SGEMM with per-thread partial sums
//   binary / unary / sum Add Sub Mul RealDiv Maximum Minimum SquaredDifference Prelu (same shape,
//                        scalar or trailing broadcast), Relu Sqrt Square Exp Log Neg Abs Step Sigmoid
//                        Tanh Rsqrt Reciprocal LeakyRelu, Sum over one contiguous block of axes
//   compare / select     Greater GreaterEqual Less LessEqual Equal NotEqual (bool out), Select
//   batchNorm(Grad)      FusedBatchNorm and its gradient (per-channel, one pass) (elementwise.cc)
// All arrays are Float32Arrays owned by JS; outputs are preallocated by the caller, so nothing is
// copied. Work runs synchronously on the calling JS thread plus the addon's thread pool.
// The module is context-aware (NAPI_MODULE_INIT) and may be loaded by several worker threads.
#include <node_api.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "conv.h"
#include "elementwise.h"
#include "gemm.h"
#include "optim.h"

namespace {

using nnlab::ConstView;
using nnlab::Epilogue;

#define NN_CALL(env, call)                                            \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error((env), "NNLAB_NATIVE", "N-API call failed: " #call); \
      return nullptr;                                                 \
    }                                                                 \
  } while (0)

napi_value throw_type(napi_env env, const std::string& msg) {
  napi_throw_type_error(env, "NNLAB_NATIVE", msg.c_str());
  return nullptr;
}

// A Float32Array argument: data pointer and element count. Returns false (after throwing) if not.
bool get_f32(napi_env env, napi_value v, const char* name, float** data, std::size_t* len) {
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (!is_ta) {
    throw_type(env, std::string(name) + " must be a Float32Array");
    return false;
  }
  napi_typedarray_type type;
  void* ptr = nullptr;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, nullptr, nullptr) != napi_ok ||
      type != napi_float32_array) {
    throw_type(env, std::string(name) + " must be a Float32Array");
    return false;
  }
  *data = static_cast<float*>(ptr);
  return true;
}

// Optional Float32Array (null/undefined -> nullptr, len 0).
bool get_f32_opt(napi_env env, napi_value v, const char* name, float** data, std::size_t* len) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) {
    *data = nullptr;
    *len = 0;
    return true;
  }
  return get_f32(env, v, name, data, len);
}

bool get_i32(napi_env env, napi_value v, const char* name, int* out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    throw_type(env, std::string(name) + " must be a number");
    return false;
  }
  return true;
}

bool get_f64(napi_env env, napi_value v, const char* name, double* out) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    throw_type(env, std::string(name) + " must be a number");
    return false;
  }
  return true;
}

template <std::size_t N>
bool get_args(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  std::size_t argc = N;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < N) {
    napi_throw_error(env, "NNLAB_NATIVE", ("expected " + std::to_string(N) + " arguments").c_str());
    return false;
  }
  return true;
}

bool check_len(napi_env env, const char* name, std::size_t have, long long need) {
  if (need < 0 || static_cast<long long>(have) < need) {
    napi_throw_range_error(env, "NNLAB_NATIVE",
                           (std::string(name) + " holds " + std::to_string(have) +
                            " floats, needs " + std::to_string(need))
                               .c_str());
    return false;
  }
  return true;
}

// Reads (bias, biasMode, act, alpha) into an Epilogue; `cols` is the size a per-column bias needs.
bool get_epilogue(napi_env env, napi_value* argv, long long cols, Epilogue* ep) {
  float* bias = nullptr;
  std::size_t blen = 0;
  int mode = 0, act = 0;
  double alpha = 0.2;
  if (!get_f32_opt(env, argv[0], "bias", &bias, &blen) || !get_i32(env, argv[1], "biasMode", &mode) ||
      !get_i32(env, argv[2], "activation", &act) || !get_f64(env, argv[3], "alpha", &alpha))
    return false;
  if (mode < 0 || mode > 2 || act < 0 || act > 6) {
    napi_throw_range_error(env, "NNLAB_NATIVE", "bad biasMode or activation code");
    return false;
  }
  if (mode != 0 && !bias) {
    napi_throw_type_error(env, "NNLAB_NATIVE", "biasMode set but bias is null");
    return false;
  }
  if (mode == 1 && !check_len(env, "bias", blen, 1)) return false;
  if (mode == 2 && !check_len(env, "bias", blen, cols)) return false;
  ep->bias = bias;
  ep->bias_mode = mode;
  ep->act = act;
  ep->alpha = static_cast<float>(alpha);
  return true;
}

// matmul(a, b, out, batch, batchA, batchB, M, N, K, transA, transB, bias, biasMode, act, alpha)
// out[bi] = op(a[bi % batchA]) * op(b[bi % batchB]), op(a) is [M, K], op(b) is [K, N], row-major.
napi_value MatMul(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  if (!get_args(env, info, argv)) return nullptr;
  float *a, *b, *out;
  std::size_t la, lb, lo;
  int batch, batchA, batchB, M, N, K, ta, tb;
  if (!get_f32(env, argv[0], "a", &a, &la) || !get_f32(env, argv[1], "b", &b, &lb) ||
      !get_f32(env, argv[2], "out", &out, &lo))
    return nullptr;
  if (!get_i32(env, argv[3], "batch", &batch) || !get_i32(env, argv[4], "batchA", &batchA) ||
      !get_i32(env, argv[5], "batchB", &batchB) || !get_i32(env, argv[6], "M", &M) ||
      !get_i32(env, argv[7], "N", &N) || !get_i32(env, argv[8], "K", &K) ||
      !get_i32(env, argv[9], "transA", &ta) || !get_i32(env, argv[10], "transB", &tb))
    return nullptr;
  if (batch < 0 || batchA < 1 || batchB < 1 || M < 0 || N < 0 || K < 0) {
    napi_throw_range_error(env, "NNLAB_NATIVE", "negative matmul dimension");
    return nullptr;
  }
  const long long sa = static_cast<long long>(M) * K, sb = static_cast<long long>(K) * N,
                  so = static_cast<long long>(M) * N;
  if (!check_len(env, "a", la, sa * batchA) || !check_len(env, "b", lb, sb * batchB) ||
      !check_len(env, "out", lo, so * batch))
    return nullptr;
  Epilogue ep;
  if (!get_epilogue(env, argv + 11, N, &ep)) return nullptr;

  auto one = [&](int bi, bool parallel) {
    const float* pa = a + (bi % batchA) * sa;
    const float* pb = b + (bi % batchB) * sb;
    // op(A)(i, k): A is [M, K] row-major, or [K, M] when transposed.
    const ConstView A = ta ? ConstView{pa, 1, M} : ConstView{pa, K, 1};
    const ConstView B = tb ? ConstView{pb, 1, K} : ConstView{pb, N, 1};
    float* c = out + bi * so;
    if (parallel)
      nnlab::sgemm(M, N, K, A, B, c, N, false, &ep);
    else
      nnlab::sgemm_st(M, N, K, A, B, c, N, false, &ep);
  };
  const long long each = so * (K > 0 ? K : 1);
  const int nt = nnlab::num_threads();
  if (batch >= 2 && nt > 1 && each * batch >= nnlab::parallel_threshold() &&
      (each < nnlab::parallel_threshold() || batch >= 4 * nt)) {
    // Many small problems: one problem per task.
    nnlab::parallel_for(batch, nt, [&](int bi, int) { one(bi, false); });
  } else {
    for (int bi = 0; bi < batch; ++bi) one(bi, true);
  }
  return nullptr;
}

bool get_geom(napi_env env, napi_value v, nnlab::ConvGeom* g) {
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  napi_typedarray_type type;
  std::size_t len = 0;
  void* ptr = nullptr;
  if (!is_ta || napi_get_typedarray_info(env, v, &type, &len, &ptr, nullptr, nullptr) != napi_ok ||
      type != napi_int32_array || len != 13) {
    throw_type(env, "geom must be an Int32Array of 13 values [B,H,W,Ci,OH,OW,Co,fh,fw,sh,sw,pt,pl]");
    return false;
  }
  const int32_t* p = static_cast<const int32_t*>(ptr);
  *g = nnlab::ConvGeom{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12]};
  for (int i = 0; i < 11; ++i) {
    if (p[i] < 0 || (i >= 7 && p[i] < 1)) {
      napi_throw_range_error(env, "NNLAB_NATIVE", "bad convolution geometry");
      return false;
    }
  }
  return true;
}

long long sz_x(const nnlab::ConvGeom& g) { return 1LL * g.B * g.H * g.W * g.Ci; }
long long sz_y(const nnlab::ConvGeom& g) { return 1LL * g.B * g.OH * g.OW * g.Co; }
long long sz_w(const nnlab::ConvGeom& g) { return 1LL * g.fh * g.fw * g.Ci * g.Co; }

// conv2d(x, w, y, geom, bias, biasMode, act, alpha)
napi_value Conv2D(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!get_args(env, info, argv)) return nullptr;
  nnlab::ConvGeom g;
  float *x, *w, *y;
  std::size_t lx, lw, ly;
  if (!get_f32(env, argv[0], "x", &x, &lx) || !get_f32(env, argv[1], "filter", &w, &lw) ||
      !get_f32(env, argv[2], "y", &y, &ly) || !get_geom(env, argv[3], &g))
    return nullptr;
  if (!check_len(env, "x", lx, sz_x(g)) || !check_len(env, "filter", lw, sz_w(g)) ||
      !check_len(env, "y", ly, sz_y(g)))
    return nullptr;
  Epilogue ep;
  if (!get_epilogue(env, argv + 4, g.Co, &ep)) return nullptr;
  nnlab::conv2d_forward(g, x, w, y, &ep);
  return nullptr;
}

// conv2dBackpropInput(dy, w, dx, geom)
napi_value Conv2DBackpropInput(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, argv)) return nullptr;
  nnlab::ConvGeom g;
  float *dy, *w, *dx;
  std::size_t ldy, lw, ldx;
  if (!get_f32(env, argv[0], "dy", &dy, &ldy) || !get_f32(env, argv[1], "filter", &w, &lw) ||
      !get_f32(env, argv[2], "dx", &dx, &ldx) || !get_geom(env, argv[3], &g))
    return nullptr;
  if (!check_len(env, "dy", ldy, sz_y(g)) || !check_len(env, "filter", lw, sz_w(g)) ||
      !check_len(env, "dx", ldx, sz_x(g)))
    return nullptr;
  nnlab::conv2d_backprop_input(g, dy, w, dx);
  return nullptr;
}

// conv2dBackpropFilter(x, dy, dw, geom)
napi_value Conv2DBackpropFilter(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, argv)) return nullptr;
  nnlab::ConvGeom g;
  float *x, *dy, *dw;
  std::size_t lx, ldy, ldw;
  if (!get_f32(env, argv[0], "x", &x, &lx) || !get_f32(env, argv[1], "dy", &dy, &ldy) ||
      !get_f32(env, argv[2], "dw", &dw, &ldw) || !get_geom(env, argv[3], &g))
    return nullptr;
  if (!check_len(env, "x", lx, sz_x(g)) || !check_len(env, "dy", ldy, sz_y(g)) ||
      !check_len(env, "dw", ldw, sz_w(g)))
    return nullptr;
  nnlab::conv2d_backprop_filter(g, x, dy, dw);
  return nullptr;
}

// binary(op, a, b, out, mode)
napi_value Binary(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, argv)) return nullptr;
  int op, mode;
  float *a, *b, *out;
  std::size_t la, lb, lo;
  if (!get_i32(env, argv[0], "op", &op) || !get_f32(env, argv[1], "a", &a, &la) ||
      !get_f32(env, argv[2], "b", &b, &lb) || !get_f32(env, argv[3], "out", &out, &lo) ||
      !get_i32(env, argv[4], "mode", &mode))
    return nullptr;
  using namespace nnlab;
  const bool ok = (mode == kSame && la >= lo && lb >= lo) || (mode == kBScalar && lb >= 1 && la >= lo) ||
                  (mode == kAScalar && la >= 1 && lb >= lo) || (mode == kBPeriodic && la >= lo) ||
                  (mode == kAPeriodic && lb >= lo);
  if (!ok || (lo > 0 && !binary_op(op, a, la, b, lb, out, lo, mode))) {
    napi_throw_range_error(env, "NNLAB_NATIVE", "binary: bad op, mode or sizes");
  }
  return nullptr;
}

// unary(op, x, out, alpha)
napi_value Unary(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, argv)) return nullptr;
  int op;
  double alpha;
  float *x, *out;
  std::size_t lx, lo;
  if (!get_i32(env, argv[0], "op", &op) || !get_f32(env, argv[1], "x", &x, &lx) ||
      !get_f32(env, argv[2], "out", &out, &lo) || !get_f64(env, argv[3], "alpha", &alpha))
    return nullptr;
  if (lx < lo || !nnlab::unary_op(op, x, out, lo, alpha)) {
    napi_throw_range_error(env, "NNLAB_NATIVE", "unary: bad op or sizes");
  }
  return nullptr;
}

// A Uint8Array argument (tfjs bool tensors on the cpu backend).
bool get_u8(napi_env env, napi_value v, const char* name, std::uint8_t** data, std::size_t* len) {
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  napi_typedarray_type type;
  void* ptr = nullptr;
  if (!is_ta || napi_get_typedarray_info(env, v, &type, len, &ptr, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    throw_type(env, std::string(name) + " must be a Uint8Array");
    return false;
  }
  *data = static_cast<std::uint8_t*>(ptr);
  return true;
}

// compare(op, a, b, out: Uint8Array, mode)
napi_value Compare(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, argv)) return nullptr;
  int op, mode;
  float *a, *b;
  std::uint8_t* out;
  std::size_t la, lb, lo;
  if (!get_i32(env, argv[0], "op", &op) || !get_f32(env, argv[1], "a", &a, &la) ||
      !get_f32(env, argv[2], "b", &b, &lb) || !get_u8(env, argv[3], "out", &out, &lo) ||
      !get_i32(env, argv[4], "mode", &mode))
    return nullptr;
  using namespace nnlab;
  const bool ok = (mode == kSame && la >= lo && lb >= lo) || (mode == kBScalar && lb >= 1 && la >= lo) ||
                  (mode == kAScalar && la >= 1 && lb >= lo) || (mode == kBPeriodic && la >= lo) ||
                  (mode == kAPeriodic && lb >= lo);
  if (!ok || (lo > 0 && !compare_op(op, a, la, b, lb, out, lo, mode))) {
    napi_throw_range_error(env, "NNLAB_NATIVE", "compare: bad op, mode or sizes");
  }
  return nullptr;
}

// select(cond: Uint8Array, t, e, out)
napi_value Select(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, argv)) return nullptr;
  std::uint8_t* c;
  float *t, *e, *out;
  std::size_t lc, lt, le, lo;
  if (!get_u8(env, argv[0], "cond", &c, &lc) || !get_f32(env, argv[1], "t", &t, &lt) ||
      !get_f32(env, argv[2], "e", &e, &le) || !get_f32(env, argv[3], "out", &out, &lo))
    return nullptr;
  if (lc < lo || lt < lo || le < lo) {
    napi_throw_range_error(env, "NNLAB_NATIVE", "select: cond, t and e must be as long as out");
    return nullptr;
  }
  nnlab::select_op(c, t, e, out, lo);
  return nullptr;
}

// batchNorm(x, mean, variance, scale, offset, eps, out)
napi_value BatchNorm(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!get_args(env, info, argv)) return nullptr;
  float *x, *m, *v, *sc, *of, *out;
  std::size_t lx, lm, lv, ls, lf, lo;
  double eps;
  if (!get_f32(env, argv[0], "x", &x, &lx) || !get_f32(env, argv[1], "mean", &m, &lm) ||
      !get_f32(env, argv[2], "variance", &v, &lv) || !get_f32(env, argv[3], "scale", &sc, &ls) ||
      !get_f32(env, argv[4], "offset", &of, &lf) || !get_f64(env, argv[5], "eps", &eps) ||
      !get_f32(env, argv[6], "out", &out, &lo))
    return nullptr;
  if (lo > lx || lm == 0 || lv == 0 || ls == 0 || lf == 0) {
    napi_throw_range_error(env, "NNLAB_NATIVE", "batchNorm: bad sizes");
    return nullptr;
  }
  nnlab::batch_norm(x, lo, m, lm, v, lv, sc, ls, of, lf, eps, out);
  return nullptr;
}

// batchNormGrad(x, dy, mean, variance, scale, eps, dx, dmean, dvariance, dscale, doffset): x and dy
// are [rows, C] with C = mean.length; outputs may be null.
napi_value BatchNormGrad(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!get_args(env, info, argv)) return nullptr;
  float *x, *dy, *m, *v, *sc;
  std::size_t lx, ldy, lm, lv, ls;
  double eps;
  if (!get_f32(env, argv[0], "x", &x, &lx) || !get_f32(env, argv[1], "dy", &dy, &ldy) ||
      !get_f32(env, argv[2], "mean", &m, &lm) || !get_f32(env, argv[3], "variance", &v, &lv) ||
      !get_f32(env, argv[4], "scale", &sc, &ls) || !get_f64(env, argv[5], "eps", &eps))
    return nullptr;
  float* outs[5];
  std::size_t lens[5];
  const char* names[5] = {"dx", "dmean", "dvariance", "dscale", "doffset"};
  for (int k = 0; k < 5; ++k)
    if (!get_f32_opt(env, argv[6 + k], names[k], &outs[k], &lens[k])) return nullptr;
  const std::size_t C = lm;
  if (C == 0 || lv != C || ls != C || lx % C != 0 || ldy != lx || (outs[0] && lens[0] < lx)) {
    napi_throw_range_error(env, "NNLAB_NATIVE", "batchNormGrad: bad sizes");
    return nullptr;
  }
  for (int k = 1; k < 5; ++k)
    if (outs[k] && lens[k] < C) {
      napi_throw_range_error(env, "NNLAB_NATIVE", "batchNormGrad: per-channel outputs too short");
      return nullptr;
    }
  nnlab::batch_norm_grad(x, dy, lx / C, C, m, v, sc, eps, outs[0], outs[1], outs[2], outs[3], outs[4]);
  return nullptr;
}

// sum(x, out, outer, reduce, inner)
napi_value Sum(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, argv)) return nullptr;
  float *x, *out;
  std::size_t lx, lo;
  double outer, reduce, inner;
  if (!get_f32(env, argv[0], "x", &x, &lx) || !get_f32(env, argv[1], "out", &out, &lo) ||
      !get_f64(env, argv[2], "outer", &outer) || !get_f64(env, argv[3], "reduce", &reduce) ||
      !get_f64(env, argv[4], "inner", &inner))
    return nullptr;
  if (outer < 0 || reduce < 0 || inner < 0 || static_cast<double>(lx) < outer * reduce * inner ||
      static_cast<double>(lo) < outer * inner) {
    napi_throw_range_error(env, "NNLAB_NATIVE", "sum: bad sizes");
    return nullptr;
  }
  nnlab::sum_middle(x, out, static_cast<std::size_t>(outer), static_cast<std::size_t>(reduce),
                    static_cast<std::size_t>(inner));
  return nullptr;
}

// adamStep(theta, g, m, v, scale, lr, b1, b2, eps, c1, c2)
napi_value AdamStep(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!get_args(env, info, argv)) return nullptr;
  float *theta, *g, *m, *v;
  std::size_t lt, lg, lm, lv;
  double h[7];
  const char* names[7] = {"scale", "lr", "beta1", "beta2", "epsilon", "c1", "c2"};
  if (!get_f32(env, argv[0], "theta", &theta, &lt) || !get_f32(env, argv[1], "g", &g, &lg) ||
      !get_f32(env, argv[2], "m", &m, &lm) || !get_f32(env, argv[3], "v", &v, &lv))
    return nullptr;
  for (int k = 0; k < 7; ++k)
    if (!get_f64(env, argv[4 + k], names[k], &h[k])) return nullptr;
  if (lg < lt || lm < lt || lv < lt) {
    napi_throw_range_error(env, "NNLAB_NATIVE", "adamStep: g, m and v must be as long as theta");
    return nullptr;
  }
  nnlab::adam_step(theta, g, m, v, lt, h[0], h[1], h[2], h[3], h[4], h[5], h[6]);
  return nullptr;
}

// denseDelta(relu, a, g, dz, db, rows, cols)
napi_value DenseDelta(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!get_args(env, info, argv)) return nullptr;
  int relu, rows, cols;
  float *a, *g, *dz, *db;
  std::size_t la, lg, lz, lb;
  if (!get_i32(env, argv[0], "relu", &relu) || !get_f32(env, argv[1], "a", &a, &la) || !get_f32(env, argv[2], "g", &g, &lg) ||
      !get_f32(env, argv[3], "dz", &dz, &lz) || !get_f32(env, argv[4], "db", &db, &lb) || !get_i32(env, argv[5], "rows", &rows) ||
      !get_i32(env, argv[6], "cols", &cols))
    return nullptr;
  if (rows < 0 || cols < 0) return throw_type(env, "denseDelta: rows and cols must be >= 0");
  const long long n = 1LL * rows * cols;
  if (!check_len(env, "a", la, n) || !check_len(env, "g", lg, n) || !check_len(env, "dz", lz, n) || !check_len(env, "db", lb, cols))
    return nullptr;
  nnlab::dense_delta(relu, a, g, dz, db, static_cast<std::size_t>(rows), static_cast<std::size_t>(cols));
  return nullptr;
}

// adamTfjs(value, g, m, v, newValue, newM, newV, b1, c1, b2, c2, om1, om2, eps, negLr)
napi_value AdamTfjs(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  if (!get_args(env, info, argv)) return nullptr;
  float* a[7];
  std::size_t len[7];
  const char* names[7] = {"value", "g", "m", "v", "newValue", "newM", "newV"};
  for (int k = 0; k < 7; ++k)
    if (!get_f32(env, argv[k], names[k], &a[k], &len[k])) return nullptr;
  double h[8];
  const char* hn[8] = {"b1", "c1", "b2", "c2", "om1", "om2", "eps", "negLr"};
  for (int k = 0; k < 8; ++k)
    if (!get_f64(env, argv[7 + k], hn[k], &h[k])) return nullptr;
  const std::size_t n = len[0];
  for (int k = 1; k < 7; ++k)
    if (len[k] != n) {
      napi_throw_range_error(env, "NNLAB_NATIVE", "adamTfjs: all arrays must have the same length");
      return nullptr;
    }
  auto f = [](double x) { return static_cast<float>(x); };
  nnlab::adam_tfjs(a[0], a[1], a[2], a[3], n, f(h[0]), f(h[1]), f(h[2]), f(h[3]), f(h[4]), f(h[5]), f(h[6]), f(h[7]),
                   a[4], a[5], a[6]);
  return nullptr;
}

// bceLogits(logits, x, dlogits, gscale) -> summed loss
napi_value BceLogits(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, argv)) return nullptr;
  float *l, *x, *d;
  std::size_t ll, lx, ld;
  double gscale;
  if (!get_f32(env, argv[0], "logits", &l, &ll) || !get_f32(env, argv[1], "x", &x, &lx) ||
      !get_f32(env, argv[2], "dlogits", &d, &ld) || !get_f64(env, argv[3], "gscale", &gscale))
    return nullptr;
  if (lx < ll || ld < ll) {
    napi_throw_range_error(env, "NNLAB_NATIVE", "bceLogits: x and dlogits must be as long as logits");
    return nullptr;
  }
  napi_value out;
  napi_create_double(env, nnlab::bce_logits(l, x, d, ll, gscale), &out);
  return out;
}

// info() -> { simd, threads, parallelThreshold }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, simd, threads, thr;
  NN_CALL(env, napi_create_object(env, &obj));
  NN_CALL(env, napi_create_string_utf8(env, nnlab::simd_name(), NAPI_AUTO_LENGTH, &simd));
  NN_CALL(env, napi_create_int32(env, nnlab::num_threads(), &threads));
  NN_CALL(env, napi_create_double(env, static_cast<double>(nnlab::parallel_threshold()), &thr));
  NN_CALL(env, napi_set_named_property(env, obj, "simd", simd));
  NN_CALL(env, napi_set_named_property(env, obj, "threads", threads));
  NN_CALL(env, napi_set_named_property(env, obj, "parallelThreshold", thr));
  return obj;
}

// setThreads(n), setParallelThreshold(multiplyAdds): tuning knobs for benchmarks and tests.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int n;
  if (!get_args(env, info, argv) || !get_i32(env, argv[0], "n", &n)) return nullptr;
  nnlab::set_num_threads(n);
  return nullptr;
}

napi_value SetParallelThreshold(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  double w;
  if (!get_args(env, info, argv) || !get_f64(env, argv[0], "multiplyAdds", &w)) return nullptr;
  nnlab::set_parallel_threshold(static_cast<long long>(w));
  return nullptr;
}

// setScalar(on): force the portable micro-kernel (tests of the fallback path).
napi_value SetScalar(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool on = false;
  if (!get_args(env, info, argv)) return nullptr;
  if (napi_get_value_bool(env, argv[0], &on) != napi_ok) return throw_type(env, "on must be a boolean");
  nnlab::set_force_scalar(on);
  return nullptr;
}

// setWide(on): false leaves out the AVX-512 tiles (tests compare their bits with the AVX2 kernel's).
napi_value SetWide(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool on = true;
  if (!get_args(env, info, argv)) return nullptr;
  if (napi_get_value_bool(env, argv[0], &on) != napi_ok) return throw_type(env, "on must be a boolean");
  nnlab::set_no_wide(!on);
  return nullptr;
}

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"matmul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2d", nullptr, Conv2D, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2DBackpropInput, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2DBackpropFilter, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sum", nullptr, Sum, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"compare", nullptr, Compare, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"select", nullptr, Select, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNorm", nullptr, BatchNorm, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNormGrad", nullptr, BatchNormGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"adamStep", nullptr, AdamStep, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"denseDelta", nullptr, DenseDelta, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"adamTfjs", nullptr, AdamTfjs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"bceLogits", nullptr, BceLogits, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setParallelThreshold", nullptr, SetParallelThreshold, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setScalar", nullptr, SetScalar, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setWide", nullptr, SetWide, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) {
    napi_throw_error(env, "NNLAB_NATIVE", "could not define nnlab_native exports");
    return nullptr;
  }
  return exports;
}
