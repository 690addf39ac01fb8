// The fused backward on Hopper (sm_90a), with the numerics of backward.cu (both use backward_tile.cuh: dK and dV
// bit for bit alike). Block size 128 only: a thread block owns one key block of 128 keys and walks the query
// blocks i (from the diagonal when causal); the (query block, key block) tile is the reference's quantization
// tile for P and dS. Three warpgroups:
//   producer   one thread streams each query block's tiles into shared memory with bulk copies (the quantization
//              passes wrote them as tile images, kernels.h), counted on `full` mbarriers; it refills a buffer once
//              all consumer warps have arrived on its `empty` mbarrier (dv: a ring of stages; dkdq: two groups of
//              single slots, released at different points of a block).
//   reducer    in dkdq, one thread of the same warpgroup issues the bulk reductions that add each block's dQ rows,
//              staged by the consumers, into dQ's accumulator (kReducer, backward_dkdq_wgmma.cu); in dv, the
//              warpgroup's other three warps clear that accumulator's rows of the key block's own query block first,
//              so that no memset precedes the kernels (backward_clears_dq, kernels.h).
//   consumers  two warpgroups of 64 keys each. A tile's scale needs the maximum over both warpgroups' halves, so
//              they exchange it through shared memory once per tile. Each consumer issues the next product before
//              the CUDA-core work of the current one where its registers allow (the forward's order): dv issues
//              S^T of block i + 1 with P^T_i dO_i; dkdq issues S^T of block i + 1 once dK's accumulator is folded.
// The key block's K tile (and K^T for dQ) is copied once, on its own mbarrier. S^T = K Q^T reads K from shared
// memory rather than registers: with K's fragments in registers, ptxas (nvcc 13.0) reused their registers inside the
// loop at head_dim 128 (wrong results), and shared memory also leaves the registers to the accumulators.
// At head_dim 128, as in backward.cu, two kernels, because the dK and dV accumulators with S and dP do not fit one
// thread's registers; at head_dim 64 they do, and dkdq_kernel computes dV as well (from the P^T it has anyway):
//   dv_kernel    S^T = K Q^T (wgmma), P^T, INT8 P^T (tile scale), dV += int32(P^T dO) sP sdO
//                (wgmma, P^T from registers, dO^T perm32 from the stage).
//   dkdq_kernel  dP^T = V dO^T (BF16 wgmma, both from shared memory) and S^T; dS^T = P^T (dP^T - delta), INT8
//                per tile; dK += int32(dS^T Q) (wgmma, dS^T from registers, Q^T perm32); dS stored query-major by
//                stmatrix.trans (keys in pairs16 order), then dQ += int32(dS K) by wgmma with both operands in
//                shared memory (K^T in pairs16 order), staged in shared memory and added into dQ's fp32
//                accumulator by a bulk reduction.
//
// This header holds what both kernels share: the thread roles, the maximum exchange and dV's product (the dK/dQ
// kernel computes dV too at head_dim 64). backward_dv_wgmma.cu and
// backward_dkdq_wgmma.cu hold the kernels.
#pragma once

#include "backward_tile.cuh"
#include "kernels.h"
#include "wgmma.cuh"

namespace sage8_cuda {
namespace {

constexpr int kBlock = 128;         // keys per thread block, queries per tile: the quantization block
constexpr int kConsumers = 2;       // warpgroups of 64 keys
constexpr int kThreads = 128 * (kConsumers + 1);
constexpr int kConsumerWarps = 4 * kConsumers;

#ifdef SAGE8_HAS_WGMMA

// A thread block's key block j of bh. The grid is (key blocks, bh), which the hardware dispatches in launch order
// (x fastest). Causal, key block j sees the nb - j query blocks from j, so that order put long blocks among the
// last dispatched and left SMs idle at the end (7% over the ideal finish at N = 1K and 4K in a model of the
// dispatch: scripts/bench/attention/dispatch_order.py, results/dispatch-order-sim.txt); up to
// kRemapBlocks key blocks it is remapped to groups of 8 heads, within a group key block 0 of every head first,
// then 1, ..., longest first, while the blocks running at once still share a few heads' Q and dO streams in L2
// (every head's key block 0 first, across all heads, measured 1.05-1.33x slower: NOTES.md v11; groups of 16 heads
// 1.02-1.03x slower at hd 128 N = 16K, NOTES.md v14). Non-causal blocks are equal and keep the launch order.
struct KeyBlock {
  int j, bh;
};
constexpr int kRemapBlocks = 32;
template <bool kCausal>
__device__ inline KeyBlock launch_key_block() {
  const int nb = gridDim.x;
  if (!kCausal || nb > kRemapBlocks) return {int(blockIdx.x), int(blockIdx.y)};
  constexpr int kGroupHeads = 8;
  const int2 at = grouped_item(int(blockIdx.y) * nb + int(blockIdx.x), nb, int(gridDim.y), kGroupHeads);
  return {at.x, at.y};
}

// Where a thread stands: its warpgroup's 64 keys, its warp's 16, its two accumulator rows.
struct Consumer {
  int wg, warp, lane, gid, tq;
  int j, bh, nb, k0;  // key block, (batch, head) row, blocks, first key of the block
  int key0, key1;     // the thread's accumulator rows (keys)
  __device__ Consumer(int wg_, int npad, KeyBlock kb) {
    wg = wg_;
    const int tid = threadIdx.x % 128;
    warp = warp_uniform(tid / 32);
    lane = tid % 32;
    gid = lane / 4;
    tq = lane % 4;
    j = kb.j;
    bh = kb.bh;
    nb = npad / kBlock;
    k0 = j * kBlock;
    key0 = k0 + 64 * wg + 16 * warp + gid;
    key1 = key0 + 8;
  }
  // The first query block that sees this key block.
  __device__ int first_block(bool causal) const { return causal ? j : 0; }
};

// A key block's gradient (dK or dV: [D / 8][4] in the accumulator layout of the thread's keys key0 and key1) in bf16
// to out ([n][D] of this bh), through this warp's 16 x D x 2 bytes from `staging` (store_warp_rows). Callers first
// pass end_of_block(), after which the key tiles and stages (from offset 0) are free to hold the staging.
template <int D>
__device__ inline void store_keys(uint16_t* out, const float (&g)[D / 8][4], const Consumer& c, int n,
                                  uint8_t* staging) {
  const float unscaled[2] = {1.f, 1.f};  // x * 1 is exact
  store_warp_rows<D>(g, unscaled, c.k0 + 64 * c.wg + 16 * c.warp, n, out, staging + (4 * c.wg + c.warp) * 16 * D * 2,
                     c.lane);
}

// Every consumer is done with its products (named barrier 5): the shared memory from offset 0 (the key tiles, then
// the first stage) may be overwritten. The producer loads nothing after the last query block.
__device__ inline void end_of_block() { named_barrier_sync(5, 128 * kConsumers); }

// Descriptor of this warpgroup's 64 keys of the K tile [128][D] in shared memory (S^T's A operand).
template <int D>
__device__ inline uint64_t key_desc(const uint8_t* k_tile, const Consumer& c) {
  return kmajor_desc(smem_addr(k_tile + 64 * c.wg * D), D);
}

// S^T = K Q^T for this warpgroup's 64 keys and a query block's 128 queries (issued, not waited for).
template <int D>
__device__ inline void scores_t(int (&acc)[kBlock / 8][4], uint64_t k_desc, uint64_t q_desc) {
  wgmma_s8_ss_first(acc, k_desc, q_desc);
#pragma unroll
  for (int kk = 1; kk < D / 32; ++kk) wgmma_s8_ss(acc, k_desc + 2 * kk, q_desc + 2 * kk);
}

// Max of x and of y over both consumer warpgroups, in two halves so that a consumer can work between them: post_max
// stores this warp's maxima, collect_max waits for every consumer warp's (named barrier 1) and reduces them. slots: a
// float2 per consumer warp, alternating between two sets by tile, so that a fast warp's next post cannot meet a slow
// warp's collect (the post after that comes only once every warp has passed the next barrier).
__device__ inline void post_max(float2 v, float2* slots, int tile, const Consumer& c) {
  v = make_float2(warp_max(v.x), warp_max(v.y));
  slots[(tile & 1) * kConsumerWarps + 4 * c.wg + c.warp] = v;  // every lane stores the same value: no branch
}
__device__ inline float2 collect_max(const float2* slots, int tile) {
  named_barrier_sync(1, 128 * kConsumers);
  const float2* set = slots + (tile & 1) * kConsumerWarps;
  float2 m = set[0];
#pragma unroll
  for (int w = 1; w < kConsumerWarps; ++w) m = make_float2(fmaxf(m.x, set[w].x), fmaxf(m.y, set[w].y));
  return m;
}
__device__ inline float2 consumers_max(float2 v, float2* slots, int tile, const Consumer& c) {
  post_max(v, slots, tile, c);
  return collect_max(slots, tile);
}

// int32(P^T dO) for this warpgroup's 64 keys x D channels (issued and committed, not waited for).
template <int D>
__device__ inline void issue_pv(int (&pv)[D / 8][4], const uint32_t (&pf)[kBlock / 32][4], uint64_t dot_desc) {
  wgmma_fence();
  wgmma_s8_first(pv, pf[0], dot_desc);
#pragma unroll
  for (int kk = 1; kk < kBlock / 32; ++kk) wgmma_s8(pv, pf[kk], dot_desc + 2 * kk);
  wgmma_commit();
}

// dV += int32(P^T dO) * sP * sdO[channel].
template <int D>
__device__ inline void fold_pv(float (&dv)[D / 8][4], const int (&pv)[D / 8][4], float p_scale, const float* sdo,
                               const Consumer& c) {
#pragma unroll
  for (int t = 0; t < D / 8; ++t) {
    const float2 s = *reinterpret_cast<const float2*>(sdo + 8 * t + 2 * c.tq);
#pragma unroll
    for (int e = 0; e < 4; ++e) dv[t][e] = fold_dv(dv[t][e], pv[t][e], p_scale, e & 1 ? s.y : s.x);
  }
}

// The warp is done with what the empty barrier guards (a ring stage, or a group of slots).
__device__ inline void release(uint64_t* empty, const Consumer& c) {
  __syncwarp();
  mbar_arrive_if(empty, c.lane == 0);
}

// Token block j's tile of a tile-layout INT8 tensor (token- or channel-major, kernels.h): 128 * D contiguous bytes.
template <int D>
__device__ inline const uint8_t* block_tile(const int8_t* x, int bh, int npad, int j) {
  return reinterpret_cast<const uint8_t*>(x) + ((int64_t)bh * npad + (int64_t)j * kBlock) * D;
}

// A kernel's mbarriers, where its shared-memory layout L puts them: full[] and empty[] per buffer (a ring stage or a
// group of slots) and the key block's one-shot key_full.
struct Barriers {
  uint64_t* full;
  uint64_t* empty;
  uint64_t* key_full;
  template <typename L>
  __device__ static Barriers of(uint8_t* smem) {
    return {reinterpret_cast<uint64_t*>(smem + L::kFull), reinterpret_cast<uint64_t*>(smem + L::kEmpty),
            reinterpret_cast<uint64_t*>(smem + L::kKeyFull)};
  }
};

// Barrier set-up (the buffers' full and empty barriers, the key block's one-shot barrier) and the split into
// producer (thread 0), helpers (threads 32-127 of the producer's warpgroup, helpers(t) with t = 0..95: dkdq's
// reducer, dv's clearing of dQ's accumulator) and consumers, with the register budgets of forward_wgmma.cu: 24 per
// producer-warpgroup thread, 240 per consumer thread (the role branch on a warp-uniform value, or ptxas would neither
// apply them nor keep the wgmma pipelined).
constexpr int kHelpers = 128 - 32;  // the producer warpgroup's warps 1-3
constexpr int kHelperBarrier = 6;  // named barrier of the helpers alone
template <typename Produce, typename Help, typename Consume>
__device__ inline void run_roles(const Barriers& bars, int stages, Produce&& producer, Help&& helpers,
                                 Consume&& consumer) {
  if (threadIdx.x == 0) {
    for (int s = 0; s < stages; ++s) {
      mbar_init(&bars.full[s], 1);
      mbar_init(&bars.empty[s], kConsumerWarps);
    }
    mbar_init(bars.key_full, 1);
    fence_mbar_init();
  }
  __syncthreads();
  const int wg = warp_uniform(threadIdx.x / 128);
  if (wg == 0) {
    shrink_registers<24>();
    if (threadIdx.x == 0) producer();
    if (threadIdx.x >= 32) helpers(int(threadIdx.x) - 32);
  } else {
    grow_registers<240>();
    consumer(wg - 1);
  }
}

#endif  // SAGE8_HAS_WGMMA

}  // namespace
}  // namespace sage8_cuda
