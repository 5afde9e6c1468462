// nnlab native 2-D convolution: declarations (see conv.cc for the algorithm).
#pragma once

#include "gemm.h"

namespace nnlab {

// NHWC geometry as resolved by tfjs's computeConv2DInfo: input [B, H, W, Ci], filter
// [fh, fw, Ci, Co], output [B, OH, OW, Co], strides (sh, sw), top/left padding (pt, pl).
struct ConvGeom {
  int B, H, W, Ci, OH, OW, Co, fh, fw, sh, sw, pt, pl;
};

void conv2d_forward(const ConvGeom& g, const float* x, const float* w, float* y, const Epilogue* ep);
void conv2d_backprop_input(const ConvGeom& g, const float* dy, const float* w, float* dx);
void conv2d_backprop_filter(const ConvGeom& g, const float* x, const float* dy, float* dw);

}  // namespace nnlab
