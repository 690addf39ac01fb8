// The reference on the layout it computes in: fp32 [batch * heads, tokens, head_dim], unpadded, K and V already
// repeated for grouped-query attention.
#pragma once

#include "sage8.h"

namespace sage8 {

struct ForwardRows {
  at::Tensor o;    // [rows, padded_q, head_dim]
  at::Tensor lse;  // [rows, padded_q]
};

ForwardRows forward_rows(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Options& options);

struct BackwardRows {
  at::Tensor dq, dk, dv;  // [rows, padded, head_dim]
};

// o and grad_o [rows, tokens_q, head_dim]; lse [rows, tokens_q].
BackwardRows backward_rows(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& o,
                           const at::Tensor& lse, const at::Tensor& grad_o, const Options& options);

}  // namespace sage8
