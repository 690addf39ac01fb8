// The sage8 reference: INT8 attention forward and backward (native/sage8/NUMERICS.md), written with ATen ops
// only, so it runs on any device libtorch runs on. The fused CUDA kernels are tested against it.
#pragma once

#include <ATen/ATen.h>

#include <tuple>

namespace sage8 {

// How V (forward, P*V) and dO (backward, P^T*dO) are scaled: one scale per token block and channel (default), or
// one per token block (SageBwd's choice, kept for the ablation).
enum class VdoScaling { PerBlockAndChannel, PerBlock };

// The precision of dP = dO * V^T in the backward: bf16 inputs with fp32 accumulation (default), or INT8 (ablation).
enum class DoVPrecision { BFloat16, Int8 };

struct Options {
  int64_t block_size = 128;  // tokens per query block and per key block: 64 or 128
  bool smooth_k = true;      // subtract K's per-channel mean over tokens before quantizing
  bool smooth_q = false;     // SageAttention2's Q smoothing: subtract each query block's mean, add it back in fp32
  VdoScaling vdo_scaling = VdoScaling::PerBlockAndChannel;
  DoVPrecision dov_precision = DoVPrecision::BFloat16;
  bool causal = false;       // query t sees keys 0..t (top-left aligned, as scaled_dot_product_attention)
};

// Q [batch, heads, tokens_q, head_dim]; K, V [batch, kv_heads, tokens_k, head_dim] with heads a multiple of
// kv_heads (grouped-query attention). Returns O (Q's dtype and shape) and LSE ([batch, heads, tokens_q], fp32,
// natural log). Records no autograd graph.
std::tuple<at::Tensor, at::Tensor> forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                           const Options& options);

// The gradients of sum(O * dO) with respect to Q, K and V, given forward's O and LSE. dK and dV are summed over
// each group of query heads that share a K/V head. Records no autograd graph. inputs_checked: Q, K and V are the
// forward's, whose values it checked (the autograd function), so only their shapes are checked again.
std::tuple<at::Tensor, at::Tensor, at::Tensor> backward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                        const at::Tensor& o, const at::Tensor& lse,
                                                        const at::Tensor& grad_o, const Options& options,
                                                        bool inputs_checked = false);

// O = sage8 attention, recorded in the autograd graph so that backward() reaches Q, K and V through `backward`.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Options& options);

}  // namespace sage8
