// The wgmma backward's dK/dQ kernel (and dV at head_dim 64), and the backward's launch: backward_wgmma.cuh.
#include <cuda.h>

#include <stdexcept>
#include <string>
#include <type_traits>

#include "backward_wgmma.cuh"

namespace sage8_cuda {
namespace {

// dkdq_kernel's, from a 1024-byte aligned base. Once: the key block's K [128][D] and K^T [D][128] (pairs16), V bf16
// [D/64][128][64] (64-channel panels, 128-byte rows swizzled, as dO's). Per query block, one slot each, in two groups
// with their own full and empty mbarriers: A (Q [128][D], dO bf16 [D/64][128][64], lse2 and delta [128]), read by the
// block's first products and its dS phase and released after it; B (Q^T [D][128] perm32; with fused dV also dO^T and
// sdO), read by the products after dS and released at the block's end. The producer refills each group as soon as
// it is released, which leaves room for dS [128 queries][128 keys] and dQ's fp32 staging [128][D] (the block's dQ
// partial, added into dq_acc by the copy engine). At head_dim 64 the registers also hold dV, and this kernel computes
// it too (dv_kernel does not run).
template <int D>
struct DkdqLayout {
  static constexpr bool kFuseDv = D == 64;
  static constexpr int kTile = kBlock * D;  // INT8 tile bytes; bf16 tiles take two, the fp32 staging four
  static constexpr int kKey = 0;
  static constexpr int kKt = kKey + kTile;
  static constexpr int kKeyBytes = 4 * kTile;  // K and K^T (INT8), V (bf16)
  static constexpr int kV = kKt + kTile;
  static constexpr int kQ = kV + 2 * kTile;  // group A
  static constexpr int kDo = kQ + kTile;
  static constexpr int kLse = kDo + 2 * kTile;
  static constexpr int kDelta = kLse + kBlock * 4;
  static constexpr int kQt = kLse + 1024;  // group B (lse2 and delta take 1024 bytes)
  static constexpr int kDot = kQt + kTile;
  static constexpr int kSdo = kDot + (kFuseDv ? kTile : 0);
  static constexpr int kDs = kSdo + 1024;  // sdO takes at most 256 bytes
  static constexpr int kStaging = kDs + kBlock * kBlock;
  static constexpr int kMax = kStaging + 4 * kTile;
  static constexpr int kFull = kMax + 2 * kConsumerWarps * 8;  // [A, B]
  static constexpr int kEmpty = kFull + 2 * 8;
  static constexpr int kKeyFull = kEmpty + 2 * 8;
  static constexpr int kStaged = kKeyFull + 8;   // both consumer warpgroups' dQ rows are in the staging
  static constexpr int kDrained = kStaged + 8;   // the reducer's bulk reduction has read the staging
  static constexpr int kBytes = kDrained + 8;
  static constexpr int kAllocBytes = kBytes + 1024;
  static constexpr uint32_t kTxA = 3 * kTile + 2 * kBlock * 4;
  static constexpr uint32_t kTxB = kTile + (kFuseDv ? kTile + D * 4 : 0);
  static_assert(kV >= kConsumerWarps * 16 * D * 2, "store_keys' staging fits in K's and K^T's tiles");
  static_assert(kKeyBytes == kQ - kKey && kTxA == kDelta + kBlock * 4 - kQ && kDelta + kBlock * 4 <= kQt &&
                    kTxB == kSdo - kQt + (kFuseDv ? D * 4 : 0),
                "each mbarrier expects the bytes of the slots its copies fill");
  static_assert((kKey | kKt | kV | kQ | kDo | kQt | kDot | kDs | kTile) % 1024 == 0,
                "the wgmma operand tiles start on the 1024-byte swizzle atoms");
};

// Who issues dQ's reductions: the reducer thread (dq_reduce), handed the staging by the `staged` and `drained`
// mbarriers, so that the consumers neither meet at a barrier nor wait for the copy engine; or, in the instance where
// that measured slower (head_dim 64 causal: 1.14-1.31x, with more spills), each consumer warpgroup's first thread
// after a warpgroup barrier (NOTES.md v11).
template <int D, bool kCausal>
constexpr bool kReducer = D == 128 || !kCausal;

#ifdef SAGE8_HAS_WGMMA

template <int D, bool kCausal>
__device__ inline void dkdq_consume(const BackwardParams& b, uint8_t* smem, int wg, KeyBlock kb, int n, int npad,
                                    float softmax_scale) {
  using L = DkdqLayout<D>;
  constexpr bool kFuseDv = L::kFuseDv;
  const Consumer c(wg, npad, kb);
  const Barriers bars = Barriers::of<L>(smem);  // full and empty: [A, B]
  float2* max_slots = reinterpret_cast<float2*>(smem + L::kMax);
  const float sk = b.sk[(int64_t)c.bh * c.nb + c.j];
  const float* sqg = b.sq + (int64_t)c.bh * c.nb;

  // Descriptors. bf16 tiles are 64-channel panels of [128 rows][128 bytes]; a k16 step is 32 bytes (+2), a panel
  // kBlock * 128 bytes. This warpgroup's 64 rows of V (and of dS, as dQ's A) start 64 rows in.
  constexpr uint64_t kPanelDesc = (kBlock * 128) >> 4;
  const uint64_t v_desc = kmajor_desc(smem_addr(smem + L::kV + 64 * c.wg * 128), 128);
  const uint64_t do_desc = kmajor_desc(smem_addr(smem + L::kDo), 128);
  const uint64_t k_desc = key_desc<D>(smem + L::kKey, c);
  const uint64_t q_desc = kmajor_desc(smem_addr(smem + L::kQ), D);
  const uint64_t qt_desc = kmajor_desc(smem_addr(smem + L::kQt), kBlock);
  const uint64_t ds_desc = kmajor_desc(smem_addr(smem + L::kDs + 64 * c.wg * kBlock), kBlock);
  const uint64_t kt_desc = kmajor_desc(smem_addr(smem + L::kKt), kBlock);
  const uint64_t dot_desc = kmajor_desc(smem_addr(smem + L::kDot), kBlock);  // fused dV only
  // stmatrix row addresses: lane l stores row l % 8 of matrix l / 8, i.e. query 8 (4g + l / 8) + l % 8 for the
  // group g of four n8 tiles, at this warp's 16 keys (16-byte chunk 4 wg + warp of the 128-byte row).
  uint8_t* ds_s = smem + L::kDs;
  const int st_query = 8 * (c.lane / 8) + c.lane % 8;
  const int st_chunk = 4 * c.wg + c.warp;
  float* staging = reinterpret_cast<float*>(smem + L::kStaging) + 64 * c.wg * D;  // this warpgroup's 64 queries
  // Where this thread's dQ chunks go (dq_chunk_channel, kernels.h): float 16 (t ^ (gid & 1)) + 4 tq of its row, i.e.
  // one of two addresses by the parity of t plus 16 t (the second row adds a constant).
  constexpr int kHalf = D / 16;
  float* const staging_row = staging + (16 * c.warp + c.gid) * D + 4 * c.tq;
  float* const staging_at[2] = {staging_row + 16 * (c.gid & 1), staging_row - 16 * (c.gid & 1)};
  uint64_t* staged = reinterpret_cast<uint64_t*>(smem + L::kStaged);
  uint64_t* drained = reinterpret_cast<uint64_t*>(smem + L::kDrained);
  const bool issuer = !kReducer<D, kCausal> && threadIdx.x % 128 == 0;  // issues this warpgroup's bulk reductions

  float dk[D / 8][4], dv[D / 8][4];  // dv: fused dV only
#pragma unroll
  for (int t = 0; t < D / 8; ++t)
#pragma unroll
    for (int e = 0; e < 4; ++e) dk[t][e] = dv[t][e] = 0.f;

  // A query block's schedule: its S^T was issued at the end of the previous block, as soon as dK's accumulator was
  // folded (it runs under dQ's staging); dP^T = V dO^T is issued behind it and P^T computed while dP^T finishes, then
  // dS^T (NOTES.md v7, v22).
  float ds[kBlock / 8][4];  // dP^T, then dS^T in place: 64 keys x 128 queries
  int acc[kBlock / 8][4];   // S^T
  float pt[kBlock / 8][4];  // P^T
  auto scores = [&] {       // S^T of the query block in group A, issued
    scores_t<D>(acc, k_desc, q_desc);
    wgmma_commit();
  };
  const int i_begin = c.first_block(kCausal);
  mbar_wait(bars.key_full, 0);
  mbar_wait(&bars.full[0], 0);
  wgmma_fence();
  scores();
  float sq_next = sqg[i_begin];  // sQ loaded a block ahead: its latency would hold the exponentials
  auto step = [&](int i, auto has_next, auto masked_block) {
    // Compile-time branches: none may be taken with a wgmma in flight (the loop below says which blocks are masked).
    constexpr bool kNext = decltype(has_next)::value, kMasked = decltype(masked_block)::value;
    const uint32_t parity = (i - i_begin) & 1;
    wgmma_fence();
    wgmma_bf16_ss_first(ds, v_desc, do_desc);
#pragma unroll
    for (int kk = 1; kk < D / 16; ++kk) {
      const uint64_t step = (kk / 4) * kPanelDesc + 2 * (kk % 4);
      wgmma_bf16_ss(ds, v_desc + step, do_desc + step);
    }
    wgmma_commit();

    const float sq = sq_next;
    if constexpr (kNext) sq_next = sqg[i + 1];
    const float c2 = scores_log2(sq, sk, softmax_scale);
    const float* lse = reinterpret_cast<const float*>(smem + L::kLse);
    const float* delta = reinterpret_cast<const float*>(smem + L::kDelta);
    auto pair_at = [&](const float* x, int t) { return *reinterpret_cast<const float2*>(x + 8 * t + 2 * c.tq); };
    auto probability = [&](int t, int e, float2 l) {
      pt[t][e] = p_of<kCausal>(acc[t][e], c2, e & 1 ? l.y : l.x, kMasked, e < 2 ? c.key0 : c.key1,
                               i * kBlock + 8 * t + 2 * c.tq + (e & 1), n);
    };
    float ds_max = 0.f, p_max = 0.f;
    auto score_gradient = [&](int t, int e, float2 d) {
      ds[t][e] = ds_of(pt[t][e], ds[t][e], e & 1 ? d.y : d.x);
      ds_max = fmaxf(ds_max, fabsf(ds[t][e]));
      if constexpr (kFuseDv) p_max = fmaxf(p_max, pt[t][e]);
    };
    wgmma_wait<1>();
    fence_registers(acc);
#pragma unroll
    for (int t = 0; t < kBlock / 8; ++t)
#pragma unroll
      for (int e = 0; e < 4; ++e) probability(t, e, pair_at(lse, t));
    wgmma_wait<0>();
    fence_registers(ds);
#pragma unroll
    for (int t = 0; t < kBlock / 8; ++t)
#pragma unroll
      for (int e = 0; e < 4; ++e) score_gradient(t, e, pair_at(delta, t));
    release(&bars.empty[0], c);  // group A: the products that read it are done, and so is the dS phase
    if (issuer) bulk_wait_read();  // the last block's dQ reduction has read the staging (the barrier tells all)
    const float2 maxima = consumers_max(make_float2(ds_max, p_max), max_slots, int(parity), c);
    mbar_wait(&bars.full[1], parity);
    const Int8Scale ds_q(maxima.x), p_q(maxima.y);
    const float ds_scale = ds_q.scale;
    [[maybe_unused]] uint32_t pf[kBlock / 32][4];  // fused dV only
    [[maybe_unused]] int pv[D / 8][4];
    if constexpr (kFuseDv) {  // dV's product first: the tensor cores run it while dS is quantized below
      quantize_to_a(pf, pt, p_q.inverse);
      issue_pv<D>(pv, pf, dot_desc);
    }

    // INT8 dS^T: A fragments for dK (perm32), and query-major into shared memory for dQ (pairs16).
    uint32_t dsf[kBlock / 32][4];
    quantize_to_a(dsf, ds, ds_q.inverse);
#pragma unroll
    for (int g = 0; g < kBlock / 32; ++g) {
      // Matrix m of group g is n8 tile 4g + m; its element (key pair gid, query 2tq (+1)) is the byte pair
      // (key gid, key gid + 8), which pack_a's words hold side by side: dsf[g][0] has tiles 4g, 4g + 1 of row
      // gid, dsf[g][1] the same of row gid + 8 (and [2], [3] tiles 4g + 2, 4g + 3).
      const uint32_t words[4] = {
          __byte_perm(dsf[g][0], dsf[g][1], 0x5140), __byte_perm(dsf[g][0], dsf[g][1], 0x7362),
          __byte_perm(dsf[g][2], dsf[g][3], 0x5140), __byte_perm(dsf[g][2], dsf[g][3], 0x7362)};
      const int query = 32 * g + st_query;
      stmatrix_x4_trans(ds_s + query * kBlock + ((st_chunk ^ (query & 7)) << 4), words);
    }
    fence_proxy_async();

    int kacc[D / 8][4];  // int32(dS^T Q): 64 keys x D
    wgmma_fence();
    wgmma_s8_first(kacc, dsf[0], qt_desc);
#pragma unroll
    for (int kk = 1; kk < kBlock / 32; ++kk) wgmma_s8(kacc, dsf[kk], qt_desc + 2 * kk);
    wgmma_commit();

    named_barrier_sync(2, 128 * kConsumers);  // both warpgroups' dS rows are in shared memory
    int qacc[D / 8][4];  // int32(dS K): this warpgroup's 64 queries x D
    wgmma_fence();
    wgmma_s8_ss_first(qacc, ds_desc, kt_desc);
#pragma unroll
    for (int kk = 1; kk < kBlock / 32; ++kk) wgmma_s8_ss(qacc, ds_desc + 2 * kk, kt_desc + 2 * kk);
    wgmma_commit();

    if constexpr (kFuseDv) {
      wgmma_wait<2>();
      fence_registers(pv);
      fence_registers(pf);
      fold_pv<D>(dv, pv, p_q.scale, reinterpret_cast<const float*>(smem + L::kSdo), c);
    }
    wgmma_wait<1>();
    fence_registers(kacc);
    fence_registers(dsf);
    const float ck = (ds_scale * sq) * softmax_scale;
#pragma unroll
    for (int t = 0; t < D / 8; ++t)
#pragma unroll
      for (int e = 0; e < 4; ++e) dk[t][e] = fold_dk(dk[t][e], kacc[t][e], ck);

    if constexpr (kNext) {  // the next block's S^T, once its group A is in
      mbar_wait(&bars.full[0], parity ^ 1);
      wgmma_fence();
      scores();
      wgmma_wait<1>();
    } else {
      wgmma_wait<0>();
    }
    fence_registers(qacc);
    // dQ += int32(dS K) * (sdS * sK) * softmax_scale for this warpgroup's 64 queries: staged in shared memory in
    // dq_acc's order (one 16-byte store per two channel pairs, conflict-free) and added by a bulk reduction.
    // Per-thread reductions held the consumers (ncu: 46% of dkdq's stall cycles; red.global.add.v2 again 8-23% slower
    // in v10); rows past n take exact zeros (their P and dO are 0).
    const float cq = (ds_scale * sk) * softmax_scale;
    if constexpr (kReducer<D, kCausal>) mbar_wait(drained, parity);  // the last reduction has read the staging
#pragma unroll
    for (int h = 0; h < 2; ++h)
#pragma unroll
      for (int t = 0; t < kHalf; ++t)
        *reinterpret_cast<float4*>(staging_at[t % 2] + 8 * h * D + 16 * t) =
            make_float4(scaled(qacc[t][2 * h], cq), scaled(qacc[t][2 * h + 1], cq), scaled(qacc[t + kHalf][2 * h], cq),
                        scaled(qacc[t + kHalf][2 * h + 1], cq));
    fence_proxy_async();
    if constexpr (kReducer<D, kCausal>) {
      release(staged, c);
    } else {
      named_barrier_sync(3 + c.wg, 128);
      if (issuer) {
        bulk_reduce_add_f32(b.dq_acc + ((int64_t)c.bh * npad + i * kBlock + 64 * c.wg) * D, staging, 64 * D * 4);
        bulk_commit();
      }
    }
    release(&bars.empty[1], c);  // group B
  };
  // Which blocks' P^T is masked, known at compile time: the P^T pass runs with dP^T in flight, where ptxas does not
  // branch, and a runtime test became a per-element mask on every block (NOTES.md v22). Causal, only the diagonal, the
  // first block: keys past n lie in the last key block, whose only query block is its diagonal. Otherwise all blocks
  // or none, by whether this key block has keys past n.
  using Yes = std::true_type;
  using No = std::false_type;
  int i = i_begin;
  auto blocks = [&](auto masked) {
    for (; i + 1 < c.nb; ++i) step(i, Yes{}, masked);
    step(i, No{}, masked);
  };
  if constexpr (kCausal) {  // written as blocks(No{}) after the diagonal, ptxas spilled 236 bytes: 2-5% slower
    if (i + 1 < c.nb) step(i++, Yes{}, Yes{});
    for (; i + 1 < c.nb; ++i) step(i, Yes{}, No{});
    if (i == i_begin)
      step(i, No{}, Yes{});
    else
      step(i, No{}, No{});
  } else if (c.k0 + kBlock > n) {
    blocks(Yes{});
  } else {
    blocks(No{});
  }
  if (issuer) bulk_wait();

  end_of_block();  // the staging below reuses K's and K^T's tiles, not dQ's staging (the reducer may still read it)
  store_keys<D>(b.dk + (int64_t)c.bh * n * D, dk, c, n, smem);
  if constexpr (kFuseDv) store_keys<D>(b.dv + (int64_t)c.bh * n * D, dv, c, n, smem);
}

// The reducer (one thread, where kReducer): per query block from i_begin, once every consumer warp has staged its dQ
// rows, one bulk reduction of the block's 128 rows into dq_acc (this bh's [npad][D] rows); the staging is free again,
// the next phase of `drained`, once the copy engine has read it (phase 0: free at the start). Where the dV kernel runs,
// its blocks clear dq_acc: the first reduction waits until all of them have (backward_clears_dq).
template <int D>
__device__ inline void dq_reduce(float* dq_acc, const int* dq_cleared, uint8_t* smem, int i_begin, int nb) {
  using L = DkdqLayout<D>;
  uint64_t* staged = reinterpret_cast<uint64_t*>(smem + L::kStaged);
  uint64_t* drained = reinterpret_cast<uint64_t*>(smem + L::kDrained);
  mbar_arrive_if(drained, true);
  for (int i = i_begin, u = 0; i < nb; ++i, ++u) {
    mbar_wait(staged, u & 1);
    if (!L::kFuseDv && u == 0) {
      wait_for_count(dq_cleared, int(gridDim.x * gridDim.y));  // the dV kernel's grid is this one's
      fence_proxy_async_global();  // its zeros, written by plain stores, before the copy engine's additions
    }
    bulk_reduce_add_f32(dq_acc + (int64_t)i * kBlock * D, smem + L::kStaging, kBlock * D * 4);
    bulk_commit();
    bulk_wait_read();
    mbar_arrive_if(drained, true);
  }
  bulk_wait();
}

#endif  // SAGE8_HAS_WGMMA

template <int D, bool kCausal>
__global__ void __launch_bounds__(kThreads, 1)
    dkdq_wgmma_kernel(const BackwardParams b, const __grid_constant__ CUtensorMap v_map,
                      const __grid_constant__ CUtensorMap dout_map, int n, int npad, float softmax_scale) {
#ifdef SAGE8_HAS_WGMMA
  using L = DkdqLayout<D>;
  static_assert(L::kFuseDv || kReducer<D, kCausal>, "only the reducer waits for the dV kernel's clearing of dq_acc");
  extern __shared__ __align__(16) uint8_t smem_raw[];
  uint8_t* smem = aligned_smem(smem_raw);
  const Barriers bars = Barriers::of<L>(smem);
  const KeyBlock kb = launch_key_block<kCausal>();
  const int j = kb.j, bh = kb.bh, nb = npad / kBlock;
  if (threadIdx.x == 0) {  // run_roles fences and publishes these with its own
    mbar_init(reinterpret_cast<uint64_t*>(smem + L::kStaged), kConsumerWarps);
    mbar_init(reinterpret_cast<uint64_t*>(smem + L::kDrained), 1);
  }
  run_roles(
      bars, 2,  // groups A and B
      [&] {
        mbar_arrive_expect_tx(bars.key_full, L::kKeyBytes);
        bulk_copy_to_smem(smem + L::kKey, block_tile<D>(b.k8, bh, npad, j), L::kTile, bars.key_full);
        bulk_copy_to_smem(smem + L::kKt, block_tile<D>(b.kt, bh, npad, j), L::kTile, bars.key_full);
        for (int panel = 0; panel < D / 64; ++panel)  // keys past n arrive as zeros
          tma_load_3d(smem + L::kV + panel * kBlock * 128, &v_map, 64 * panel, j * kBlock, bh, bars.key_full);
        const float* lseg = b.lse2 + (int64_t)bh * npad;
        const float* deltag = b.delta + (int64_t)bh * npad;
        for (int i = kCausal ? j : 0, u = 0; i < nb; ++i, ++u) {
          if (u > 0) mbar_wait(&bars.empty[0], (u - 1) & 1);
          mbar_arrive_expect_tx(&bars.full[0], L::kTxA);
          bulk_copy_to_smem(smem + L::kQ, block_tile<D>(b.q8, bh, npad, i), L::kTile, &bars.full[0]);
          for (int panel = 0; panel < D / 64; ++panel)  // rows past n arrive as zeros
            tma_load_3d(smem + L::kDo + panel * kBlock * 128, &dout_map, 64 * panel, i * kBlock, bh, &bars.full[0]);
          bulk_copy_to_smem(smem + L::kLse, lseg + (int64_t)i * kBlock, kBlock * 4, &bars.full[0]);
          bulk_copy_to_smem(smem + L::kDelta, deltag + (int64_t)i * kBlock, kBlock * 4, &bars.full[0]);
          if (u > 0) mbar_wait(&bars.empty[1], (u - 1) & 1);
          mbar_arrive_expect_tx(&bars.full[1], L::kTxB);
          bulk_copy_to_smem(smem + L::kQt, block_tile<D>(b.qt, bh, npad, i), L::kTile, &bars.full[1]);
          if constexpr (L::kFuseDv) {
            bulk_copy_to_smem(smem + L::kDot, block_tile<D>(b.dot, bh, npad, i), L::kTile, &bars.full[1]);
            bulk_copy_to_smem(smem + L::kSdo, b.sdo + ((int64_t)bh * nb + i) * D, D * 4, &bars.full[1]);
          }
        }
      },
      [&](int t) {
        if constexpr (kReducer<D, kCausal>)
          if (t == 0) dq_reduce<D>(b.dq_acc + (int64_t)bh * npad * D, b.dq_cleared, smem, kCausal ? j : 0, nb);
      },
      [&](int wg) { dkdq_consume<D, kCausal>(b, smem, wg, kb, n, npad, softmax_scale); });
  // Launched to overlap the dV kernel: waiting for it here makes this launch's completion imply dV's for the
  // launches after it.
  if constexpr (!L::kFuseDv) wait_for_prerequisite_grid();
#else
  __trap();
#endif
}

// Calls f(kernel, shared-memory bytes, whether it computes dV too) for p's head dim and causality.
template <typename F>
void with_dkdq_kernel(const Problem& p, F&& f) {
  with_config(p, [&](auto d, auto, auto c) {
    constexpr int kD = decltype(d)::value;
    f(dkdq_wgmma_kernel<kD, decltype(c)::value>, DkdqLayout<kD>::kAllocBytes, DkdqLayout<kD>::kFuseDv);
  });
}

}  // namespace

bool backward_clears_dq(const Problem& p) {
  bool clears = false;
  with_dkdq_kernel(p, [&](auto, int, bool computes_dv) { clears = !computes_dv; });
  return clears;
}

bool backward_uses_wgmma(const Problem& p) {
  if (!p.options.wgmma_backward || p.options.block_size != kBlock) return false;
  bool sm90a = false;
  with_dkdq_kernel(p, [&](auto kernel, int, bool) { sm90a = runs_sm90a(kernel); });
  return sm90a;
}

// V or dO ([bh][n][D] bf16) as a TMA tensor map whose boxes are the dK/dQ kernel's 64-channel panels of a key or query
// block, [128 tokens][64 channels] with 128-byte rows swizzled as wgmma reads them (tile.cuh swizzled_byte). The
// encoder is the driver's, found through the runtime so that nothing links the driver library.
static CUtensorMap panels_map(const Problem& p, const uint16_t* x) {
  using Encode = CUresult (*)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*,
                              const cuuint64_t*, const cuuint32_t*, const cuuint32_t*, CUtensorMapInterleave,
                              CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill);
  static const Encode encode = [] {
    void* fn = nullptr;
    cudaDriverEntryPointQueryResult found{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000, cudaEnableDefault, &found) !=
            cudaSuccess ||
        found != cudaDriverEntryPointSuccess)
      fn = nullptr;
    cudaGetLastError();
    return reinterpret_cast<Encode>(fn);
  }();
  if (encode == nullptr)
    throw std::runtime_error("sage8: the CUDA driver offers no cuTensorMapEncodeTiled, which the Hopper backward "
                             "needs: update the NVIDIA driver to one for CUDA 12 or newer");
  const cuuint64_t d = p.head_dim, dims[3] = {d, cuuint64_t(p.tokens), cuuint64_t(p.batch_heads)};
  const cuuint64_t strides[2] = {d * 2, d * 2 * p.tokens};  // bytes, of dimensions 1 and 2
  const cuuint32_t box[3] = {64, kBlock, 1}, unit[3] = {1, 1, 1};
  CUtensorMap map{};
  const CUresult r = encode(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 3, const_cast<uint16_t*>(x), dims, strides,
                            box, unit, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                            CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS)
    throw std::runtime_error("sage8: encoding a TMA tensor map of V or dO failed (CUresult " + std::to_string(r) +
                             "; both must be 16-byte aligned)");
  return map;
}

void launch_backward_wgmma_kernels(const Problem& p, const BackwardParams& b, cudaStream_t stream) {
  const CUtensorMap v_map = panels_map(p, b.v), dout_map = panels_map(p, b.dout);
  with_dkdq_kernel(p, [&](auto kernel, int bytes, bool computes_dv) {
    if (!computes_dv) launch_dv_wgmma_kernel(p, b, stream);
    cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
    launch_overlapping(kernel, dim3(p.blocks(), p.batch_heads), kThreads, bytes, stream, !computes_dv, b, v_map,
                       dout_map, p.tokens, p.padded(), p.softmax_scale());
  });
  check_launch("sage8 wgmma backward dK/dQ kernel");
}

}  // namespace sage8_cuda
