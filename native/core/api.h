// The conventions every exported function of the TrainSage C ABI follows.
//
// - Every symbol starts with `ts_` and is declared `TS_API` (extern "C", default visibility).
// - A tensor crosses the ABI as `ts_tensor`, an owning pointer to an at::Tensor. The C# side owns it through
//   a SafeHandle and frees it with ts_tensor_free.
// - No C++ exception crosses the ABI. TS_TRY_* wrap each body: an exception is stored in a thread-local last
//   error, and the function returns nullptr (handles) or -1 (status codes). C# reads ts_last_error and throws.
#pragma once

#include <ATen/ATen.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#define TS_API extern "C" __attribute__((visibility("default")))

typedef at::Tensor* ts_tensor;

namespace ts {

void set_error(const char* message);
std::atomic<int64_t>& live_tensor_counter();

// Moves a result onto the heap as a handle the caller owns.
inline ts_tensor wrap(at::Tensor t) {
  live_tensor_counter().fetch_add(1, std::memory_order_relaxed);
  return new at::Tensor(std::move(t));
}

inline at::IntArrayRef dims(const int64_t* data, int64_t n) { return at::IntArrayRef(data, static_cast<size_t>(n)); }

inline at::TensorOptions options(int dtype, int device_type, int device_index) {
  return at::TensorOptions()
      .dtype(static_cast<at::ScalarType>(dtype))
      .device(device_type == 0 ? at::Device(at::kCPU) : at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device_index)));
}

inline at::Device device(int device_type, int device_index) {
  return device_type == 0 ? at::Device(at::kCPU) : at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device_index));
}

// An optional tensor argument: nullptr means "none".
inline at::Tensor optional(ts_tensor t) { return t ? *t : at::Tensor(); }

inline std::vector<at::Tensor> list(const ts_tensor* items, int64_t n) {
  std::vector<at::Tensor> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out.push_back(*items[i]);
  return out;
}

// Returns a heap array of handles (freed by ts_tensor_array_free) and its length.
int64_t wrap_list(std::vector<at::Tensor> tensors, ts_tensor** out);

}  // namespace ts

#define TS_CATCH(failure)                 \
  catch (const std::exception& e) {       \
    ts::set_error(e.what());              \
    return failure;                       \
  }                                       \
  catch (...) {                           \
    ts::set_error("unknown native error"); \
    return failure;                       \
  }

// Body returning an at::Tensor expression.
#define TS_TENSOR(...)    \
  try {                 \
    return ts::wrap(__VA_ARGS__); \
  }                     \
  TS_CATCH(nullptr)

// Body made of a statement or a { block }; returns 0 on success.
#define TS_STATUS(...)   \
  try {                  \
    __VA_ARGS__;         \
    return 0;            \
  }                      \
  TS_CATCH(-1)
