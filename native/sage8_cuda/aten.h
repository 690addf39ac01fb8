// The sage8 CUDA kernels on ATen tensors: what the sage8 autograd function calls for CUDA inputs (the reference
// in native/sage8 serves every other device). Compiled only into CUDA builds, which define TS_HAVE_SAGE8_CUDA.
#pragma once

#include "pipeline.h"

#include <ATen/ATen.h>

#include <tuple>

namespace sage8_cuda {

// True when the kernels take these inputs (CUDA tensors on one device, head_dim 64 or 128, block 64 or 128, as
// many key as query tokens, heads a multiple of kv_heads): dispatch here, else to the reference.
bool supports(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Options& options);

// q [batch, heads, tokens, head_dim]; k, v [batch, kv_heads, tokens, head_dim] with heads a multiple of
// kv_heads; CUDA tensors on one device, one floating dtype (computed in bf16), head_dim 64 or 128, as many key as
// query tokens. Returns O (q's dtype and shape), LSE ([batch, heads, tokens] fp32, natural log) and K's partial sums
// for the backward (fp32, k_sums_floats elements; undefined without K smoothing).
// Throws std::invalid_argument naming a bad input and the fix.
std::tuple<at::Tensor, at::Tensor, at::Tensor> forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                       const Options& options);

// dQ, dK, dV of sum(O * grad_o) given the forward's O, LSE and K sums (or an undefined tensor: K is summed again);
// dK and dV summed over each group of query heads that share a K/V head.
std::tuple<at::Tensor, at::Tensor, at::Tensor> backward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                        const at::Tensor& o, const at::Tensor& lse,
                                                        const at::Tensor& k_sums, const at::Tensor& grad_o,
                                                        const Options& options);

}  // namespace sage8_cuda
