// sage8 as a custom autograd function: libtorch records it in the graph, so loss.backward() from C# reaches Q,
// K and V through sage8::backward.
#include "sage8.h"

#include <torch/csrc/autograd/custom_function.h>

namespace sage8 {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class Sage8Function : public torch::autograd::Function<Sage8Function> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const Options& options) {
    auto [o, lse] = sage8::forward(q, k, v, options);
    // Saved: the inputs as given (backward re-quantizes them, which reproduces the forward's INT8 operands
    // exactly), O and LSE. A fused kernel may save the INT8 forms instead; the numbers are the same.
    ctx->save_for_backward({q, k, v, o});
    ctx->saved_data["lse"] = lse;
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
    auto [dq, dk, dv] = sage8::backward(saved[0], saved[1], saved[2], saved[3], ctx->saved_data["lse"].toTensor(),
                                        grad_outputs[0], options);
    return {dq, dk, dv, at::Tensor()};  // no gradient for the options
  }
};

}  // namespace

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Options& options) {
  return Sage8Function::apply(q, k, v, options);
}

}  // namespace sage8
