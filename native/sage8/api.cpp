// The sage8 C ABI (see core/api.h for the conventions).
#include "core/api.h"
#include "inputs.h"
#include "sage8.h"

extern "C" {
// Mirrors TrainSage.Attention's Sage8Options field by field (Sage8Native.cs); every field is an int32.
struct ts_sage8_options {
  int32_t block_size;     // 64 or 128
  int32_t smooth_k;       // 0 or 1
  int32_t smooth_q;       // 0 or 1
  int32_t vdo_scaling;    // 0: per block and channel, 1: per block
  int32_t dov_precision;  // 0: bf16 inputs with fp32 accumulation, 1: INT8
  int32_t causal;         // 0 or 1
};
}

namespace {

sage8::Options to_options(const ts_sage8_options* o) {
  if (!o) throw std::invalid_argument("sage8: the options pointer is null");
  if (o->vdo_scaling < 0 || o->vdo_scaling > 1)
    throw std::invalid_argument("sage8: vdo_scaling must be 0 (per block and channel) or 1 (per block)");
  if (o->dov_precision < 0 || o->dov_precision > 1)
    throw std::invalid_argument("sage8: dov_precision must be 0 (bf16) or 1 (int8)");
  sage8::Options options;
  options.block_size = o->block_size;
  options.smooth_k = o->smooth_k != 0;
  options.smooth_q = o->smooth_q != 0;
  options.vdo_scaling = static_cast<sage8::VdoScaling>(o->vdo_scaling);
  options.dov_precision = static_cast<sage8::DoVPrecision>(o->dov_precision);
  options.causal = o->causal != 0;
  return options;
}

}  // namespace

// O = sage8 attention, differentiable (an autograd node when any input requires grad).
TS_API ts_tensor ts_sage8_attention(ts_tensor q, ts_tensor k, ts_tensor v, const ts_sage8_options* options) {
  TS_TENSOR(sage8::attention(*q, *k, *v, to_options(options)))
}

// The reference forward without autograd: *out = O, *lse = log-sum-exp [batch, heads, tokens_q] (fp32).
TS_API int ts_sage8_forward(ts_tensor q, ts_tensor k, ts_tensor v, const ts_sage8_options* options, ts_tensor* out,
                            ts_tensor* lse) {
  TS_STATUS({
    auto [o, l] = sage8::forward(*q, *k, *v, to_options(options));
    *out = ts::wrap(o);
    *lse = ts::wrap(l);
  })
}

// The reference backward without autograd: gradients of sum(O * dO) with respect to Q, K and V.
TS_API int ts_sage8_backward(ts_tensor q, ts_tensor k, ts_tensor v, ts_tensor out, ts_tensor lse, ts_tensor grad_out,
                             const ts_sage8_options* options, ts_tensor* dq, ts_tensor* dk, ts_tensor* dv) {
  TS_STATUS({
    auto [gq, gk, gv] = sage8::backward(*q, *k, *v, *out, *lse, *grad_out, to_options(options));
    *dq = ts::wrap(gq);
    *dk = ts::wrap(gk);
    *dv = ts::wrap(gv);
  })
}

// The input checks every attention backend shares (4-D, non-empty, one dtype and device, GQA-compatible heads).
TS_API int ts_attention_check_inputs(ts_tensor q, ts_tensor k, ts_tensor v) {
  TS_STATUS(sage8::check_attention_inputs(*q, *k, *v))
}
