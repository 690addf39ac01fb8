// Devices and random-number generators.
#include "api.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>

// OpenBLAS's thread setter, resolved at load time where libtorch links OpenBLAS (Debian's CPU build) and null
// elsewhere. A weak reference rather than dlsym(RTLD_DEFAULT): .NET loads this library with RTLD_LOCAL, which
// hides libtorch's dependencies from the global scope.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

TS_API int ts_cuda_is_available() { return torch::cuda::is_available() ? 1 : 0; }
TS_API int ts_cuda_device_count() { return static_cast<int>(torch::cuda::device_count()); }
TS_API int ts_cuda_synchronize(int device_index) { TS_STATUS(torch::cuda::synchronize(device_index)) }

// Threads libtorch uses inside one op on the CPU. at::set_num_threads covers OpenMP and MKL but not OpenBLAS's own
// pool, which Debian's libtorch uses for fp32 matmul, so that one is set too where it is loaded.
TS_API int ts_set_num_threads(int n) {
  TS_STATUS({
    TORCH_CHECK(n > 0, "the number of threads must be positive, got ", n);
    at::set_num_threads(n);
    if (openblas_set_num_threads) openblas_set_num_threads(n);
  })
}
TS_API int ts_get_num_threads() { return at::get_num_threads(); }

// Seeds the CPU generator and every CUDA generator.
TS_API int ts_manual_seed(uint64_t seed) { TS_STATUS(at::manual_seed(seed)) }

static at::Generator generator(int device_type, int device_index) {
  return at::globalContext().defaultGenerator(ts::device(device_type, device_index));
}

// The generator state as a uint8 CPU tensor, to save in checkpoints.
TS_API ts_tensor ts_rng_get_state(int device_type, int device_index) {
  TS_TENSOR(([&] {
    auto gen = generator(device_type, device_index);
    std::lock_guard<std::mutex> lock(gen.mutex());
    return gen.get_state();
  })())
}
TS_API int ts_rng_set_state(int device_type, int device_index, ts_tensor state) {
  TS_STATUS({
    auto gen = generator(device_type, device_index);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(*state);
  })
}
