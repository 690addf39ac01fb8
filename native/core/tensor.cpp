// Tensor creation, conversion and introspection.
#include "api.h"

// ---- introspection --------------------------------------------------------------------------------------------
TS_API int64_t ts_tensor_dim(ts_tensor t) { return t->dim(); }
TS_API int64_t ts_tensor_numel(ts_tensor t) { return t->numel(); }
TS_API void ts_tensor_shape(ts_tensor t, int64_t* out) {
  for (int64_t i = 0; i < t->dim(); ++i) out[i] = t->size(i);
}
TS_API int ts_tensor_dtype(ts_tensor t) { return static_cast<int>(t->scalar_type()); }
TS_API int ts_tensor_device_type(ts_tensor t) { return t->is_cuda() ? 1 : 0; }
TS_API int ts_tensor_device_index(ts_tensor t) { return t->is_cuda() ? t->get_device() : -1; }
TS_API int ts_tensor_is_contiguous(ts_tensor t) { return t->is_contiguous() ? 1 : 0; }
TS_API int ts_tensor_defined(ts_tensor t) { return t->defined() ? 1 : 0; }
TS_API void* ts_tensor_data_ptr(ts_tensor t) {
  try {
    TORCH_CHECK(t->device().is_cpu(), "data_ptr is only available for CPU tensors; call .cpu() first");
    TORCH_CHECK(t->is_contiguous(), "data_ptr needs a contiguous tensor; call .contiguous() first");
    return t->data_ptr();
  }
  TS_CATCH(nullptr)
}

// ---- creation -------------------------------------------------------------------------------------------------
// Copies `bytes` of host memory into a new CPU tensor: .NET arrays can move, so the tensor must own its memory.
TS_API ts_tensor ts_tensor_from_data(const void* data, const int64_t* shape, int64_t ndim, int dtype) {
  TS_TENSOR(([&] {
    auto t = at::empty(ts::dims(shape, ndim), at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)));
    std::memcpy(t.data_ptr(), data, t.nbytes());
    return t;
  })())
}

TS_API ts_tensor ts_empty(const int64_t* shape, int64_t ndim, int dtype, int dev, int idx) {
  TS_TENSOR(at::empty(ts::dims(shape, ndim), ts::options(dtype, dev, idx)))
}
TS_API ts_tensor ts_zeros(const int64_t* shape, int64_t ndim, int dtype, int dev, int idx) {
  TS_TENSOR(at::zeros(ts::dims(shape, ndim), ts::options(dtype, dev, idx)))
}
TS_API ts_tensor ts_ones(const int64_t* shape, int64_t ndim, int dtype, int dev, int idx) {
  TS_TENSOR(at::ones(ts::dims(shape, ndim), ts::options(dtype, dev, idx)))
}
TS_API ts_tensor ts_full(const int64_t* shape, int64_t ndim, double value, int dtype, int dev, int idx) {
  TS_TENSOR(at::full(ts::dims(shape, ndim), value, ts::options(dtype, dev, idx)))
}
TS_API ts_tensor ts_randn(const int64_t* shape, int64_t ndim, int dtype, int dev, int idx) {
  TS_TENSOR(at::randn(ts::dims(shape, ndim), ts::options(dtype, dev, idx)))
}
TS_API ts_tensor ts_rand(const int64_t* shape, int64_t ndim, int dtype, int dev, int idx) {
  TS_TENSOR(at::rand(ts::dims(shape, ndim), ts::options(dtype, dev, idx)))
}
TS_API ts_tensor ts_randint(int64_t low, int64_t high, const int64_t* shape, int64_t ndim, int dtype, int dev, int idx) {
  TS_TENSOR(at::randint(low, high, ts::dims(shape, ndim), ts::options(dtype, dev, idx)))
}
TS_API ts_tensor ts_arange(double start, double end, double step, int dtype, int dev, int idx) {
  TS_TENSOR(at::arange(start, end, step, ts::options(dtype, dev, idx)))
}
TS_API ts_tensor ts_scalar_tensor(double value, int dtype, int dev, int idx) {
  TS_TENSOR(at::scalar_tensor(value, ts::options(dtype, dev, idx)))
}
TS_API ts_tensor ts_zeros_like(ts_tensor t) { TS_TENSOR(at::zeros_like(*t)) }
TS_API ts_tensor ts_ones_like(ts_tensor t) { TS_TENSOR(at::ones_like(*t)) }
TS_API ts_tensor ts_randn_like(ts_tensor t) { TS_TENSOR(at::randn_like(*t)) }

// ---- conversion -----------------------------------------------------------------------------------------------
TS_API ts_tensor ts_to(ts_tensor t, int dev, int idx, int dtype, int non_blocking, int copy) {
  TS_TENSOR(t->to(ts::device(dev, idx), static_cast<at::ScalarType>(dtype), non_blocking != 0, copy != 0))
}
TS_API ts_tensor ts_to_dtype(ts_tensor t, int dtype) { TS_TENSOR(t->to(static_cast<at::ScalarType>(dtype))) }
TS_API ts_tensor ts_clone(ts_tensor t) { TS_TENSOR(t->clone()) }
TS_API ts_tensor ts_contiguous(ts_tensor t) { TS_TENSOR(t->contiguous()) }
TS_API ts_tensor ts_alias(ts_tensor t) { TS_TENSOR(*t) }
TS_API int ts_item(ts_tensor t, double* out) { TS_STATUS(*out = t->item<double>()) }
TS_API int ts_item_int64(ts_tensor t, int64_t* out) { TS_STATUS(*out = t->item<int64_t>()) }

// Copies a tensor's elements (converted to `dtype`, moved to CPU) into caller memory of `bytes` bytes.
TS_API int ts_tensor_copy_to(ts_tensor t, void* out, int64_t bytes, int dtype) {
  TS_STATUS({
    auto cpu = t->detach().to(at::kCPU, static_cast<at::ScalarType>(dtype)).contiguous();
    TORCH_CHECK(static_cast<int64_t>(cpu.nbytes()) == bytes, "destination holds ", bytes, " bytes but the tensor has ",
                cpu.nbytes());
    std::memcpy(out, cpu.data_ptr(), cpu.nbytes());
  })
}

// ---- in place -------------------------------------------------------------------------------------------------
TS_API int ts_copy_(ts_tensor dst, ts_tensor src) { TS_STATUS(dst->copy_(*src)) }
TS_API int ts_zero_(ts_tensor t) { TS_STATUS(t->zero_()) }
TS_API int ts_fill_(ts_tensor t, double value) { TS_STATUS(t->fill_(value)) }
TS_API int ts_add_(ts_tensor t, ts_tensor other, double alpha) { TS_STATUS(t->add_(*other, alpha)) }
TS_API int ts_mul_scalar_(ts_tensor t, double value) { TS_STATUS(t->mul_(value)) }
// Replaces the storage behind a tensor (as `param.data = new` in PyTorch): handles that point at it stay valid.
TS_API int ts_set_data(ts_tensor t, ts_tensor data) { TS_STATUS(t->set_data(*data)) }
TS_API int ts_normal_(ts_tensor t, double mean, double std) { TS_STATUS(t->normal_(mean, std)) }
TS_API int ts_uniform_(ts_tensor t, double from, double to) { TS_STATUS(t->uniform_(from, to)) }
