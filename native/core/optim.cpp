// Optimizers (libtorch's AdamW) and gradient clipping.
#include "api.h"

#include <torch/optim/adamw.h>

#include <c10/core/GradMode.h>

#include <cmath>
#include <sstream>
#include <type_traits>

typedef torch::optim::AdamW* ts_optimizer;

namespace {

// The key libtorch files a parameter's state under (a string of the TensorImpl address in 1.x, the pointer in 2.x).
template <typename Map>
typename Map::key_type state_key(const Map&, const at::Tensor& p) {
  using Key = typename Map::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;
    s << p.unsafeGetTensorImpl();
    return s.str();
  } else {
    return reinterpret_cast<Key>(p.unsafeGetTensorImpl());
  }
}

torch::optim::AdamWOptions& group_options(ts_optimizer opt, int64_t group) {
  TORCH_CHECK(group >= 0 && group < static_cast<int64_t>(opt->param_groups().size()), "parameter group ", group,
              " does not exist; the optimizer has ", opt->param_groups().size());
  return static_cast<torch::optim::AdamWOptions&>(opt->param_groups()[group].options());
}

}  // namespace

TS_API ts_optimizer ts_adamw_new(double lr, double beta1, double beta2, double eps, double weight_decay) {
  try {
    auto options = torch::optim::AdamWOptions(lr).betas({beta1, beta2}).eps(eps).weight_decay(weight_decay);
    return new torch::optim::AdamW(std::vector<torch::optim::OptimizerParamGroup>{}, options);
  }
  TS_CATCH(nullptr)
}
TS_API void ts_optimizer_free(ts_optimizer opt) { delete opt; }

TS_API int ts_adamw_add_param_group(ts_optimizer opt, const ts_tensor* params, int64_t n, double lr,
                                    double weight_decay) {
  TS_STATUS({
    auto options = std::make_unique<torch::optim::AdamWOptions>(
        static_cast<const torch::optim::AdamWOptions&>(opt->defaults()));
    options->lr(lr).weight_decay(weight_decay);
    opt->add_param_group(torch::optim::OptimizerParamGroup(ts::list(params, n), std::move(options)));
  })
}
TS_API int ts_optimizer_step(ts_optimizer opt) { TS_STATUS(c10::NoGradGuard guard; opt->step()) }
TS_API int ts_optimizer_zero_grad(ts_optimizer opt) { TS_STATUS(opt->zero_grad()) }
TS_API int64_t ts_optimizer_group_count(ts_optimizer opt) { return static_cast<int64_t>(opt->param_groups().size()); }
TS_API int ts_adamw_set_lr(ts_optimizer opt, int64_t group, double lr) { TS_STATUS(group_options(opt, group).lr(lr)) }
TS_API int ts_adamw_get_lr(ts_optimizer opt, int64_t group, double* lr) { TS_STATUS(*lr = group_options(opt, group).lr()) }

// Reads a parameter's AdamW state; returns 1 with the outputs set, 0 when the parameter has no state yet.
TS_API int ts_adamw_get_state(ts_optimizer opt, ts_tensor param, int64_t* step, ts_tensor* exp_avg,
                              ts_tensor* exp_avg_sq) {
  try {
    auto& state = opt->state();
    auto it = state.find(state_key(state, *param));
    if (it == state.end()) return 0;
    auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
    *step = s.step();
    *exp_avg = ts::wrap(s.exp_avg());
    *exp_avg_sq = ts::wrap(s.exp_avg_sq());
    return 1;
  }
  TS_CATCH(-1)
}
TS_API int ts_adamw_set_state(ts_optimizer opt, ts_tensor param, int64_t step, ts_tensor exp_avg,
                              ts_tensor exp_avg_sq) {
  TS_STATUS({
    TORCH_CHECK(exp_avg->sizes() == param->sizes() && exp_avg_sq->sizes() == param->sizes(),
                "optimizer state shape ", exp_avg->sizes(), " does not match parameter shape ", param->sizes());
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(step);
    s->exp_avg(exp_avg->to(param->options()).clone());
    s->exp_avg_sq(exp_avg_sq->to(param->options()).clone());
    auto& state = opt->state();
    state[state_key(state, *param)] = std::move(s);
  })
}

// Scales gradients so that their global L2 norm is at most max_norm (PyTorch's clip_grad_norm_); returns the norm
// before clipping, which is NaN or Inf when a gradient is not finite (then nothing is scaled), or -1 on error.
TS_API double ts_clip_grad_norm(const ts_tensor* params, int64_t n, double max_norm) {
  try {
    c10::NoGradGuard guard;
    std::vector<at::Tensor> norms;
    for (int64_t i = 0; i < n; ++i)
      if (params[i]->grad().defined()) norms.push_back(params[i]->grad().detach().to(at::kFloat).norm(2));
    if (norms.empty()) return 0.0;
    const double total = at::stack(norms).norm(2).item<double>();
    if (!std::isfinite(total)) return total;
    const double coef = max_norm / (total + 1e-6);
    if (coef < 1.0)
      for (int64_t i = 0; i < n; ++i)
        if (params[i]->grad().defined()) params[i]->mutable_grad().mul_(coef);
    return total;
  }
  TS_CATCH(-1.0)
}
