#include "aten.h"

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include <stdexcept>
#include <string>

namespace sage8_cuda {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument("sage8 CUDA: " + what); }

std::string shape_of(at::IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}
std::string shape_of(const at::Tensor& t) { return shape_of(t.sizes()); }

struct Shape {
  int64_t batch, heads, kv_heads, tokens, head_dim;
  int64_t group() const { return heads / kv_heads; }
};

Shape check_inputs(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  if (!q.defined() || !k.defined() || !v.defined()) fail("q, k and v must all be defined tensors");
  if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4)
    fail("q, k and v must be 4-D [batch, heads, tokens, head_dim]; got q " + shape_of(q) + ", k " + shape_of(k) +
         ", v " + shape_of(v));
  if (!q.is_cuda() || k.device() != q.device() || v.device() != q.device())
    fail("q, k and v must be CUDA tensors on one device; use the reference backend for other devices");
  if (!at::isFloatingType(q.scalar_type()) || k.scalar_type() != q.scalar_type() ||
      v.scalar_type() != q.scalar_type())
    fail("q, k and v must share one floating dtype");
  if (k.sizes() != v.sizes()) fail("k " + shape_of(k) + " and v " + shape_of(v) + " must have one shape");
  if (k.size(0) != q.size(0) || k.size(3) != q.size(3))
    fail("q " + shape_of(q) + " and k " + shape_of(k) + " must agree in batch and head_dim");
  if (k.size(2) != q.size(2))
    fail("the kernels need as many key tokens as query tokens (got " + std::to_string(k.size(2)) + " and " +
         std::to_string(q.size(2)) + "); use the reference backend for cross-attention");
  if (q.size(1) % k.size(1) != 0)
    fail("q's heads (" + std::to_string(q.size(1)) + ") must be a multiple of k's (" + std::to_string(k.size(1)) +
         ")");
  return {q.size(0), q.size(1), k.size(1), q.size(2), q.size(3)};
}

void check_like(const at::Tensor& t, const char* name, at::IntArrayRef sizes, const at::Tensor& q) {
  if (!t.defined() || t.sizes() != sizes || t.device() != q.device())
    fail(std::string(name) + " must be defined, on q's device, with shape " + shape_of(sizes) +
         (t.defined() ? "; got " + shape_of(t) : ""));
}

Problem problem(const Shape& s, const Options& options) {
  Problem p;
  p.batch_heads = static_cast<int>(s.batch * s.heads);
  p.tokens = static_cast<int>(s.tokens);
  p.head_dim = static_cast<int>(s.head_dim);
  p.options = options;
  check_problem(p);
  return p;
}

// bf16, contiguous, 16-byte aligned (the kernels read 16 bytes at a time), with K/V heads repeated for the
// query heads of their group: laid out as [batch * heads, tokens, head_dim].
at::Tensor to_rows(const at::Tensor& x, int64_t group) {
  auto y = x.to(at::kBFloat16);
  if (group > 1) y = y.repeat_interleave(group, 1);
  y = y.contiguous();
  if (reinterpret_cast<uintptr_t>(y.data_ptr()) % 16 != 0) y = y.clone();
  return y;
}

// [batch, heads, tokens, d] -> [batch, kv_heads, tokens, d], summing each group in fp32.
at::Tensor fold_groups(const at::Tensor& g, const Shape& s, at::ScalarType dtype) {
  if (s.group() == 1) return g.to(dtype);
  return g.view({s.batch, s.kv_heads, s.group(), s.tokens, s.head_dim}).to(at::kFloat).sum(2).to(dtype);
}

const uint16_t* bits(const at::Tensor& t) { return static_cast<const uint16_t*>(t.data_ptr()); }
uint16_t* mutable_bits(at::Tensor& t) { return static_cast<uint16_t*>(t.data_ptr()); }

at::Tensor workspace(size_t bytes, const at::Tensor& like) {
  return at::empty({static_cast<int64_t>(bytes)}, like.options().dtype(at::kByte));
}

}  // namespace

bool supports(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Options& options) {
  try {
    problem(check_inputs(q, k, v), options);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> forward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                       const Options& options) {
  const Shape s = check_inputs(q, k, v);
  const Problem p = problem(s, options);
  const c10::cuda::CUDAGuard guard(q.device());
  const auto qr = to_rows(q, 1), kr = to_rows(k, s.group()), vr = to_rows(v, s.group());
  auto o = at::empty_like(qr);
  auto lse = at::empty({s.batch, s.heads, s.tokens}, q.options().dtype(at::kFloat));
  auto ws = workspace(forward_workspace_bytes(p), q);
  launch_forward(p, bits(qr), bits(kr), bits(vr), mutable_bits(o), lse.data_ptr<float>(), ws.data_ptr(),
                 at::cuda::getCurrentCUDAStream().stream());
  at::Tensor k_sums;  // a copy: the workspace itself is freed now
  if (const auto count = static_cast<int64_t>(k_sums_floats(p)); count > 0) {
    const auto offset = reinterpret_cast<const char*>(forward_k_sums(p, ws.data_ptr())) -
                        static_cast<const char*>(ws.data_ptr());
    k_sums = ws.narrow(0, offset, count * 4).view(at::kFloat).clone();
  }
  return {o.to(q.scalar_type()), lse, k_sums};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> backward(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                        const at::Tensor& o, const at::Tensor& lse,
                                                        const at::Tensor& k_sums, const at::Tensor& grad_o,
                                                        const Options& options) {
  const Shape s = check_inputs(q, k, v);
  check_like(o, "o", q.sizes(), q);
  check_like(grad_o, "grad_o", q.sizes(), q);
  check_like(lse, "lse", {s.batch, s.heads, s.tokens}, q);
  const Problem p = problem(s, options);
  if (k_sums.defined() && (k_sums.scalar_type() != at::kFloat || !k_sums.is_contiguous() ||
                           k_sums.numel() != static_cast<int64_t>(k_sums_floats(p)) || k_sums.device() != q.device()))
    throw std::invalid_argument("sage8: k_sums must be the K sums this forward returned (" +
                                std::to_string(k_sums_floats(p)) + " fp32 on q's device); pass an undefined tensor "
                                "to have the backward sum K itself");
  const c10::cuda::CUDAGuard guard(q.device());
  const auto qr = to_rows(q, 1), kr = to_rows(k, s.group()), vr = to_rows(v, s.group());
  const auto or_ = to_rows(o, 1), dor = to_rows(grad_o, 1);
  const auto lse_rows = lse.to(at::kFloat).contiguous();
  auto dq = at::empty_like(qr), dk = at::empty_like(qr), dv = at::empty_like(qr);
  auto ws = workspace(backward_workspace_bytes(p), q);
  launch_backward(p, bits(qr), bits(kr), bits(vr), bits(or_), lse_rows.data_ptr<float>(), bits(dor),
                  mutable_bits(dq), mutable_bits(dk), mutable_bits(dv), ws.data_ptr(),
                  at::cuda::getCurrentCUDAStream().stream(), k_sums.defined() ? k_sums.data_ptr<float>() : nullptr);
  return {dq.to(q.scalar_type()), fold_groups(dk, s, k.scalar_type()), fold_groups(dv, s, v.scalar_type())};
}

}  // namespace sage8_cuda
