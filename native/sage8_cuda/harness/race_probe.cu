// What compute-sanitizer's racecheck makes of the handshake by which the wgmma kernels reuse a shared-memory slot,
// taken out of the kernels. Modes:
//   mbarrier     as the kernels run it: a producer thread bulk-copies round r's words into the slot (counted on
//                `full`), four consumer warps wait on `full`, read the slot and arrive on `empty`, and the producer
//                waits on `empty` before it copies round r + 1 over the slot;
//   syncthreads  every thread stores round r's words and reads them between two __syncthreads (the ordering
//                racecheck follows).
// Every consumer warp checks its sum of each round against the exact value. Run it under
// `compute-sanitizer --tool racecheck race_probe MODE`: hazards reported in mbarrier mode, with exact sums, are the
// tool not following mbarrier completion (the pattern it reports in the wgmma kernels, where slots are reused).
// Usage: race_probe mbarrier|syncthreads. Exit status 0 if every sum is exact.
#include "../wgmma.cuh"

#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>
#include <vector>

using namespace sage8_cuda;

namespace {

constexpr int kRounds = 8, kWords = 1024, kConsumerWarps = 4, kThreads = 32 * (kConsumerWarps + 1);

// sums[round][consumer warp] = that warp's sum of the round's words.
__global__ void __launch_bounds__(kThreads) slot_reuse_kernel(const int* rounds, long long* sums, bool by_mbarrier) {
#ifdef SAGE8_HAS_WGMMA
  __shared__ __align__(16) int slot[kWords];
  __shared__ __align__(8) uint64_t full, empty;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (threadIdx.x == 0) {
    mbar_init(&full, 1);
    mbar_init(&empty, kConsumerWarps);
    fence_mbar_init();
  }
  __syncthreads();
  for (int r = 0; r < kRounds; ++r) {
    if (by_mbarrier) {
      if (threadIdx.x == 0) {
        if (r > 0) mbar_wait(&empty, (r - 1) & 1);  // every consumer warp has read round r - 1
        mbar_arrive_expect_tx(&full, kWords * 4);
        bulk_copy_to_smem(slot, rounds + r * kWords, kWords * 4, &full);
      }
      if (warp == 0) continue;
      mbar_wait(&full, r & 1);
    } else {
      __syncthreads();  // every read of round r - 1 is done
      for (int i = threadIdx.x; i < kWords; i += kThreads) slot[i] = rounds[r * kWords + i];
      __syncthreads();
      if (warp == 0) continue;
    }
    long long sum = 0;
    for (int i = lane; i < kWords; i += 32) sum += slot[i];
    for (int off = 16; off > 0; off /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, off);
    __syncwarp();
    if (by_mbarrier) mbar_arrive_if(&empty, lane == 0);
    if (lane == 0) sums[r * kConsumerWarps + warp - 1] = sum;
  }
#endif
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "mbarrier";
  const bool by_mbarrier = !std::strcmp(mode, "mbarrier");
  if (!by_mbarrier && std::strcmp(mode, "syncthreads")) {
    std::printf("unknown mode %s: use mbarrier or syncthreads\n", mode);
    return 2;
  }
  std::vector<int> host(kRounds * kWords);
  std::vector<long long> expected(kRounds, 0);
  for (int r = 0; r < kRounds; ++r)
    for (int i = 0; i < kWords; ++i) expected[r] += host[r * kWords + i] = (r + 1) * 1000 + i;
  int* rounds = nullptr;
  long long* sums = nullptr;
  if (cudaMalloc(&rounds, host.size() * sizeof(int)) != cudaSuccess ||
      cudaMalloc(&sums, kRounds * kConsumerWarps * sizeof(long long)) != cudaSuccess) {
    std::printf("%s: no device memory\n", mode);
    return 2;
  }
  cudaMemcpy(rounds, host.data(), host.size() * sizeof(int), cudaMemcpyHostToDevice);
  slot_reuse_kernel<<<1, kThreads>>>(rounds, sums, by_mbarrier);
  const cudaError_t err = cudaDeviceSynchronize();
  if (err != cudaSuccess) {
    std::printf("%s: launch failed: %s\n", mode, cudaGetErrorString(err));
    return 2;
  }
  std::vector<long long> got(kRounds * kConsumerWarps);
  cudaMemcpy(got.data(), sums, got.size() * sizeof(long long), cudaMemcpyDeviceToHost);
  int exact = 0;
  for (int i = 0; i < kRounds * kConsumerWarps; ++i) exact += got[i] == expected[i / kConsumerWarps];
  std::printf("%s: %d of %d sums exact\n", mode, exact, kRounds * kConsumerWarps);
  cudaFree(rounds);
  cudaFree(sums);
  return exact == kRounds * kConsumerWarps ? 0 : 1;
}
