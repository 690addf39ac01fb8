// Autograd: gradient flags, backward, gradient access, grad mode.
//
// Custom autograd functions are written in C++ as torch::autograd::Function subclasses (see
// native/sage8/autograd.cpp) and exported as ordinary ts_ functions: libtorch records them in the graph, so
// loss.backward() from C# flows through them.
#include "api.h"

#include <c10/core/GradMode.h>

TS_API int ts_requires_grad(ts_tensor t) { return t->requires_grad() ? 1 : 0; }
TS_API int ts_set_requires_grad(ts_tensor t, int value) { TS_STATUS(t->set_requires_grad(value != 0)) }
TS_API int ts_is_leaf(ts_tensor t) { return t->is_leaf() ? 1 : 0; }
TS_API ts_tensor ts_detach(ts_tensor t) { TS_TENSOR(t->detach()) }

TS_API int ts_backward(ts_tensor t, ts_tensor grad, int retain_graph) {
  TS_STATUS(t->backward(ts::optional(grad), retain_graph != 0))
}

// Writes the gradient into *out, or nullptr when the tensor has none yet.
TS_API int ts_grad(ts_tensor t, ts_tensor* out) {
  TS_STATUS({
    const auto& g = t->grad();
    *out = g.defined() ? ts::wrap(g) : nullptr;
  })
}
TS_API int ts_set_grad(ts_tensor t, ts_tensor grad) {
  TS_STATUS(t->mutable_grad() = grad ? *grad : at::Tensor())
}

TS_API int ts_grad_enabled() { return c10::GradMode::is_enabled() ? 1 : 0; }
TS_API void ts_set_grad_enabled(int enabled) { c10::GradMode::set_enabled(enabled != 0); }
