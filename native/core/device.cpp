// Devices and random-number generators.
#include "api.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>

TS_API int ts_cuda_is_available() { return torch::cuda::is_available() ? 1 : 0; }
TS_API int ts_cuda_device_count() { return static_cast<int>(torch::cuda::device_count()); }
TS_API int ts_cuda_synchronize(int device_index) { TS_STATUS(torch::cuda::synchronize(device_index)) }

// Threads libtorch uses inside one op on the CPU (at::set_num_threads); benchmarks pin it for stable numbers.
TS_API int ts_set_num_threads(int n) {
  TS_STATUS({
    TORCH_CHECK(n > 0, "the number of threads must be positive, got ", n);
    at::set_num_threads(n);
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
