// Input validation and the layout the reference computes in: [batch * heads, tokens, head_dim] fp32 rows, with
// the tokens padded to whole blocks.
#pragma once

#include "sage8.h"

namespace sage8 {

// The sizes of one attention problem, read from validated inputs.
struct Problem {
  int64_t batch, heads, kv_heads, tokens_q, tokens_k, head_dim;
  at::ScalarType dtype;
  int64_t group() const { return heads / kv_heads; }
};

constexpr int64_t kMaxHeadDim = 256;

// The checks every attention backend shares (exported as ts_attention_check_inputs): 4-D, nothing empty, one
// dtype and one device, matching batch and head_dim, K and V of one shape, heads a multiple of kv_heads.
// Throws std::invalid_argument naming the problem and the fix.
Problem check_attention_inputs(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

// The shared checks plus sage8's own: a floating dtype, head_dim <= kMaxHeadDim, a supported block size, and, with
// check_values, only finite values (a NaN or Inf would become its whole block's scale and silently wipe out the
// block). The value check reads the whole tensors and waits for them; the autograd backward skips it, because its
// Q, K and V are the forward's, checked there.
Problem check_sage8_inputs(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Options& options,
                           bool check_values = true);

// backward's extra arguments: O and dO shaped like Q, LSE [batch, heads, tokens_q], all on Q's device; dO finite.
void check_backward_inputs(const Problem& p, const at::Tensor& q, const at::Tensor& o, const at::Tensor& lse,
                           const at::Tensor& grad_o);

int64_t padded_length(int64_t tokens, int64_t block_size);

// [batch, h, tokens, head_dim] -> fp32 [batch * heads, tokens, head_dim]: each of the h heads repeated for the
// heads / h query heads that share it (h = kv_heads: grouped-query attention).
at::Tensor to_rows(const at::Tensor& x, const Problem& p);

// [rows, tokens, head_dim] -> [rows, padded, head_dim] with zero rows appended, contiguous.
at::Tensor pad_tokens(const at::Tensor& x, int64_t padded);

// The inverse of to_rows for a result: [batch * heads, padded, head_dim] -> [batch, heads_out, tokens, head_dim]
// in `dtype`, summing over the groups of query heads when heads_out = kv_heads (dK, dV).
at::Tensor from_rows(const at::Tensor& rows, const Problem& p, int64_t heads_out, int64_t tokens, at::ScalarType dtype);

}  // namespace sage8
