// The wgmma backward's dV kernel (head_dim 128; at 64 the dK/dQ kernel computes dV): backward_wgmma.cuh.
#include <stdexcept>
#include <type_traits>

#include "backward_wgmma.cuh"

namespace sage8_cuda {
namespace {

// Shared memory of dv_kernel, from a 1024-byte aligned base: the key block's K [128][D] (swizzled rows); per stage
// Q's tile [128][D], dO^T's [D][128] (perm32), sdO [D] and lse2 [128]; the consumers' tile maxima; the mbarriers.
template <int D>
struct DvLayout {
  static constexpr int kStages = 4;
  static constexpr int kTile = kBlock * D;
  static constexpr int kKey = 0;
  static constexpr int kKeyBytes = kTile;
  static constexpr int kQ = kKey + kTile;
  static constexpr int kDot = kQ + kStages * kTile;
  static constexpr int kSdo = kDot + kStages * kTile;
  static constexpr int kLse = kSdo + kStages * D * 4;
  static constexpr int kMax = kLse + kStages * kBlock * 4;
  static constexpr int kFull = kMax + 2 * kConsumerWarps * 8;
  static constexpr int kEmpty = kFull + kStages * 8;
  static constexpr int kKeyFull = kEmpty + kStages * 8;
  static constexpr int kBytes = kKeyFull + 8;
  static constexpr int kAllocBytes = kBytes + 1024;  // dynamic shared memory is only 16-byte aligned
  static constexpr uint32_t kStageTxBytes = 2 * kTile + D * 4 + kBlock * 4;
  static_assert((kKey | kQ | kDot | kTile) % 1024 == 0, "the wgmma operand tiles start on the 1024-byte swizzle atoms");
  static_assert(kDot >= kConsumerWarps * 16 * D * 2, "store_keys' staging fits in K's tile and the Q stages");
  static_assert(kKeyBytes == kQ - kKey && kStages * kStageTxBytes == kMax - kQ,
                "each mbarrier expects the bytes of the slots its copies fill");
};

#ifdef SAGE8_HAS_WGMMA

// Per query block i a consumer issues S^T_{i+1} = K Q_{i+1}^T together with P^T_i dO_i; once S^T_{i+1} is in, it
// computes P^T_{i+1} and posts its maximum while P^T_i dO_i finishes, then folds P^T_i dO_i into dV while the other
// consumer warps post theirs, and only then waits for the tile maximum that P^T_{i+1}'s INT8 scale needs. The
// tensor cores run each product under the other phase's CUDA-core work (the forward's order, forward_wgmma.cu).
template <int D, bool kCausal>
__device__ inline void dv_consume(const BackwardParams& b, uint8_t* smem, int wg, KeyBlock kb, int n, int npad,
                                  float softmax_scale) {
  using L = DvLayout<D>;
  const Consumer c(wg, npad, kb);
  const Barriers bars = Barriers::of<L>(smem);
  float2* max_slots = reinterpret_cast<float2*>(smem + L::kMax);
  const float sk = b.sk[(int64_t)c.bh * c.nb + c.j];
  const float* sqg = b.sq + (int64_t)c.bh * c.nb;
  const uint64_t k_desc = key_desc<D>(smem + L::kKey, c);
  const uint64_t q_desc = kmajor_desc(smem_addr(smem + L::kQ), D);
  const uint64_t dot_desc = kmajor_desc(smem_addr(smem + L::kDot), kBlock);
  constexpr uint64_t kStageDesc = L::kTile >> 4;
  const int i_begin = c.first_block(kCausal);

  float dv[D / 8][4];
#pragma unroll
  for (int t = 0; t < D / 8; ++t)
#pragma unroll
    for (int e = 0; e < 4; ++e) dv[t][e] = 0.f;

  int acc[kBlock / 8][4];      // S^T: this warpgroup's 64 keys x 128 queries
  float pt[kBlock / 8][4];     // P^T
  uint32_t pf[kBlock / 32][4];  // INT8 P^T, the A fragments of P^T dO
  int pv[D / 8][4];            // int32(P^T dO)
  auto scores = [&](int u) {   // S^T of the u-th query block (stage u % Stages), issued
    const int s = u % L::kStages;
    scores_t<D>(acc, k_desc, q_desc + s * kStageDesc);
    wgmma_commit();
  };
  auto stage_full = [&](int u) { mbar_wait(&bars.full[u % L::kStages], (u / L::kStages) & 1); };
  auto probabilities = [&](int u) {  // P^T from S^T (waited for) and posts its maximum
    const int i = i_begin + u;
    const float c2 = scores_log2(sqg[i], sk, softmax_scale);
    const float* lse = reinterpret_cast<const float*>(smem + L::kLse) + (u % L::kStages) * kBlock;
    const bool masked = c.k0 + kBlock > n || (kCausal && i == c.j);
    float p_max = 0.f;
#pragma unroll
    for (int t = 0; t < kBlock / 8; ++t) {
      const int q0 = 8 * t + 2 * c.tq;
      const float2 l = *reinterpret_cast<const float2*>(lse + q0);
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        pt[t][e] = p_of<kCausal>(acc[t][e], c2, e & 1 ? l.y : l.x, masked, e < 2 ? c.key0 : c.key1,
                                 i * kBlock + q0 + (e & 1), n);
        p_max = fmaxf(p_max, pt[t][e]);
      }
    }
    post_max(make_float2(p_max, 0.f), max_slots, u, c);
  };
  auto quantize_p = [&](int u) {  // INT8 P^T with the tile's scale, once every consumer warp has posted
    const Int8Scale p_q(collect_max(max_slots, u).x);
    quantize_to_a(pf, pt, p_q.inverse);
    return p_q.scale;
  };

  mbar_wait(bars.key_full, 0);
  stage_full(0);
  wgmma_fence();
  scores(0);
  wgmma_wait<0>();
  fence_registers(acc);
  probabilities(0);
  float p_scale = quantize_p(0);
  auto step = [&](int u, auto has_next) {
    constexpr bool kNext = decltype(has_next)::value;  // a compile-time branch: none may be taken with a wgmma in flight
    const int s = u % L::kStages;
    if constexpr (kNext) stage_full(u + 1);
    wgmma_fence();
    if constexpr (kNext) scores(u + 1);
    issue_pv<D>(pv, pf, dot_desc + s * kStageDesc);
    auto fold = [&] {
      wgmma_wait<0>();
      fence_registers(pv);
      fence_registers(pf);
      fold_pv<D>(dv, pv, p_scale, reinterpret_cast<const float*>(smem + L::kSdo) + s * D, c);
      release(&bars.empty[s], c);
    };
    if constexpr (kNext) {
      wgmma_wait<1>();
      fence_registers(acc);
      probabilities(u + 1);
      fold();
      p_scale = quantize_p(u + 1);
    } else {
      fold();
    }
  };
  int u = 0;
  for (; i_begin + u + 1 < c.nb; ++u) step(u, std::true_type{});
  step(u, std::false_type{});
  end_of_block();
  store_keys<D>(b.dv + (int64_t)c.bh * n * D, dv, c, n, smem);
}

// The producer's loop: query block i's copies into stage (i - first) % Stages once the consumers released it.
template <int Stages, typename Copies>
__device__ inline void produce(const Barriers& bars, int first, int nb, uint32_t tx_bytes, Copies&& copies) {
  for (int i = first; i < nb; ++i) {
    const int u = i - first, s = u % Stages;
    if (u >= Stages) mbar_wait(&bars.empty[s], (u / Stages - 1) & 1);
    mbar_arrive_expect_tx(&bars.full[s], tx_bytes);
    copies(i, s, &bars.full[s]);
  }
}

#endif  // SAGE8_HAS_WGMMA

template <int D, bool kCausal>
__global__ void __launch_bounds__(kThreads, 1)
    dv_wgmma_kernel(const BackwardParams b, int n, int npad, float softmax_scale) {
#ifdef SAGE8_HAS_WGMMA
  using L = DvLayout<D>;
  extern __shared__ __align__(16) uint8_t smem_raw[];
  uint8_t* smem = aligned_smem(smem_raw);
  const Barriers bars = Barriers::of<L>(smem);
  const KeyBlock kb = launch_key_block<kCausal>();
  const int j = kb.j, bh = kb.bh, nb = npad / kBlock;
  allow_dependent_launch();  // the dK/dQ kernel, which shares no data with this one, fills this launch's tail
  run_roles(
      bars, L::kStages,
      [&] {
        mbar_arrive_expect_tx(bars.key_full, L::kKeyBytes);
        bulk_copy_to_smem(smem + L::kKey, block_tile<D>(b.k8, bh, npad, j), L::kTile, bars.key_full);
        const float* sdog = b.sdo + (int64_t)bh * nb * D;
        const float* lseg = b.lse2 + (int64_t)bh * npad;
        produce<L::kStages>(bars, kCausal ? j : 0, nb, L::kStageTxBytes, [&](int i, int s, uint64_t* bar) {
          bulk_copy_to_smem(smem + L::kQ + s * L::kTile, block_tile<D>(b.q8, bh, npad, i), L::kTile, bar);
          bulk_copy_to_smem(smem + L::kDot + s * L::kTile, block_tile<D>(b.dot, bh, npad, i), L::kTile, bar);
          bulk_copy_to_smem(smem + L::kSdo + s * D * 4, sdog + (int64_t)i * D, D * 4, bar);
          bulk_copy_to_smem(smem + L::kLse + s * kBlock * 4, lseg + (int64_t)i * kBlock, kBlock * 4, bar);
        });
      },
      [&](int t) {  // clear the dQ accumulator's rows of query block j and count the block (backward_clears_dq)
        float4* rows = reinterpret_cast<float4*>(b.dq_acc + ((int64_t)bh * npad + (int64_t)j * kBlock) * D);
        for (int x = t; x < kBlock * D / 4; x += kHelpers) rows[x] = make_float4(0.f, 0.f, 0.f, 0.f);
        __threadfence();
        named_barrier_sync(kHelperBarrier, kHelpers);
        if (t == 0) atomicAdd(b.dq_cleared, 1);
      },
      [&](int wg) { dv_consume<D, kCausal>(b, smem, wg, kb, n, npad, softmax_scale); });
#else
  __trap();  // built without sm_90a: backward_uses_wgmma never selects this
#endif
}

}  // namespace

// Head dim 128 only: at 64 the dK/dQ kernel computes dV too (DkdqLayout::kFuseDv), so no hd 64 instance is built.
void launch_dv_wgmma_kernel(const Problem& p, const BackwardParams& b, cudaStream_t stream) {
  if (p.head_dim != 128) throw std::logic_error("sage8: the separate dV kernel runs at head_dim 128 only");
  with_config(p, [&](auto d, auto, auto c) {
    constexpr int kD = decltype(d)::value;
    if constexpr (kD == 128) {
      const auto kernel = dv_wgmma_kernel<kD, decltype(c)::value>;
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, DvLayout<kD>::kAllocBytes);
      kernel<<<dim3(p.blocks(), p.batch_heads), kThreads, DvLayout<kD>::kAllocBytes, stream>>>(
          b, p.tokens, p.padded(), p.softmax_scale());
    }
  });
  check_launch("sage8 wgmma backward dV kernel");
}

}  // namespace sage8_cuda
