#include "inputs.h"

#include <sstream>
#include <stdexcept>

namespace sage8 {
namespace {

std::string describe(at::IntArrayRef sizes) {
  std::ostringstream s;
  s << sizes;
  return s.str();
}

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument("attention: " + message); }

void check_4d(const at::Tensor& t, const char* name) {
  if (!t.defined()) fail(std::string(name) + " is missing (an undefined tensor)");
  if (t.dim() != 4)
    fail(std::string(name) + " must be a 4-D tensor [batch, heads, tokens, head_dim], but its shape is " +
         describe(t.sizes()) + "; split the heads out of a [batch, tokens, heads * head_dim] tensor with " +
         "view(batch, tokens, heads, head_dim).transpose(1, 2)");
  if (t.numel() == 0)
    fail(std::string(name) + " is empty (shape " + describe(t.sizes()) +
         "): attention needs at least one batch element, head, token and channel");
}

void check_same(const at::Tensor& a, const char* a_name, const at::Tensor& b, const char* b_name) {
  if (a.scalar_type() != b.scalar_type())
    fail(std::string(a_name) + " is " + c10::toString(a.scalar_type()) + " but " + b_name + " is " +
         c10::toString(b.scalar_type()) + "; convert them to one dtype with .to(...)");
  if (a.device() != b.device())
    fail(std::string(a_name) + " is on " + a.device().str() + " but " + b_name + " is on " + b.device().str() +
         "; move them to one device");
}

void check_finite(const at::Tensor& t, const char* name) {
  const auto bad = at::logical_not(at::isfinite(t)).sum().item<int64_t>();
  if (bad > 0)
    fail(std::string(name) + " contains " + std::to_string(bad) + " NaN or Inf value(s) out of " +
         std::to_string(t.numel()) + "; sage8 refuses them because an INT8 block scale computed from a NaN or " +
         "Inf would silently corrupt the whole block. Find where they come from (a diverging loss, an " +
         "overflowing fp16/bf16 activation)");
}

}  // namespace

Problem check_attention_inputs(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  check_4d(q, "query");
  check_4d(k, "key");
  check_4d(v, "value");
  check_same(q, "query", k, "key");
  check_same(q, "query", v, "value");
  if (!k.sizes().equals(v.sizes()))
    fail("key and value must have the same shape, but key is " + describe(k.sizes()) + " and value is " +
         describe(v.sizes()));
  if (q.size(0) != k.size(0))
    fail("query has batch " + std::to_string(q.size(0)) + " but key and value have batch " +
         std::to_string(k.size(0)));
  if (q.size(3) != k.size(3))
    fail("query has head_dim " + std::to_string(q.size(3)) + " but key and value have head_dim " +
         std::to_string(k.size(3)) + "; they must match");
  if (q.size(1) % k.size(1) != 0)
    fail("grouped-query attention needs the query heads (" + std::to_string(q.size(1)) +
         ") to be a multiple of the key/value heads (" + std::to_string(k.size(1)) + ")");
  return {q.size(0), q.size(1), k.size(1), q.size(2), k.size(2), q.size(3), q.scalar_type()};
}

Problem check_sage8_inputs(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Options& options,
                           bool check_values) {
  auto p = check_attention_inputs(q, k, v);
  if (p.dtype != at::kFloat && p.dtype != at::kHalf && p.dtype != at::kBFloat16)
    fail(std::string("sage8 takes float32, float16 or bfloat16 inputs, not ") + c10::toString(p.dtype));
  if (p.head_dim > kMaxHeadDim)
    fail("sage8 supports head_dim up to " + std::to_string(kMaxHeadDim) + " (64 and 128 are the tuned ones), " +
         "but this input has head_dim " + std::to_string(p.head_dim) + "; use the flash or math backend for it");
  if (options.block_size != 64 && options.block_size != 128)
    fail("sage8 block size must be 64 or 128 tokens, not " + std::to_string(options.block_size));
  if (check_values) {
    check_finite(q, "query");
    check_finite(k, "key");
    check_finite(v, "value");
  }
  return p;
}

void check_backward_inputs(const Problem& p, const at::Tensor& q, const at::Tensor& o, const at::Tensor& lse,
                           const at::Tensor& grad_o) {
  if (!o.defined() || !o.sizes().equals(q.sizes()))
    fail("the forward output must have query's shape " + describe(q.sizes()) + ", but it is " +
         (o.defined() ? describe(o.sizes()) : std::string("missing")));
  if (!grad_o.defined() || !grad_o.sizes().equals(q.sizes()))
    fail("the output gradient must have query's shape " + describe(q.sizes()) + ", but it is " +
         (grad_o.defined() ? describe(grad_o.sizes()) : std::string("missing")));
  const std::vector<int64_t> lse_sizes{p.batch, p.heads, p.tokens_q};
  if (!lse.defined() || !lse.sizes().equals(lse_sizes))
    fail("the log-sum-exp must have shape " + describe(lse_sizes) + " (forward's second result), but it is " +
         (lse.defined() ? describe(lse.sizes()) : std::string("missing")));
  for (const auto* t : {&o, &lse, &grad_o})
    if (t->device() != q.device())
      fail("backward's tensors must all be on query's device " + q.device().str() + ", but one is on " +
           t->device().str());
  check_finite(grad_o, "the output gradient");
}

int64_t padded_length(int64_t tokens, int64_t block_size) {
  return (tokens + block_size - 1) / block_size * block_size;
}

at::Tensor to_rows(const at::Tensor& x, const Problem& p) {
  const auto heads = x.size(1);
  const auto tokens = x.size(2);
  return x.to(at::kFloat)
      .unsqueeze(2)
      .expand({p.batch, heads, p.heads / heads, tokens, p.head_dim})
      .reshape({p.batch * p.heads, tokens, p.head_dim});
}

at::Tensor pad_tokens(const at::Tensor& x, int64_t padded) {
  // Zero rows: they add nothing to any absmax, so padding never changes a scale; the masks make sure they add
  // nothing to any sum either (NUMERICS.md, "Padding").
  return at::constant_pad_nd(x, {0, 0, 0, padded - x.size(1)}, 0).contiguous();
}

at::Tensor from_rows(const at::Tensor& rows, const Problem& p, int64_t heads_out, int64_t tokens,
                     at::ScalarType dtype) {
  auto x = rows.view({p.batch, heads_out, p.heads / heads_out, rows.size(1), p.head_dim});
  // fp32 sum over the query heads of a group, in head order, before the cast to the input dtype.
  x = heads_out == p.heads ? x.squeeze(2) : x.sum(2);
  return x.narrow(2, 0, tokens).to(dtype).contiguous();
}

}  // namespace sage8
