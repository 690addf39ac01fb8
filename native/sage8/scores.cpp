#include "scores.h"

#include "inputs.h"

#include <cmath>
#include <limits>

namespace sage8 {

ScoreOperands prepare_scores(const at::Tensor& q_rows, const at::Tensor& k_rows, const Options& options) {
  ScoreOperands s;
  s.block_size = options.block_size;
  s.tokens_q = q_rows.size(1);
  s.tokens_k = k_rows.size(1);
  s.padded_q = padded_length(s.tokens_q, s.block_size);
  s.padded_k = padded_length(s.tokens_k, s.block_size);
  // The scale is rounded to fp32 once; every tile multiplies by this fp32 value.
  s.softmax_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(q_rows.size(2))));

  // K smoothing: subtract the per-channel mean over the real tokens (per batch and head) before padding, so the
  // padded rows stay exactly zero. Every score of a query row shifts by the same q . mean, which softmax ignores.
  auto k = options.smooth_k ? k_rows - k_rows.mean(1, /*keepdim=*/true) : k_rows;
  auto k_blocks = token_blocks(pad_tokens(k, s.padded_k), s.block_size);
  s.k = quantize(k_blocks, {-2, -1});

  auto q_blocks = token_blocks(pad_tokens(q_rows, s.padded_q), s.block_size);
  if (options.smooth_q) {
    // Q smoothing (SageAttention2): each query block loses its mean over its real tokens before quantization;
    // the removed part returns as an fp32 bias mean . K (see column). Padded rows stay zero.
    auto tokens = at::arange(s.padded_q, q_rows.options().dtype(at::kLong));
    auto real = (tokens < s.tokens_q).to(at::kFloat).view({1, -1, s.block_size, 1});
    auto count = real.sum(-2, /*keepdim=*/true);
    s.q_mean = q_blocks.sum(-2, /*keepdim=*/true) / count;
    q_blocks = (q_blocks - s.q_mean) * real;
    s.k_plain = k_blocks;
  }
  s.q = quantize(q_blocks, {-2, -1});
  s.q_row_scale = scale_per_token(s.q.scale, s.block_size);
  return s;
}

at::Tensor ScoreOperands::column(int64_t j, int64_t row0, bool causal, bool mask_padded_rows) const {
  const auto rows = padded_q - row0;
  const auto dims = q.values.size(-1);
  auto q_int = q.values.view({q.values.size(0), padded_q, dims}).narrow(1, row0, rows);
  // Integer-valued fp32 operands with |x| <= 127: every product and every partial sum over head_dim <= 1024 is an
  // integer below 2^24, so this matmul is exact in any summation order (it is the int32 accumulator of a kernel).
  auto scores = at::matmul(q_int, k.values.select(1, j).transpose(1, 2));
  // Dequantize: int32 * (sQ[row] * sK[j] * softmax_scale), the three factors multiplied in that order in fp32.
  scores.mul_(q_row_scale.narrow(1, row0, rows) * k.scale.select(1, j) * softmax_scale);
  if (q_mean.defined()) {
    // The smoothed-away query mean times the (smoothed, unquantized) keys of block j, in fp32: one bias row per
    // query block, shared by its rows.
    const auto blocks = rows / block_size;
    auto keys = k_plain.select(1, j).unsqueeze(1).transpose(-2, -1);  // [rows, 1, head_dim, block]
    auto bias = at::matmul(q_mean.narrow(1, row0 / block_size, blocks), keys);
    scores.view({scores.size(0), blocks, block_size, block_size}).add_(bias * softmax_scale);
  }

  const bool key_padding = (j + 1) * block_size > tokens_k;
  const bool row_padding = mask_padded_rows && padded_q > tokens_q;
  if (causal || key_padding || row_padding) {
    auto index = scores.options().dtype(at::kLong);
    auto query = at::arange(row0, padded_q, index).unsqueeze(1);
    auto key = at::arange(j * block_size, (j + 1) * block_size, index).unsqueeze(0);
    auto masked = key >= tokens_k;
    if (causal) masked = masked.logical_or(key > query);
    if (row_padding) masked = masked.logical_or(query >= tokens_q);
    scores.masked_fill_(masked, -std::numeric_limits<float>::infinity());
  }
  return scores;
}

}  // namespace sage8
