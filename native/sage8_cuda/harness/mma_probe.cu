// The tensor-core ceilings the sage8 kernels live under on this GPU, and the wgmma shared-memory descriptor
// convention a wgmma version of them needs (sm_90a only):
//   rates: INT8 mma.sync m16n8k32, BF16 mma.sync m16n8k16, INT8 wgmma m64n128k32 (A in registers, B in smem)
//   check: wgmma with B as a K-major tile in 128-byte (hd 128) and 64-byte (hd 64) swizzle vs a CPU product
// Usage: mma_probe. Exit status 0 only if the checks pass.
#include "../tile.cuh"
#include "../wgmma.cuh"

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

using namespace sage8_cuda;

#define CUDA_CHECK(call)                                                                  \
  do {                                                                                    \
    const cudaError_t err_ = (call);                                                      \
    if (err_ != cudaSuccess) {                                                            \
      std::printf("%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(err_)); \
      std::exit(2);                                                                       \
    }                                                                                     \
  } while (0)

namespace {

// Orders ordinary shared-memory stores before the tensor cores' (async proxy) reads.
__device__ inline void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

// C[64][128] = A[64][K] B[128][K]^T with K = RowBytes, one warpgroup, B staged in the swizzled layout. Every
// loop over the accumulators is unrolled: they must stay in registers while the wgmma is in flight.
template <int RowBytes>
__global__ void __launch_bounds__(128) wgmma_check_kernel(const int8_t* a_g, const int8_t* b_g, int* c_g,
                                                          int* misaligned) {
  constexpr int row_bytes = RowBytes;
  __shared__ __align__(1024) uint8_t b_s[128 * 128];
  __shared__ __align__(16) uint8_t a_s[64 * (128 + kRowPad)];
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, gid = lane >> 2, tq = lane & 3;
  if (tid == 0 && (smem_addr(b_s) & 1023)) *misaligned = 1;
  for (int i = tid; i < 128 * row_bytes; i += 128)
    b_s[(i / row_bytes) * row_bytes + swizzled_byte(i / row_bytes, i % row_bytes, row_bytes)] = b_g[i];
  for (int i = tid; i < 64 * row_bytes; i += 128) a_s[(i / row_bytes) * (128 + kRowPad) + i % row_bytes] = a_g[i];
  fence_proxy_async();
  __syncthreads();
  uint32_t a[row_bytes / 32][4];
#pragma unroll
  for (int kk = 0; kk < row_bytes / 32; ++kk) load_a(a[kk], a_s, 128 + kRowPad, 16 * warp, 32 * kk, lane);
  int d[16][4];
  const uint64_t desc = kmajor_desc(smem_addr(b_s), row_bytes);
  wgmma_fence();
  wgmma_s8_first(d, a[0], desc);
#pragma unroll
  for (int kk = 1; kk < row_bytes / 32; ++kk) wgmma_s8(d, a[kk], desc + 2 * kk);
  wgmma_commit();
  wgmma_wait<0>();
  fence_registers(d);
#pragma unroll
  for (int i = 0; i < 64; ++i) {
    const int row = 16 * warp + gid + 8 * ((i & 3) >> 1), col = 8 * (i >> 2) + 2 * tq + (i & 1);
    c_g[row * 128 + col] = d[i >> 2][i & 3];
  }
}

__global__ void __launch_bounds__(256) mma_s8_rate_kernel(int* sink, int iters) {
  const uint32_t a[4] = {threadIdx.x * 0x01010101u, 0x02020202u, 0x03030303u, 0x04040404u};
  const uint32_t b0 = 0x01010101u * (threadIdx.x & 7), b1 = 0x05050505u;
  int acc[8][4] = {};
  for (int i = 0; i < iters; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) mma_s8(acc[j], a, b0, b1);
  int s = 0;
  for (int j = 0; j < 8; ++j)
    for (int e = 0; e < 4; ++e) s += acc[j][e];
  if (s == 0x12345678) *sink = s;
}

__global__ void __launch_bounds__(256) mma_bf16_rate_kernel(int* sink, int iters) {
  const uint32_t a[4] = {0x3f803f80u, 0x3f803f80u, 0x3f803f80u, threadIdx.x};
  const uint32_t b0 = 0x3c003c00u, b1 = 0x3c003c00u;
  float acc[8][4] = {};
  for (int i = 0; i < iters; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) mma_bf16(acc[j], a, b0, b1);
  float s = 0.f;
  for (int j = 0; j < 8; ++j)
    for (int e = 0; e < 4; ++e) s += acc[j][e];
  if (s == 1234.5f) *sink = 1;
}

// Two warpgroups, each: 8 wgmma m64n128k32 per commit on one 128 x 128 INT8 B tile.
__global__ void __launch_bounds__(256) wgmma_s8_rate_kernel(int* sink, int iters) {
  __shared__ __align__(1024) uint8_t b_s[128 * 128];
  for (int i = threadIdx.x; i < 128 * 128 / 16; i += 256)
    reinterpret_cast<uint4*>(b_s)[i] = make_uint4(i, 3 * i, 5 * i, 7 * i);
  fence_proxy_async();
  __syncthreads();
  const uint32_t a[4] = {threadIdx.x * 0x01010101u, 0x02020202u, 0x03030303u, 0x04040404u};
  int d[16][4];
#pragma unroll
  for (int i = 0; i < 64; ++i) d[i >> 2][i & 3] = 0;
  const uint64_t desc = kmajor_desc(smem_addr(b_s), 128);
  for (int i = 0; i < iters; ++i) {
    wgmma_fence();
#pragma unroll
    for (int k = 0; k < 8; ++k) wgmma_s8(d, a, desc + 2 * (k & 3));
    wgmma_commit();
    wgmma_wait<0>();
    fence_registers(d);
  }
  int s = 0;
#pragma unroll
  for (int i = 0; i < 64; ++i) s += d[i >> 2][i & 3];
  if (s == 0x12345678) *sink = s;
}

template <typename Launch>
double tops(Launch launch, double ops) {
  launch();
  CUDA_CHECK(cudaGetLastError());
  CUDA_CHECK(cudaDeviceSynchronize());
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  CUDA_CHECK(cudaEventRecord(start));
  launch();
  CUDA_CHECK(cudaEventRecord(stop));
  CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0.f;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  return ops / (ms * 1e-3) / 1e12;
}

template <int RowBytes>
bool check_wgmma() {
  constexpr int row_bytes = RowBytes;
  std::mt19937 rng(RowBytes);
  std::uniform_int_distribution<int> dist(-127, 127);
  std::vector<int8_t> a(64 * row_bytes), b(128 * row_bytes);
  for (auto& x : a) x = static_cast<int8_t>(dist(rng));
  for (auto& x : b) x = static_cast<int8_t>(dist(rng));
  int8_t *a_d, *b_d;
  int *c_d, *flag_d;
  CUDA_CHECK(cudaMalloc(&a_d, a.size()));
  CUDA_CHECK(cudaMalloc(&b_d, b.size()));
  CUDA_CHECK(cudaMalloc(&c_d, 64 * 128 * sizeof(int)));
  CUDA_CHECK(cudaMalloc(&flag_d, sizeof(int)));
  CUDA_CHECK(cudaMemcpy(a_d, a.data(), a.size(), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(b_d, b.data(), b.size(), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemset(c_d, 0, 64 * 128 * sizeof(int)));
  CUDA_CHECK(cudaMemset(flag_d, 0, sizeof(int)));
  wgmma_check_kernel<RowBytes><<<1, 128>>>(a_d, b_d, c_d, flag_d);
  CUDA_CHECK(cudaGetLastError());
  CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<int> c(64 * 128);
  int flag = 0;
  CUDA_CHECK(cudaMemcpy(c.data(), c_d, c.size() * sizeof(int), cudaMemcpyDeviceToHost));
  CUDA_CHECK(cudaMemcpy(&flag, flag_d, sizeof(int), cudaMemcpyDeviceToHost));
  int wrong = 0;
  for (int m = 0; m < 64; ++m)
    for (int n = 0; n < 128; ++n) {
      int ref = 0;
      for (int k = 0; k < row_bytes; ++k) ref += a[m * row_bytes + k] * b[n * row_bytes + k];
      wrong += c[m * 128 + n] != ref;
    }
  std::printf("wgmma m64n128k32 s8, B K-major %d-byte swizzle: %d of %d wrong%s\n", row_bytes, wrong, 64 * 128,
              flag ? " (tile not 1024-byte aligned)" : "");
  for (void* p : {(void*)a_d, (void*)b_d, (void*)c_d, (void*)flag_d}) cudaFree(p);
  return wrong == 0 && !flag;
}

}  // namespace

int main() {
  cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  const int blocks = 2 * prop.multiProcessorCount;
  int* sink;
  CUDA_CHECK(cudaMalloc(&sink, sizeof(int)));
  const int iters = 20000;
  const double warps = blocks * 8.0;
  std::printf("%s, %d SMs\n", prop.name, prop.multiProcessorCount);
  std::printf("mma.sync m16n8k32 s8:   %7.1f TOPS\n",
              tops([&] { mma_s8_rate_kernel<<<blocks, 256>>>(sink, iters); }, warps * iters * 8 * 16 * 8 * 32 * 2.0));
  std::printf("mma.sync m16n8k16 bf16: %7.1f TFLOP/s\n",
              tops([&] { mma_bf16_rate_kernel<<<blocks, 256>>>(sink, iters); }, warps * iters * 8 * 16 * 8 * 16 * 2.0));
  const int witers = 2000;
  std::printf("wgmma m64n128k32 s8:    %7.1f TOPS\n",
              tops([&] { wgmma_s8_rate_kernel<<<blocks, 256>>>(sink, witers); }, blocks * 2.0 * witers * 8 * 64 * 128 * 32 * 2.0));
  const bool ok128 = check_wgmma<128>(), ok64 = check_wgmma<64>();
  cudaFree(sink);
  return ok128 && ok64 ? 0 : 1;
}
