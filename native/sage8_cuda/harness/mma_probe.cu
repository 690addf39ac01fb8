// The tensor-core ceilings the sage8 kernels live under on this GPU, and the wgmma shared-memory descriptor
// convention a wgmma version of them needs (sm_90a only):
//   rates: INT8 mma.sync m16n8k32, BF16 mma.sync m16n8k16, INT8 wgmma m64n128k32 (A in registers, B in smem)
//   check: wgmma with B as a K-major tile in 128-byte (hd 128) and 64-byte (hd 64) swizzle vs a CPU product
// Usage: mma_probe. Exit status 0 only if the checks pass.
#include "../tile.cuh"

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

__device__ inline void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ inline void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
__device__ inline void wgmma_wait_all() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }
// Orders ordinary shared-memory stores before the tensor cores' (async proxy) reads.
__device__ inline void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

// d (+)= a * b for one warpgroup: m64 n128 k32, INT8 in, INT32 accumulators (64 per thread, mma.m16n8
// C layout per warp), A from registers (mma.m16n8k32 A layout per warp), B from shared memory through `desc`.
__device__ inline void wgmma_s8_m64n128k32(int (&d)[64], const uint32_t (&a)[4], uint64_t desc, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, {%64, %65, %66, %67}, %68, p;\n}\n"
      : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]), "+r"(d[4]), "+r"(d[5]), "+r"(d[6]), "+r"(d[7]),
        "+r"(d[8]), "+r"(d[9]), "+r"(d[10]), "+r"(d[11]), "+r"(d[12]), "+r"(d[13]), "+r"(d[14]), "+r"(d[15]),
        "+r"(d[16]), "+r"(d[17]), "+r"(d[18]), "+r"(d[19]), "+r"(d[20]), "+r"(d[21]), "+r"(d[22]), "+r"(d[23]),
        "+r"(d[24]), "+r"(d[25]), "+r"(d[26]), "+r"(d[27]), "+r"(d[28]), "+r"(d[29]), "+r"(d[30]), "+r"(d[31]),
        "+r"(d[32]), "+r"(d[33]), "+r"(d[34]), "+r"(d[35]), "+r"(d[36]), "+r"(d[37]), "+r"(d[38]), "+r"(d[39]),
        "+r"(d[40]), "+r"(d[41]), "+r"(d[42]), "+r"(d[43]), "+r"(d[44]), "+r"(d[45]), "+r"(d[46]), "+r"(d[47]),
        "+r"(d[48]), "+r"(d[49]), "+r"(d[50]), "+r"(d[51]), "+r"(d[52]), "+r"(d[53]), "+r"(d[54]), "+r"(d[55]),
        "+r"(d[56]), "+r"(d[57]), "+r"(d[58]), "+r"(d[59]), "+r"(d[60]), "+r"(d[61]), "+r"(d[62]), "+r"(d[63])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "r"(accumulate));
}


// Descriptor of a K-major tile whose rows are `row_bytes` (128: 128-byte swizzle, 64: 64-byte swizzle) long,
// 8-row atoms 8 * row_bytes apart; the tile starts at an atom boundary.
__device__ inline uint64_t kmajor_desc(const void* tile, int row_bytes) {
  const uint64_t start = (smem_addr(tile) & 0x3FFFF) >> 4;
  const uint64_t swizzle = row_bytes == 128 ? 1 : 2;
  return start | (uint64_t(1) << 16) | (uint64_t(8 * row_bytes / 16) << 32) | (swizzle << 62);
}
// Byte offset of (row, k) in that tile: 16-byte chunks XOR-ed with the row's place in its atom.
__host__ __device__ inline int kmajor_offset(int row, int k, int row_bytes) {
  const int phase = row_bytes == 128 ? (row & 7) : ((row >> 1) & 3);
  return row * row_bytes + (((k >> 4) ^ phase) << 4) + (k & 15);
}

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
  for (int i = tid; i < 128 * row_bytes; i += 128) b_s[kmajor_offset(i / row_bytes, i % row_bytes, row_bytes)] = b_g[i];
  for (int i = tid; i < 64 * row_bytes; i += 128) a_s[(i / row_bytes) * (128 + kRowPad) + i % row_bytes] = a_g[i];
  fence_proxy_async();
  __syncthreads();
  uint32_t a[row_bytes / 32][4];
#pragma unroll
  for (int kk = 0; kk < row_bytes / 32; ++kk) load_a(a[kk], a_s, 128 + kRowPad, 16 * warp, 32 * kk, lane);
  int d[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) d[i] = 0;
  const uint64_t desc = kmajor_desc(b_s, row_bytes);
  wgmma_fence();
#pragma unroll
  for (int kk = 0; kk < row_bytes / 32; ++kk) wgmma_s8_m64n128k32(d, a[kk], desc + 2 * kk, kk > 0);
  wgmma_commit();
  wgmma_wait_all();
#pragma unroll
  for (int i = 0; i < 64; ++i) {
    const int row = 16 * warp + gid + 8 * ((i & 3) >> 1), col = 8 * (i >> 2) + 2 * tq + (i & 1);
    c_g[row * 128 + col] = d[i];
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
  int d[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) d[i] = 0;
  const uint64_t desc = kmajor_desc(b_s, 128);
  for (int i = 0; i < iters; ++i) {
    wgmma_fence();
#pragma unroll
    for (int k = 0; k < 8; ++k) wgmma_s8_m64n128k32(d, a, desc + 2 * (k & 3), 1);
    wgmma_commit();
    wgmma_wait_all();
  }
  int s = 0;
#pragma unroll
  for (int i = 0; i < 64; ++i) s += d[i];
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
