// The functional neural-network ops (torch.nn.functional).
#include "api.h"

#include <torch/version.h>

TS_API ts_tensor ts_softmax(ts_tensor a, int64_t dim) { TS_TENSOR(at::softmax(*a, dim)) }
TS_API ts_tensor ts_log_softmax(ts_tensor a, int64_t dim) { TS_TENSOR(at::log_softmax(*a, dim)) }
TS_API ts_tensor ts_gelu(ts_tensor a, int tanh_approximation) { TS_TENSOR(at::gelu(*a, tanh_approximation ? "tanh" : "none")) }
TS_API ts_tensor ts_silu(ts_tensor a) { TS_TENSOR(at::silu(*a)) }
TS_API ts_tensor ts_relu(ts_tensor a) { TS_TENSOR(at::relu(*a)) }
TS_API ts_tensor ts_dropout(ts_tensor a, double p, int train) { TS_TENSOR(at::dropout(*a, p, train != 0)) }
TS_API ts_tensor ts_embedding(ts_tensor weight, ts_tensor indices) { TS_TENSOR(at::embedding(*weight, *indices)) }

// reduction: 0 none, 1 mean, 2 sum (at::Reduction).
TS_API ts_tensor ts_cross_entropy(ts_tensor logits, ts_tensor target, int64_t ignore_index, int reduction,
                                  double label_smoothing) {
  TS_TENSOR(at::cross_entropy_loss(*logits, *target, {}, reduction, ignore_index, label_smoothing))
}
TS_API ts_tensor ts_mse_loss(ts_tensor a, ts_tensor b, int reduction) { TS_TENSOR(at::mse_loss(*a, *b, reduction)) }

TS_API ts_tensor ts_layer_norm(ts_tensor x, const int64_t* shape, int64_t n, ts_tensor w, ts_tensor b, double eps) {
  TS_TENSOR(at::layer_norm(*x, ts::dims(shape, n), ts::optional(w), ts::optional(b), eps))
}

// RMSNorm over the last dimension, computed in fp32 whatever the input dtype (as Llama does).
TS_API ts_tensor ts_rms_norm(ts_tensor x, ts_tensor w, double eps) {
  TS_TENSOR(([&] {
    auto xf = x->to(at::kFloat);
    auto normed = (xf * at::rsqrt(xf.pow(2).mean(-1, true) + eps)).to(x->scalar_type());
    return w ? normed * *w : normed;
  })())
}

TS_API int ts_has_sdpa() { return TORCH_VERSION_MAJOR >= 2 ? 1 : 0; }

// scale <= 0 means the default 1/sqrt(head_dim).
TS_API ts_tensor ts_scaled_dot_product_attention(ts_tensor q, ts_tensor k, ts_tensor v, ts_tensor mask, double dropout,
                                                 int is_causal, double scale) {
#if TORCH_VERSION_MAJOR >= 2
  TS_TENSOR(at::scaled_dot_product_attention(*q, *k, *v, mask ? c10::optional<at::Tensor>(*mask) : c10::nullopt,
                                             dropout, is_causal != 0,
                                             scale > 0 ? c10::optional<double>(scale) : c10::nullopt))
#else
  (void)q, (void)k, (void)v, (void)mask, (void)dropout, (void)is_causal, (void)scale;
  ts::set_error("scaled_dot_product_attention needs libtorch 2.0 or newer; this build uses libtorch " TORCH_VERSION);
  return nullptr;
#endif
}

// Chooses which SDPA backends libtorch may pick (PyTorch's torch.backends.cuda.enable_*_sdp).
TS_API int ts_sdpa_enable_backends(int flash, int mem_efficient, int math, int cudnn) {
#if TORCH_VERSION_MAJOR >= 2
  TS_STATUS({
    auto& ctx = at::globalContext();
    ctx.setSDPUseFlash(flash != 0);
    ctx.setSDPUseMemEfficient(mem_efficient != 0);
    ctx.setSDPUseMath(math != 0);
    ctx.setSDPUseCuDNN(cudnn != 0);
  })
#else
  (void)flash, (void)mem_efficient, (void)math, (void)cudnn;
  return 0;
#endif
}
