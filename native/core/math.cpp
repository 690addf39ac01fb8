// Elementwise arithmetic, comparisons, reductions and matrix products.
#include "api.h"

#define TS_UNARY(name, expr) \
  TS_API ts_tensor ts_##name(ts_tensor a) { TS_TENSOR(expr) }
#define TS_BINARY(name, expr) \
  TS_API ts_tensor ts_##name(ts_tensor a, ts_tensor b) { TS_TENSOR(expr) }
#define TS_SCALAR(name, expr) \
  TS_API ts_tensor ts_##name(ts_tensor a, double s) { TS_TENSOR(expr) }

// ---- elementwise ----------------------------------------------------------------------------------------------
TS_API ts_tensor ts_add(ts_tensor a, ts_tensor b, double alpha) { TS_TENSOR(at::add(*a, *b, alpha)) }
TS_API ts_tensor ts_sub(ts_tensor a, ts_tensor b, double alpha) { TS_TENSOR(at::sub(*a, *b, alpha)) }
TS_BINARY(mul, at::mul(*a, *b))
TS_BINARY(div, at::div(*a, *b))
TS_BINARY(pow, at::pow(*a, *b))
TS_BINARY(maximum, at::maximum(*a, *b))
TS_BINARY(minimum, at::minimum(*a, *b))
TS_SCALAR(add_scalar, at::add(*a, s))
TS_SCALAR(mul_scalar, at::mul(*a, s))
TS_SCALAR(div_scalar, at::div(*a, s))
TS_SCALAR(pow_scalar, at::pow(*a, s))
TS_SCALAR(rsub_scalar, at::rsub(*a, s))  // s - a
TS_SCALAR(rdiv_scalar, at::reciprocal(*a).mul_(s))  // s / a

TS_UNARY(neg, at::neg(*a))
TS_UNARY(exp, at::exp(*a))
TS_UNARY(log, at::log(*a))
TS_UNARY(sqrt, at::sqrt(*a))
TS_UNARY(rsqrt, at::rsqrt(*a))
TS_UNARY(tanh, at::tanh(*a))
TS_UNARY(sigmoid, at::sigmoid(*a))
TS_UNARY(sin, at::sin(*a))
TS_UNARY(cos, at::cos(*a))
TS_UNARY(abs, at::abs(*a))
TS_UNARY(round, at::round(*a))
TS_UNARY(sign, at::sign(*a))
TS_UNARY(isfinite, at::isfinite(*a))
TS_UNARY(logical_not, at::logical_not(*a))

TS_API ts_tensor ts_clamp(ts_tensor a, double min, double max, int has_min, int has_max) {
  TS_TENSOR(at::clamp(*a, has_min ? c10::optional<at::Scalar>(min) : c10::nullopt,
                      has_max ? c10::optional<at::Scalar>(max) : c10::nullopt))
}

// ---- comparisons and selection --------------------------------------------------------------------------------
// op: 0 eq, 1 ne, 2 lt, 3 le, 4 gt, 5 ge
static at::Tensor compare(const at::Tensor& a, const at::Tensor& b, int op) {
  switch (op) {
    case 0: return at::eq(a, b);
    case 1: return at::ne(a, b);
    case 2: return at::lt(a, b);
    case 3: return at::le(a, b);
    case 4: return at::gt(a, b);
    case 5: return at::ge(a, b);
  }
  TORCH_CHECK(false, "unknown comparison ", op);
}
TS_API ts_tensor ts_compare(ts_tensor a, ts_tensor b, int op) { TS_TENSOR(compare(*a, *b, op)) }
TS_API ts_tensor ts_compare_scalar(ts_tensor a, double s, int op) {
  TS_TENSOR(compare(*a, at::scalar_tensor(s, a->options()), op))
}
TS_API ts_tensor ts_where(ts_tensor cond, ts_tensor a, ts_tensor b) { TS_TENSOR(at::where(*cond, *a, *b)) }
TS_API ts_tensor ts_masked_fill(ts_tensor a, ts_tensor mask, double value) { TS_TENSOR(a->masked_fill(*mask, value)) }
TS_API ts_tensor ts_triu(ts_tensor a, int64_t diagonal) { TS_TENSOR(at::triu(*a, diagonal)) }
TS_API ts_tensor ts_tril(ts_tensor a, int64_t diagonal) { TS_TENSOR(at::tril(*a, diagonal)) }
TS_API int ts_allclose(ts_tensor a, ts_tensor b, double rtol, double atol) {
  try {
    return at::allclose(*a, *b, rtol, atol) ? 1 : 0;
  }
  TS_CATCH(-1)
}

// ---- reductions -----------------------------------------------------------------------------------------------
TS_UNARY(sum_all, at::sum(*a))
TS_UNARY(mean_all, at::mean(*a))
TS_UNARY(amax_all, at::amax(*a))
TS_UNARY(amin_all, at::amin(*a))
TS_API ts_tensor ts_sum(ts_tensor a, const int64_t* dims, int64_t n, int keepdim) {
  TS_TENSOR(at::sum(*a, ts::dims(dims, n), keepdim != 0))
}
TS_API ts_tensor ts_mean(ts_tensor a, const int64_t* dims, int64_t n, int keepdim) {
  TS_TENSOR(at::mean(*a, ts::dims(dims, n), keepdim != 0))
}
TS_API ts_tensor ts_amax(ts_tensor a, const int64_t* dims, int64_t n, int keepdim) {
  TS_TENSOR(at::amax(*a, ts::dims(dims, n), keepdim != 0))
}
TS_API ts_tensor ts_argmax(ts_tensor a, int64_t dim, int keepdim) { TS_TENSOR(at::argmax(*a, dim, keepdim != 0)) }
TS_API ts_tensor ts_norm(ts_tensor a, double p) { TS_TENSOR(at::norm(*a, p)) }

// ---- matrix products ------------------------------------------------------------------------------------------
TS_BINARY(matmul, at::matmul(*a, *b))
TS_BINARY(bmm, at::bmm(*a, *b))
TS_API ts_tensor ts_linear(ts_tensor x, ts_tensor w, ts_tensor b) { TS_TENSOR(at::linear(*x, *w, ts::optional(b))) }
