// The kernel families' parameters and host launchers (internal to native/sage8_cuda; pipeline.cu strings them
// together). Layouts, per (batch, head) row bh, with n tokens padded to npad (whole blocks) and nb blocks:
//   q8, k8     [bh][npad][D]  INT8, token-major (padding rows zero)
//   qt, kt, vt, dot  [bh][D][npad]  INT8, channel-major, tokens in perm32 order within each group of 32
//   sq, sk     [bh][nb]       per-block scales;  sv, sdo [bh][nb][D] per block and channel
//   lse2       [bh][npad]     LSE * log2(e), +inf on padding rows;  delta [bh][npad] rowsum(dO * O), 0 on padding
// For the wgmma kernels the token-major and channel-major copies are instead the shared-memory images of their
// tiles ("tile layout"): token-major [bh][npad][D] with each row's 16-byte chunks swizzled (tile.cuh
// swizzled_byte, row_bytes D); channel-major [bh][nb][D][BLK] (each token block's transposed tile contiguous,
// rows swizzled with row_bytes BLK). The wgmma forward (forward_uses_wgmma) reads k8 and vt so; the wgmma backward
// (backward_uses_wgmma) reads q8, k8, qt, dot so, kt in pairs16 order (below), and V and dO in bf16 themselves,
// through TMA tensor maps that swizzle their 64-channel panels on the way into shared memory.
#pragma once

#include "pipeline.h"

#include <cstdint>
#include <type_traits>
#include <utility>

namespace sage8_cuda {

// Throws std::runtime_error naming `what` if the last launch failed.
void check_launch(const char* what);

// The current GPU's SM count, for persistent grids (at least 1).
int multiprocessor_count();

// Whether the current GPU runs `kernel`'s sm_90a machine code (compute capability 9.0; elsewhere the runtime picks
// another image). A failed query means no, and is not left for the next launch to report.
template <typename Kernel>
bool runs_sm90a(Kernel kernel) {
  cudaFuncAttributes attr{};
  if (cudaFuncGetAttributes(&attr, kernel) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return attr.binaryVersion == 90;
}

// Launches kernel<<<grid, threads, bytes, stream>>>(args...), allowed to start before the previous launch on the
// stream has finished where `overlap` is set (programmatic dependent launch): the kernel must then wait
// (wait_for_prerequisite_grid, tile.cuh) before it reads anything that launch writes, and the previous kernel
// decides how early by calling allow_dependent_launch. Without that call it behaves as an ordinary launch.
template <typename... Params, typename... Args>
void launch_overlapping(void (*kernel)(Params...), dim3 grid, int threads, int bytes, cudaStream_t stream,
                        bool overlap, Args&&... args) {
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = dim3(threads);
  config.dynamicSmemBytes = bytes;
  config.stream = stream;
  cudaLaunchAttribute attribute{};
  attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute.val.programmaticStreamSerializationAllowed = 1;
  if (overlap) {
    config.attrs = &attribute;
    config.numAttrs = 1;
  }
  cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
}

// Calls f(integral_constant<head_dim>, integral_constant<block>, bool_constant<causal>) for p's configuration:
// one template instance per supported combination.
template <typename F>
void with_config(const Problem& p, F&& f) {
  using std::integral_constant;
  auto causal = [&](auto d, auto b) {
    if (p.options.causal)
      f(d, b, std::true_type{});
    else
      f(d, b, std::false_type{});
  };
  auto block = [&](auto d) {
    if (p.options.block_size == 64)
      causal(d, integral_constant<int, 64>{});
    else
      causal(d, integral_constant<int, 128>{});
  };
  if (p.head_dim == 64)
    block(integral_constant<int, 64>{});
  else
    block(integral_constant<int, 128>{});
}

// ---- quantize.cu

enum class ScaleMode {
  kPerBlock,            // one scale per token block: scale [bh][nb]
  kPerBlockAndChannel,  // one per token block and channel: scale [bh][nb][D]
  kPerBlockBroadcast,   // one per token block, stored for every channel: scale [bh][nb][D]
};

// Token order within the channel-major copy: perm32 (tile.cuh) where an accumulator feeds a product over tokens
// from registers; pairs16 (position 2g + h of each 16 holds token g + 8h) where the product's other operand is
// stored by stmatrix.trans from an accumulator (the wgmma backward's dS for dQ = dS K).
enum class ColumnOrder { kPerm32, kPairs16 };
__host__ __device__ constexpr int pairs16_token(int p) { return (p >> 1) + 8 * (p & 1); }

struct QuantizeParams {
  const uint16_t* x = nullptr;   // [bh][n][D] bf16
  // [bh][k_mean_partials][D], launch_k_sums' partial sums of x over tokens: their mean is subtracted before
  // quantizing (K smoothing). Or null.
  const float* mean_partials = nullptr;
  int8_t* rows = nullptr;        // [bh][npad][D], or null
  int8_t* cols = nullptr;        // [bh][D][npad] perm32, or null
  float* scale = nullptr;
  ScaleMode mode = ScaleMode::kPerBlock;
  bool wgmma_tiles = false;      // rows and cols in the tile layout (above)
  ColumnOrder cols_order = ColumnOrder::kPerm32;
  // With x = dO only: delta = rowsum(dO * o), lse2 = lse * log2(e).
  const uint16_t* o = nullptr;   // [bh][n][D] bf16
  const float* lse = nullptr;    // [bh][n]
  float* delta = nullptr;        // [bh][npad]
  float* lse2 = nullptr;         // [bh][npad]
};

// The tensors one quantization launch handles (grid z): the forward's K, Q and V, the backward's K, Q and dO. K
// first, so that its blocks run while K is still in L2 from launch_k_sums.
struct QuantizeLaunch {
  QuantizeParams tensors[3];
  int count = 0;
  bool after_k_sums = false;  // launch_k_sums ran just before: the launch may overlap it (K's blocks wait for it)
  int* zeroed = nullptr;  // two ints the launch sets to zero (the wgmma forward's unit_counter), or null
};

// partial[bh][chunk][d] = sum over the chunk's tokens of k[bh][t][d], in a fixed order (deterministic: the
// quantization kernel sums them in order too). partial holds k_mean_partials(p) * D floats per bh.
int k_mean_partials(const Problem& p);
void launch_k_sums(const Problem& p, const uint16_t* k, float* partial, cudaStream_t stream);
void launch_quantize(const Problem& p, const QuantizeLaunch& tensors, cudaStream_t stream);
// The order of a row of the wgmma backward's dQ accumulator: its 16-byte chunk c holds channels ch, ch + 1 and
// ch + D / 2, ch + D / 2 + 1 with ch = dq_chunk_channel(c, row). A thread of the dK/dQ kernel holds channel pairs
// t and t + D / 16 of its rows (channels 8t + 2tq, + 1) and stores them as one chunk, chunk 4t + tq with bit 2
// flipped on odd rows, which spreads a warp's stores over all banks.
__host__ __device__ constexpr int dq_chunk_channel(int chunk, int row) {
  return 8 * ((chunk / 4) ^ (row & 1)) + 2 * (chunk % 4);
}
// dq[bh][t][d] = bf16(acc[bh][t][d]) for t < n (acc has npad rows per bh; `wgmma`: in dq_chunk_channel's order).
void launch_dq_finalize(const Problem& p, const float* acc, bool wgmma, uint16_t* dq, cudaStream_t stream);

// ---- forward.cu

struct ForwardParams {
  const int8_t* q8;  // the mma.sync forward's; the wgmma forward quantizes q itself
  const int8_t* k8;
  const int8_t* vt;
  const float* sq;
  const float* sk;
  const float* sv;
  uint16_t* o;  // [bh][n][D] bf16
  float* lse;   // [bh][n]
  const uint16_t* q = nullptr;  // [bh][n][D] bf16: the wgmma forward reads Q here (q8 and sq are then unused)
  int* unit_counter = nullptr;  // the wgmma forward's persistent walk: two ints, zero at launch (QuantizeLaunch)
};
void launch_forward_kernel(const Problem& p, const ForwardParams& f, cudaStream_t stream);

// ---- forward_wgmma.cu

// forward_uses_wgmma (pipeline.h) decides; the quantization passes then write K and V^T in its tile layout (above)
// and skip Q, which the kernel reads in bf16 and quantizes per block itself.
void launch_forward_wgmma_kernel(const Problem& p, const ForwardParams& f, cudaStream_t stream);

// ---- backward.cu

struct BackwardParams {
  const int8_t* q8;
  const int8_t* qt;
  const int8_t* k8;
  const int8_t* kt;
  const int8_t* dot;
  const uint16_t* v;     // [bh][n][D] bf16
  const uint16_t* dout;  // [bh][n][D] bf16
  const float* sq;
  const float* sk;
  const float* sdo;
  const float* lse2;
  const float* delta;
  float* dq_acc;  // [bh][npad][D] fp32, zeroed before the launch unless backward_clears_dq (wgmma: each row in
                  // dq_chunk_channel's order)
  int* dq_cleared;  // where backward_clears_dq: the dV kernel's blocks that have cleared their rows; zero at launch
  uint16_t* dk;   // [bh][n][D] bf16
  uint16_t* dv;
};
// dV (one kernel) and dK with dQ accumulated by atomics (another).
void launch_backward_kernels(const Problem& p, const BackwardParams& b, cudaStream_t stream);

// ---- backward_dkdq_wgmma.cu, backward_dv_wgmma.cu (backward_wgmma.cuh)

// The backward on Hopper (backward_uses_wgmma decides); q8, k8, qt, kt, dot in the tile layout.
// The dK/dQ kernel, after the dV kernel where that one runs (head_dim 128).
void launch_backward_wgmma_kernels(const Problem& p, const BackwardParams& b, cudaStream_t stream);
// Whether launch_backward_wgmma_kernels zeroes dq_acc itself: where the dV kernel runs, its idle warps clear their
// block's rows first thing and count the block in dq_cleared, and the dK/dQ kernel, which starts only once every dV
// block has (launch_overlapping), waits for the count before its first reduction. No memset is needed then.
bool backward_clears_dq(const Problem& p);
void launch_dv_wgmma_kernel(const Problem& p, const BackwardParams& b, cudaStream_t stream);

}  // namespace sage8_cuda
