// Thread-local last error, the live-handle counter, and handle arrays.
#include "api.h"

#include <torch/version.h>

namespace {
thread_local std::string last_error;
thread_local bool has_error = false;
}  // namespace

namespace ts {

void set_error(const char* message) {
  last_error = message ? message : "unknown native error";
  has_error = true;
}

std::atomic<int64_t>& live_tensor_counter() {
  static std::atomic<int64_t> counter{0};
  return counter;
}

int64_t wrap_list(std::vector<at::Tensor> tensors, ts_tensor** out) {
  auto* array = new ts_tensor[tensors.size()];
  for (size_t i = 0; i < tensors.size(); ++i) array[i] = wrap(std::move(tensors[i]));
  *out = array;
  return static_cast<int64_t>(tensors.size());
}

}  // namespace ts

// Returns the last error of this thread and clears it, or nullptr when there is none. The pointer stays valid
// until the next failing call on the same thread.
TS_API const char* ts_last_error() {
  if (!has_error) return nullptr;
  has_error = false;
  return last_error.c_str();
}

TS_API int64_t ts_live_tensors() { return ts::live_tensor_counter().load(std::memory_order_relaxed); }

TS_API void ts_tensor_free(ts_tensor t) {
  if (!t) return;
  delete t;
  ts::live_tensor_counter().fetch_sub(1, std::memory_order_relaxed);
}

TS_API void ts_tensor_array_free(ts_tensor* array) { delete[] array; }

TS_API int ts_torch_version(int* major, int* minor) {
  *major = TORCH_VERSION_MAJOR;
  *minor = TORCH_VERSION_MINOR;
  return 0;
}
