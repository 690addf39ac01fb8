// The backward pass (NUMERICS.md, "Backward"): per tile (query block i, key block j) recompute P from the INT8
// scores and the forward's LSE, then dV, dP, dS, dQ and dK. Tiles are independent given LSE and D, so the
// reference processes all query blocks of a key block at once (as a kernel's key-block-major loop with dQ
// accumulated across key blocks); per-tile scales come from a [rows, q_blocks, block, block] view.
#include <c10/core/GradMode.h>
#include "inputs.h"
#include "rows.h"
#include "scores.h"

namespace sage8 {
namespace {

// dP = dO V^T, the one matmul of the backward the design keeps out of INT8 by default. grad_o and v are padded.
class DoVProduct {
 public:
  DoVProduct(const at::Tensor& grad_o, const at::Tensor& v, const Options& options)
      : int8_(options.dov_precision == DoVPrecision::Int8), bs_(options.block_size) {
    if (int8_) {
      // Ablation: INT8 with one scale per token block for both operands. This matmul sums over channels, so a
      // per-channel scale (what P^T dO and P V use) is not allowed here; per block is the contract's rule.
      do_ = quantize(token_blocks(grad_o, bs_), {-2, -1});
      v_ = quantize(token_blocks(v, bs_), {-2, -1});
      do_row_scale_ = scale_per_token(do_.scale, bs_);
    } else {
      // Default: round both operands to bf16 and multiply in fp32. A bf16 x bf16 product is exact in fp32 (8-bit
      // significands), so this is a tensor core's bf16 MMA with fp32 accumulation up to summation order.
      do16_ = grad_o.to(at::kBFloat16).to(at::kFloat);
      v16_ = v.to(at::kBFloat16).to(at::kFloat);
    }
  }

  // dP for the query rows [row0, padded_q) and key block j: [rows, padded_q - row0, block].
  at::Tensor column(int64_t j, int64_t row0) const {
    if (!int8_) {
      const auto n = do16_.size(1) - row0;
      return at::matmul(do16_.narrow(1, row0, n), v16_.narrow(1, j * bs_, bs_).transpose(1, 2));
    }
    const auto rows = do_.values.size(0);
    const auto padded = do_.values.size(1) * bs_;
    const auto n = padded - row0;
    auto do_int = do_.values.view({rows, padded, -1}).narrow(1, row0, n);
    auto dp = at::matmul(do_int, v_.values.select(1, j).transpose(1, 2));
    return dp.mul_(do_row_scale_.narrow(1, row0, n) * v_.scale.select(1, j));
  }

 private:
  bool int8_;
  int64_t bs_;
  Quantized do_, v_;
  at::Tensor do_row_scale_, do16_, v16_;
};

}  // namespace

BackwardRows backward_rows(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& o,
                           const at::Tensor& lse, const at::Tensor& grad_o, const Options& options) {
  const auto s = prepare_scores(q, k, options);
  const auto rows = q.size(0);
  const auto dims = q.size(2);
  const auto bs = s.block_size;
  const auto padded_grad_o = pad_tokens(grad_o, s.padded_q);
  // D = rowsum(dO * O) in fp32, from the O the forward returned (in the input dtype, as a kernel reads it back).
  const auto delta = pad_tokens(grad_o * o, s.padded_q).sum(-1, /*keepdim=*/true);
  const auto padded_lse = pad_tokens(lse.unsqueeze(-1), s.padded_q);  // padded rows are masked: P = 0 there
  // dO for P^T dO: per token block and channel, like V (the sum runs over the block's query tokens).
  const auto do_blocks = quantize(token_blocks(padded_grad_o, bs),
                                  options.vdo_scaling == VdoScaling::PerBlockAndChannel ? at::IntArrayRef{-2}
                                                                                        : at::IntArrayRef{-2, -1});
  const DoVProduct dov(padded_grad_o, pad_tokens(v, s.padded_k), options);

  auto dq = at::zeros({rows, s.padded_q, dims}, q.options());
  auto dk = at::zeros({rows, s.padded_k / bs, bs, dims}, q.options());
  auto dv = at::zeros({rows, s.padded_k / bs, bs, dims}, q.options());
  for (int64_t j = 0; j < s.padded_k / bs; ++j) {
    const auto row0 = first_row(j, options);
    if (row0 >= s.padded_q) break;  // no query sees this key block: its dK and dV stay zero
    const auto n = s.padded_q - row0;
    const auto i0 = row0 / bs;
    const auto blocks = n / bs;
    const auto tile = [&](const at::Tensor& x) { return x.view({rows, blocks, bs, bs}); };

    // Padded query rows are masked too: P and dS are quantized per tile, and a padded row must not raise a
    // tile's absmax.
    auto scores = s.column(j, row0, options.causal, /*mask_padded_rows=*/true);
    auto p = at::exp(scores - padded_lse.narrow(1, row0, n));  // P = exp(S - LSE), masked entries 0

    // dV_j = sum_i P_ij^T dO_i: P per tile with scale max(P_ij) / 127 (P <= 1), dO per block (and channel).
    auto pq = quantize(tile(p), {-2, -1});
    auto dv_tiles = at::matmul(pq.values.transpose(-2, -1), do_blocks.values.narrow(1, i0, blocks));
    dv.select(1, j).copy_(dv_tiles.mul_(pq.scale).mul_(do_blocks.scale.narrow(1, i0, blocks)).sum(1));

    // dS = P * (dP - D) in fp32, then INT8 per tile: its scale is constant along both summed dimensions (keys
    // for dQ, queries for dK), so one quantization serves both matmuls.
    auto ds = p.mul_(dov.column(j, row0).sub_(delta.narrow(1, row0, n)));
    auto dsq = quantize(tile(ds), {-2, -1});

    // dQ_i += dS_ij K_j: int32 * (sdS[i,j] * sK[j] * softmax_scale). With K smoothed this uses the smoothed K;
    // the dropped term rowsum(dS) * mean(K) is zero over a full row (sum_j P (dP - D) = D - D).
    auto dq_tiles = at::matmul(dsq.values, s.k.values.select(1, j).unsqueeze(1));
    dq_tiles.mul_(dsq.scale * s.k.scale.select(1, j).unsqueeze(1) * s.softmax_scale);
    dq.narrow(1, row0, n).add_(dq_tiles.view({rows, n, dims}));

    // dK_j = sum_i dS_ij^T Q_i: int32 * (sdS[i,j] * sQ[i] * softmax_scale), then summed over the query blocks
    // in fp32 (in ATen's reduction order; only fp32 rounding depends on it, as with a kernel's atomics).
    auto dk_tiles = at::matmul(dsq.values.transpose(-2, -1), s.q.values.narrow(1, i0, blocks));
    dk_tiles.mul_(dsq.scale * s.q.scale.narrow(1, i0, blocks) * s.softmax_scale);
    if (s.q_mean.defined()) {
      // Q smoothing: Q_i = Qs_i + 1 mean_i, so dK_j gains colsum(dS_ij) mean_i, computed in fp32 from the
      // dequantized dS (so that dK is exactly deq(dS)^T (deq(Qs) + mean)).
      auto colsum = (dsq.values * dsq.scale).sum(-2).unsqueeze(-1);  // [rows, blocks, block, 1]
      dk_tiles.add_(colsum * s.q_mean.narrow(1, i0, blocks) * s.softmax_scale);
    }
    dk.select(1, j).copy_(dk_tiles.sum(1));
  }
  return {dq, dk.view({rows, s.padded_k, dims}), dv.view({rows, s.padded_k, dims})};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> backward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                        const at::Tensor& o, const at::Tensor& lse,
                                                        const at::Tensor& grad_o, const Options& options,
                                                        bool inputs_checked) {
  c10::NoGradGuard no_grad;
  const auto p = check_sage8_inputs(q, k, v, options, !inputs_checked);
  check_backward_inputs(p, q, o, lse, grad_o);
  // O, dO and LSE belong to the query heads: they are laid out like Q, never repeated.
  auto lse_rows = lse.to(at::kFloat).reshape({p.batch * p.heads, p.tokens_q});
  auto result = backward_rows(to_rows(q, p), to_rows(k, p), to_rows(v, p), to_rows(o, p), lse_rows,
                              to_rows(grad_o, p), options);
  return {from_rows(result.dq, p, p.heads, p.tokens_q, p.dtype),
          from_rows(result.dk, p, p.kv_heads, p.tokens_k, p.dtype),
          from_rows(result.dv, p, p.kv_heads, p.tokens_k, p.dtype)};
}

}  // namespace sage8
