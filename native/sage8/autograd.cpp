// sage8 as a custom autograd function: libtorch records it in the graph, so loss.backward() from C# reaches Q,
// K and V through sage8::backward.
#include "sage8.h"

#include <optional>
#include <tuple>

#include <torch/csrc/autograd/custom_function.h>

#ifdef TS_HAVE_SAGE8_CUDA
#include "sage8_cuda/aten.h"
#endif

namespace sage8 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

#ifdef TS_HAVE_SAGE8_CUDA
// The fused kernels implement the default numerics (no Q smoothing, dO*V^T in bf16); anything else, and every
// non-CUDA tensor, goes to the reference, which defines the numerics the kernels are tested against.
std::optional<sage8_cuda::Options> fused_options(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                                 const Options& options) {
  if (!q.is_cuda() || options.smooth_q || options.dov_precision != DoVPrecision::BFloat16) return std::nullopt;
  sage8_cuda::Options fused;
  fused.block_size = static_cast<int>(options.block_size);
  fused.causal = options.causal;
  fused.smooth_k = options.smooth_k;
  fused.v_per_channel = options.vdo_scaling == VdoScaling::PerBlockAndChannel;
  if (!sage8_cuda::supports(q, k, v, fused)) return std::nullopt;
  return fused;
}
#endif

class Sage8Function : public torch::autograd::Function<Sage8Function> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const Options& options) {
    bool fused = false;
    at::Tensor o, lse, k_sums;
#ifdef TS_HAVE_SAGE8_CUDA
    if (auto f = fused_options(q, k, v, options)) {
      std::tie(o, lse, k_sums) = sage8_cuda::forward(q, k, v, *f);
      fused = true;
    }
#endif
    if (!fused) std::tie(o, lse) = sage8::forward(q, k, v, options);
    ctx->saved_data["fused"] = fused;
    // Saved: the inputs as given (backward re-quantizes them, which reproduces the forward's INT8 operands
    // exactly), O and LSE; the fused kernels' K sums (one float per channel and 512 tokens), which spare the
    // backward a pass over K. A fused kernel may save the INT8 forms instead; the numbers are the same.
    ctx->save_for_backward({q, k, v, o});
    ctx->saved_data["lse"] = lse;
    ctx->saved_data["k_sums"] = k_sums;
    ctx->saved_data["block_size"] = options.block_size;
    ctx->saved_data["smooth_k"] = options.smooth_k;
    ctx->saved_data["smooth_q"] = options.smooth_q;
    ctx->saved_data["vdo_scaling"] = static_cast<int64_t>(options.vdo_scaling);
    ctx->saved_data["dov_precision"] = static_cast<int64_t>(options.dov_precision);
    ctx->saved_data["causal"] = options.causal;
    return o;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    Options options;
    options.block_size = ctx->saved_data["block_size"].toInt();
    options.smooth_k = ctx->saved_data["smooth_k"].toBool();
    options.smooth_q = ctx->saved_data["smooth_q"].toBool();
    options.vdo_scaling = static_cast<VdoScaling>(ctx->saved_data["vdo_scaling"].toInt());
    options.dov_precision = static_cast<DoVPrecision>(ctx->saved_data["dov_precision"].toInt());
    options.causal = ctx->saved_data["causal"].toBool();
    const auto lse = ctx->saved_data["lse"].toTensor();
    at::Tensor dq, dk, dv;
#ifdef TS_HAVE_SAGE8_CUDA
    if (ctx->saved_data["fused"].toBool()) {
      std::tie(dq, dk, dv) = sage8_cuda::backward(saved[0], saved[1], saved[2], saved[3], lse,
                                                  ctx->saved_data["k_sums"].toTensor(), grad_outputs[0].contiguous(),
                                                  *fused_options(saved[0], saved[1], saved[2], options));
      return {dq, dk, dv, at::Tensor()};
    }
#endif
    std::tie(dq, dk, dv) =
        sage8::backward(saved[0], saved[1], saved[2], saved[3], lse, grad_outputs[0], options, /*inputs_checked=*/true);
    return {dq, dk, dv, at::Tensor()};  // no gradient for the options
  }
};

}  // namespace

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Options& options) {
  return Sage8Function::apply(q, k, v, options);
}

}  // namespace sage8
