// The forward pass, one key block at a time with the online softmax, as a fused kernel runs it
// (NUMERICS.md, "Forward"). Every query block is independent of the others, so the reference processes all query
// blocks of all (batch, head) rows at once for each key block: only the order over key blocks matters.
#include <c10/core/GradMode.h>
#include "inputs.h"
#include "rows.h"
#include "scores.h"

#include <limits>

namespace sage8 {

ForwardRows forward_rows(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Options& options) {
  const auto s = prepare_scores(q, k, options);
  const auto rows = q.size(0);
  const auto dims = q.size(2);
  const auto bs = s.block_size;

  // V: per token block and channel (one scale per channel of each key block; P V sums over the block's tokens,
  // along which the scale is constant), or per token block.
  const auto v_blocks = token_blocks(pad_tokens(v, s.padded_k), bs);
  const auto vq = quantize(v_blocks, options.vdo_scaling == VdoScaling::PerBlockAndChannel
                                         ? at::IntArrayRef{-2}
                                         : at::IntArrayRef{-2, -1});

  const auto f32 = q.options();
  auto m = at::full({rows, s.padded_q, 1}, -std::numeric_limits<float>::infinity(), f32);  // running max
  auto l = at::zeros({rows, s.padded_q, 1}, f32);                                          // running sum
  auto acc = at::zeros({rows, s.padded_q, dims}, f32);                                     // unnormalized O
  for (int64_t j = 0; j < s.padded_k / bs; ++j) {
    const auto row0 = first_row(j, options);
    if (row0 >= s.padded_q) break;
    const auto n = s.padded_q - row0;
    // Padded query rows are not masked here: each row is independent in the forward, and they are dropped.
    auto scores = s.column(j, row0, options.causal, /*mask_padded_rows=*/false);
    auto m_old = m.narrow(1, row0, n);
    auto m_new = at::maximum(m_old, scores.amax(-1, /*keepdim=*/true));
    // A row whose keys so far are all masked keeps m = -inf; exponentiate against 0 there so that the masked
    // entries give exp(-inf) = 0 instead of exp(-inf + inf) = NaN.
    auto m_ref = m_new.masked_fill(m_new == -std::numeric_limits<float>::infinity(), 0.0);
    auto p = at::exp(scores - m_ref);  // P~ in (0, 1], exact fp32 exp of the fp32 difference
    auto alpha = at::exp(m_old - m_ref);
    // l sums the unquantized fp32 P~, as a kernel does from its registers before quantizing P~.
    l.narrow(1, row0, n).mul_(alpha).add_(p.sum(-1, /*keepdim=*/true));
    // P~ per row: scale rowmax(P~) / 127 <= 1/127 (the row's largest entry becomes exactly 127). The scale varies
    // along P V's rows only, never along the summed keys.
    auto pq = quantize(p, {-1});
    auto pv = at::matmul(pq.values, vq.values.select(1, j));  // exact integers, as int32
    // int32 * sP[row] * sV[j, channel], in that order, then the rescaled accumulation acc = acc * alpha + pv.
    acc.narrow(1, row0, n).mul_(alpha).add_(pv.mul_(pq.scale).mul_(vq.scale.select(1, j)));
    m.narrow(1, row0, n).copy_(m_new);
  }
  return {acc / l, (m + at::log(l)).squeeze(-1)};
}

std::tuple<at::Tensor, at::Tensor> forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                           const Options& options) {
  c10::NoGradGuard no_grad;
  const auto p = check_sage8_inputs(q, k, v, options);
  auto result = forward_rows(to_rows(q, p), to_rows(k, p), to_rows(v, p), options);
  auto o = from_rows(result.o, p, p.heads, p.tokens_q, p.dtype);
  auto lse = result.lse.narrow(1, 0, p.tokens_q).reshape({p.batch, p.heads, p.tokens_q}).contiguous();
  return {o, lse};
}

}  // namespace sage8
