// The score tiles S = Q K^T * softmax_scale as forward and backward both compute them from INT8 Q and K.
#pragma once

#include "quantize.h"
#include "sage8.h"

namespace sage8 {

// Q and K smoothed, padded to whole blocks and quantized per token block, ready for score tiles.
struct ScoreOperands {
  int64_t block_size, tokens_q, tokens_k, padded_q, padded_k;
  float softmax_scale;
  Quantized q;             // values [rows, q_blocks, block, head_dim]; scale [rows, q_blocks, 1, 1]
  at::Tensor q_row_scale;  // q.scale repeated per token: [rows, padded_q, 1]
  Quantized k;             // values [rows, k_blocks, block, head_dim]; scale [rows, k_blocks, 1, 1]
  at::Tensor q_mean;       // Q smoothing only: each query block's mean [rows, q_blocks, 1, head_dim]
  at::Tensor k_plain;      // Q smoothing only: K as quantized but in fp32, [rows, k_blocks, block, head_dim]

  // The scores of key block j against query rows [row0, padded_q): fp32 [rows, padded_q - row0, block], with
  // -inf wherever the key is padding, the key is in the causal future of the query, or (mask_padded_rows) the
  // query is padding. row0 must be a multiple of the block size.
  at::Tensor column(int64_t j, int64_t row0, bool causal, bool mask_padded_rows) const;
};

// q_rows [rows, tokens_q, head_dim] and k_rows [rows, tokens_k, head_dim], fp32, unpadded.
ScoreOperands prepare_scores(const at::Tensor& q_rows, const at::Tensor& k_rows, const Options& options);

// The first query row a causal key block j can be seen from (0 when not causal): rows above it see none of its
// keys, so a kernel skips those tiles and the reference does not compute them. Block-aligned.
inline int64_t first_row(int64_t j, const Options& options) { return options.causal ? j * options.block_size : 0; }

}  // namespace sage8
