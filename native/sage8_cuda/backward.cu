// The fused backward, key-block-major: a thread block owns one key block (BLK keys, BLK/16 warps x 16 keys) and
// walks the query blocks i (from the diagonal when causal), double-buffering each query block's tiles through
// cp.async. The tile of the per-tile scales is (query block i, key block j), as the reference's.
//
// Two kernels, because P's tile scale (dV) and dS's tile scale (dK, dQ) each need the whole tile first, and
// holding dK, dV, P and dP for a 128 x 128 tile at head_dim 128 exceeds the register file:
//   dv_kernel:   S^T = K Q^T, P^T = exp(S^T - LSE), INT8 P^T (scale max P / 127), dV += int32(P^T dO) * sP * sdO.
//   dkdq_kernel: dP^T = V dO^T (bf16, fp32 accumulation), S^T and P^T recomputed 16 queries at a time,
//                dS^T = P^T (dP^T - delta), INT8 per tile, dK += int32(dS^T Q) * sdS * sQ * scale,
//                dQ += int32(dS K) * sdS * sK * scale through fp32 atomics (dS goes through shared memory,
//                query-major, for that product).
// dQ uses atomics rather than a separate query-major pass: the pass would recompute S and dP (one INT8 and the
// one BF16 matmul, the costliest) for every tile; the price is a summation order over key blocks that varies
// from run to run in the last fp32 bits.
#include "backward_tile.cuh"
#include "kernels.h"

#include <cmath>

namespace sage8_cuda {
namespace {

// A key-major gradient's two rows of this thread (keys key0 and key0 + 8; columns 8t + 2tq, + 1) to bf16 rows of
// out [n][D] (one bh), rows past n skipped.
template <int D>
__device__ inline void store_key_rows(uint16_t* out, const float (&g)[D / 8][4], int key0, int n, int tq) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int key = key0 + 8 * r;
    if (key < n) {
      uint16_t* dst = out + (int64_t)key * D + 2 * tq;
#pragma unroll
      for (int t = 0; t < D / 8; ++t) store_bf16x2(dst + 8 * t, g[t][2 * r], g[t][2 * r + 1]);
    }
  }
}

template <int D, int BLK>
struct DvSmem {
  static constexpr int kQStride = D + kRowPad;    // K, Q [token][D] INT8
  static constexpr int kTStride = BLK + kRowPad;  // dO^T [D][BLK] INT8
  static constexpr int kK = 0;
  static constexpr int kQ = kK + BLK * kQStride;      // 2 stages
  static constexpr int kDo = kQ + 2 * BLK * kQStride;  // 2 stages
  static constexpr int kLse = kDo + 2 * D * kTStride;  // 2 x BLK fp32
  static constexpr int kSdo = kLse + 2 * BLK * 4;      // 2 x D fp32
  static constexpr int kRed = kSdo + 2 * D * 4;
  static constexpr int kBytes = kRed + 16 * 4;
};

template <int D, int BLK>
struct DkdqSmem {
  static constexpr int kQStride = D + kRowPad;      // K, Q [token][D] INT8
  static constexpr int kTStride = BLK + kRowPad;    // K^T, Q^T [D][BLK] and dS [query][key] INT8
  static constexpr int kHStride = 2 * D + kRowPad;  // V, dO [token][D] bf16
  static constexpr int kDsBytes = BLK * (kTStride > kQStride ? kTStride : kQStride);
  static constexpr int kV = 0;
  static constexpr int kKt = kV + BLK * kHStride;
  static constexpr int kDs = kKt + D * kTStride;         // dS; K until its fragments are in registers
  static constexpr int kQ = kDs + kDsBytes;              // 2 stages
  static constexpr int kQt = kQ + 2 * BLK * kQStride;    // 2 stages
  static constexpr int kDo = kQt + 2 * D * kTStride;     // 2 stages
  static constexpr int kLse = kDo + 2 * BLK * kHStride;  // 2 x BLK fp32
  static constexpr int kDelta = kLse + 2 * BLK * 4;      // 2 x BLK fp32
  static constexpr int kRed = kDelta + 2 * BLK * 4;
  static constexpr int kBytes = kRed + 16 * 4;
};

// What both kernels know about their key block and the thread's place in it.
struct KeyBlock {
  int tid, warp, lane, gid, tq;
  int j, bh, nb, k0;  // key block index, (batch, head) row, blocks, first key
  int key0, key1;  // the thread's two accumulator rows (keys)
  __device__ KeyBlock(int npad, int blk) {
    tid = threadIdx.x;
    warp = tid >> 5;
    lane = tid & 31;
    gid = lane >> 2;
    tq = lane & 3;
    j = blockIdx.x;
    bh = blockIdx.y;
    nb = npad / blk;
    k0 = j * blk;
    key0 = k0 + 16 * warp + gid;
    key1 = key0 + 8;
  }
};

// The query blocks are double-buffered: starts block i + 1's copies into the other stage (load_query_block(i, stage)
// issues them), waits for block i's, and returns block i's stage, the thread block's barrier included.
template <typename Load>
__device__ inline int await_query_block(int i, int i_begin, int nb, Load&& load_query_block) {
  const int stage = (i - i_begin) & 1;
  if (i + 1 < nb) {
    load_query_block(i + 1, stage ^ 1);
    cp_async_commit();
    cp_async_wait<1>();
  } else {
    cp_async_wait<0>();
  }
  __syncthreads();
  return stage;
}

template <int D, int BLK, bool kCausal>
__global__ void __launch_bounds__(2 * BLK, 1) dv_kernel(const BackwardParams b, int n, int npad, float softmax_scale) {
  using S = DvSmem<D, BLK>;
  constexpr int kWarps = BLK / 16, kThreads = 2 * BLK;
  extern __shared__ __align__(16) uint8_t smem[];
  const KeyBlock kb(npad, BLK);
  uint8_t* k_s = smem + S::kK;
  uint8_t* q_s = smem + S::kQ;
  uint8_t* do_s = smem + S::kDo;
  float* lse_s = reinterpret_cast<float*>(smem + S::kLse);
  float* sdo_s = reinterpret_cast<float*>(smem + S::kSdo);
  float* red = reinterpret_cast<float*>(smem + S::kRed);

  const uint8_t* qg = reinterpret_cast<const uint8_t*>(b.q8) + (int64_t)kb.bh * npad * D;
  const uint8_t* dotg = reinterpret_cast<const uint8_t*>(b.dot) + (int64_t)kb.bh * D * npad;
  const float* lseg = b.lse2 + (int64_t)kb.bh * npad;
  const float* sdog = b.sdo + (int64_t)kb.bh * kb.nb * D;
  const float* sqg = b.sq + (int64_t)kb.bh * kb.nb;
  const float sk = b.sk[(int64_t)kb.bh * kb.nb + kb.j];
  const int i_begin = kCausal ? kb.j : 0;

  auto load_query_block = [&](int i, int stage) {
    load_tile_async<BLK, D, kThreads>(q_s + stage * BLK * S::kQStride, qg + (int64_t)i * BLK * D, D, BLK, kb.tid);
    load_tile_async<D, BLK, kThreads>(do_s + stage * D * S::kTStride, dotg + (int64_t)i * BLK, npad, D, kb.tid);
    load_vec_async<BLK * 4, kThreads>(lse_s + stage * BLK, lseg + (int64_t)i * BLK, kb.tid);
    load_vec_async<D * 4, kThreads>(sdo_s + stage * D, sdog + (int64_t)i * D, kb.tid);
  };
  load_tile_async<BLK, D, kThreads>(
      k_s, reinterpret_cast<const uint8_t*>(b.k8) + ((int64_t)kb.bh * npad + kb.k0) * D, D, BLK, kb.tid);
  load_query_block(i_begin, 0);
  cp_async_commit();

  float dv[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) dv[i][e] = 0.f;
  uint32_t kf[D / 32][4];

  for (int i = i_begin; i < kb.nb; ++i) {
    const int stage = await_query_block(i, i_begin, kb.nb, load_query_block);
    if (i == i_begin) {
#pragma unroll
      for (int kk = 0; kk < D / 32; ++kk) load_a(kf[kk], k_s, S::kQStride, 16 * kb.warp, 32 * kk, kb.lane);
    }
    const uint8_t* qt = q_s + stage * BLK * S::kQStride;
    const float* lse = lse_s + stage * BLK;

    float pt[BLK / 8][4];
    {
      int acc[BLK / 8][4];
#pragma unroll
      for (int t = 0; t < BLK / 8; ++t)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[t][e] = 0;
#pragma unroll
      for (int np = 0; np < BLK / 16; ++np)
#pragma unroll
        for (int kk = 0; kk < D / 32; ++kk) {
          uint32_t bb[4];
          load_b2(bb, qt, S::kQStride, 16 * np, 32 * kk, kb.lane);
          mma_s8(acc[2 * np], kf[kk], bb[0], bb[1]);
          mma_s8(acc[2 * np + 1], kf[kk], bb[2], bb[3]);
        }
      const float c = scores_log2(sqg[i], sk, softmax_scale);
      const bool masked = kb.k0 + BLK > n || (kCausal && i == kb.j);
#pragma unroll
      for (int t = 0; t < BLK / 8; ++t)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int qc = 8 * t + 2 * kb.tq + (e & 1);
          pt[t][e] = p_of<kCausal>(acc[t][e], c, lse[qc], masked, e < 2 ? kb.key0 : kb.key1,
                                   i * BLK + qc, n);
        }
    }

    float p_max = 0.f;
#pragma unroll
    for (int t = 0; t < BLK / 8; ++t)
#pragma unroll
      for (int e = 0; e < 4; ++e) p_max = fmaxf(p_max, pt[t][e]);
    p_max = block_max<kWarps>(p_max, red, kb.warp, kb.lane);
    const Int8Scale p_q(p_max);
    const float p_scale = p_q.scale;
    uint32_t pf[BLK / 32][4];
    quantize_to_a(pf, pt, p_q.inverse);

    const uint8_t* dot = do_s + stage * D * S::kTStride;
    const float* sdo = sdo_s + stage * D;
#pragma unroll
    for (int dp = 0; dp < D / 16; ++dp) {
      int acc[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
#pragma unroll
      for (int kk = 0; kk < BLK / 32; ++kk) {
        uint32_t bb[4];
        load_b2(bb, dot, S::kTStride, 16 * dp, 32 * kk, kb.lane);
        mma_s8(acc[0], pf[kk], bb[0], bb[1]);
        mma_s8(acc[1], pf[kk], bb[2], bb[3]);
      }
#pragma unroll
      for (int x = 0; x < 2; ++x) {
        const int d = 16 * dp + 8 * x + 2 * kb.tq;
#pragma unroll
        for (int e = 0; e < 4; ++e)
          dv[2 * dp + x][e] = fold_dv(dv[2 * dp + x][e], acc[x][e], p_scale, e & 1 ? sdo[d + 1] : sdo[d]);
      }
    }
    __syncthreads();
  }

  store_key_rows<D>(b.dv + (int64_t)kb.bh * n * D, dv, kb.key0, n, kb.tq);
}

template <int D, int BLK, bool kCausal>
__global__ void __launch_bounds__(2 * BLK, 1)
    dkdq_kernel(const BackwardParams b, int n, int npad, float softmax_scale) {
  using S = DkdqSmem<D, BLK>;
  constexpr int kWarps = BLK / 16, kThreads = 2 * BLK;
  extern __shared__ __align__(16) uint8_t smem[];
  const KeyBlock kb(npad, BLK);
  uint8_t* v_s = smem + S::kV;
  uint8_t* kt_s = smem + S::kKt;
  uint8_t* ds_s = smem + S::kDs;
  uint8_t* q_s = smem + S::kQ;
  uint8_t* qt_s = smem + S::kQt;
  uint8_t* do_s = smem + S::kDo;
  float* lse_s = reinterpret_cast<float*>(smem + S::kLse);
  float* delta_s = reinterpret_cast<float*>(smem + S::kDelta);
  float* red = reinterpret_cast<float*>(smem + S::kRed);

  const uint8_t* qg = reinterpret_cast<const uint8_t*>(b.q8) + (int64_t)kb.bh * npad * D;
  const uint8_t* qtg = reinterpret_cast<const uint8_t*>(b.qt) + (int64_t)kb.bh * D * npad;
  const uint8_t* dog = reinterpret_cast<const uint8_t*>(b.dout) + (int64_t)kb.bh * n * D * 2;
  const float* lseg = b.lse2 + (int64_t)kb.bh * npad;
  const float* deltag = b.delta + (int64_t)kb.bh * npad;
  const float* sqg = b.sq + (int64_t)kb.bh * kb.nb;
  const float sk = b.sk[(int64_t)kb.bh * kb.nb + kb.j];
  const int i_begin = kCausal ? kb.j : 0;

  auto load_query_block = [&](int i, int stage) {
    load_tile_async<BLK, D, kThreads>(q_s + stage * BLK * S::kQStride, qg + (int64_t)i * BLK * D, D, BLK, kb.tid);
    load_tile_async<D, BLK, kThreads>(qt_s + stage * D * S::kTStride, qtg + (int64_t)i * BLK, npad, D, kb.tid);
    load_tile_async<BLK, 2 * D, kThreads>(do_s + stage * BLK * S::kHStride, dog + (int64_t)i * BLK * D * 2, 2 * D,
                                          n - i * BLK, kb.tid);
    load_vec_async<BLK * 4, kThreads>(lse_s + stage * BLK, lseg + (int64_t)i * BLK, kb.tid);
    load_vec_async<BLK * 4, kThreads>(delta_s + stage * BLK, deltag + (int64_t)i * BLK, kb.tid);
  };
  load_tile_async<BLK, D, kThreads>(
      ds_s, reinterpret_cast<const uint8_t*>(b.k8) + ((int64_t)kb.bh * npad + kb.k0) * D, D, BLK, kb.tid);
  load_tile_async<BLK, 2 * D, kThreads>(
      v_s, reinterpret_cast<const uint8_t*>(b.v) + ((int64_t)kb.bh * n + kb.k0) * D * 2, 2 * D, n - kb.k0, kb.tid);
  load_tile_async<D, BLK, kThreads>(
      kt_s, reinterpret_cast<const uint8_t*>(b.kt) + (int64_t)kb.bh * D * npad + kb.k0, npad, D, kb.tid);
  load_query_block(i_begin, 0);
  cp_async_commit();

  float dk[D / 8][4];
#pragma unroll
  for (int t = 0; t < D / 8; ++t)
#pragma unroll
    for (int e = 0; e < 4; ++e) dk[t][e] = 0.f;
  uint32_t kf[D / 32][4];

  for (int i = i_begin; i < kb.nb; ++i) {
    const int stage = await_query_block(i, i_begin, kb.nb, load_query_block);
    if (i == i_begin) {  // K's tile shares its space with dS, first written after the block_max barrier below
#pragma unroll
      for (int kk = 0; kk < D / 32; ++kk) load_a(kf[kk], ds_s, S::kQStride, 16 * kb.warp, 32 * kk, kb.lane);
    }
    const uint8_t* qt = q_s + stage * BLK * S::kQStride;
    const uint8_t* qtt = qt_s + stage * D * S::kTStride;
    const uint8_t* dot = do_s + stage * BLK * S::kHStride;
    const float* lse = lse_s + stage * BLK;
    const float* delta = delta_s + stage * BLK;

    // dP^T = V dO^T: this warp's 16 keys x BLK queries, bf16 in, fp32 accumulated.
    float ds[BLK / 8][4];
#pragma unroll
    for (int t = 0; t < BLK / 8; ++t)
#pragma unroll
      for (int e = 0; e < 4; ++e) ds[t][e] = 0.f;
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks) {
      uint32_t a[4];
      load_a(a, v_s, S::kHStride, 16 * kb.warp, 32 * ks, kb.lane);
#pragma unroll
      for (int np = 0; np < BLK / 16; ++np) {
        uint32_t bb[4];
        load_b2(bb, dot, S::kHStride, 16 * np, 32 * ks, kb.lane);
        mma_bf16(ds[2 * np], a, bb[0], bb[1]);
        mma_bf16(ds[2 * np + 1], a, bb[2], bb[3]);
      }
    }

    // S^T and P^T 16 queries at a time; dS^T = P^T (dP^T - delta) in place.
    const float sq = sqg[i];
    const float c = scores_log2(sq, sk, softmax_scale);
    const bool masked = kb.k0 + BLK > n || (kCausal && i == kb.j);
    float ds_max = 0.f;
#pragma unroll
    for (int np = 0; np < BLK / 16; ++np) {
      int acc[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
#pragma unroll
      for (int kk = 0; kk < D / 32; ++kk) {
        uint32_t bb[4];
        load_b2(bb, qt, S::kQStride, 16 * np, 32 * kk, kb.lane);
        mma_s8(acc[0], kf[kk], bb[0], bb[1]);
        mma_s8(acc[1], kf[kk], bb[2], bb[3]);
      }
#pragma unroll
      for (int x = 0; x < 2; ++x)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int t = 2 * np + x, qc = 8 * t + 2 * kb.tq + (e & 1);
          const float p = p_of<kCausal>(acc[x][e], c, lse[qc], masked, e < 2 ? kb.key0 : kb.key1,
                                        i * BLK + qc, n);
          const float g = ds_of(p, ds[t][e], delta[qc]);
          ds[t][e] = g;
          ds_max = fmaxf(ds_max, fabsf(g));
        }
    }
    ds_max = block_max<kWarps>(ds_max, red, kb.warp, kb.lane);
    const Int8Scale ds_q(ds_max);
    const float inverse = ds_q.inverse, ds_scale = ds_q.scale;

    // INT8 dS^T: as A fragments (rows keys) for dK, and query-major in shared memory for dQ.
    uint32_t dsf[BLK / 32][4];
    {
      uint32_t dq8[BLK / 8][4];
#pragma unroll
      for (int t = 0; t < BLK / 8; ++t)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          dq8[t][e] = s8_scaled(ds[t][e], inverse);
          const int qc = 8 * t + 2 * kb.tq + (e & 1);
          const int key = 16 * kb.warp + kb.gid + 8 * (e >> 1);
          ds_s[qc * S::kTStride + token_pos(key)] = static_cast<uint8_t>(dq8[t][e]);
        }
#pragma unroll
      for (int kk = 0; kk < BLK / 32; ++kk) pack_a(dsf[kk], dq8, kk);
    }

    // dK += int32(dS^T Q) * (sdS * sQ) * softmax_scale.
    const float ck = (ds_scale * sq) * softmax_scale;
#pragma unroll
    for (int dp = 0; dp < D / 16; ++dp) {
      int acc[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
#pragma unroll
      for (int kk = 0; kk < BLK / 32; ++kk) {
        uint32_t bb[4];
        load_b2(bb, qtt, S::kTStride, 16 * dp, 32 * kk, kb.lane);
        mma_s8(acc[0], dsf[kk], bb[0], bb[1]);
        mma_s8(acc[1], dsf[kk], bb[2], bb[3]);
      }
#pragma unroll
      for (int x = 0; x < 2; ++x)
#pragma unroll
        for (int e = 0; e < 4; ++e) dk[2 * dp + x][e] = fold_dk(dk[2 * dp + x][e], acc[x][e], ck);
    }
    __syncthreads();  // dS is complete in shared memory

    // dQ_i += int32(dS K) * (sdS * sK) * softmax_scale: warp w takes queries 16w..16w+15.
    const float cq = (ds_scale * sk) * softmax_scale;
    uint32_t af[BLK / 32][4];
#pragma unroll
    for (int kk = 0; kk < BLK / 32; ++kk) load_a(af[kk], ds_s, S::kTStride, 16 * kb.warp, 32 * kk, kb.lane);
    const int row0 = i * BLK + 16 * kb.warp + kb.gid, row1 = row0 + 8;
#pragma unroll
    for (int dp = 0; dp < D / 16; ++dp) {
      int acc[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
#pragma unroll
      for (int kk = 0; kk < BLK / 32; ++kk) {
        uint32_t bb[4];
        load_b2(bb, kt_s, S::kTStride, 16 * dp, 32 * kk, kb.lane);
        mma_s8(acc[0], af[kk], bb[0], bb[1]);
        mma_s8(acc[1], af[kk], bb[2], bb[3]);
      }
#pragma unroll
      for (int x = 0; x < 2; ++x) {
        const int d = 16 * dp + 8 * x + 2 * kb.tq;
        if (row0 < n)
          red_add_f32x2(b.dq_acc + ((int64_t)kb.bh * npad + row0) * D + d, scaled(acc[x][0], cq),
                        scaled(acc[x][1], cq));
        if (row1 < n)
          red_add_f32x2(b.dq_acc + ((int64_t)kb.bh * npad + row1) * D + d, scaled(acc[x][2], cq),
                        scaled(acc[x][3], cq));
      }
    }
    __syncthreads();
  }

  store_key_rows<D>(b.dk + (int64_t)kb.bh * n * D, dk, kb.key0, n, kb.tq);
}

template <typename Kernel>
void launch(Kernel kernel, int bytes, const Problem& p, int threads, const BackwardParams& b, cudaStream_t stream) {
  cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  kernel<<<dim3(p.blocks(), p.batch_heads), threads, bytes, stream>>>(b, p.tokens, p.padded(), p.softmax_scale());
}

}  // namespace

void launch_backward_kernels(const Problem& p, const BackwardParams& b, cudaStream_t stream) {
  with_config(p, [&](auto d, auto blk, auto c) {
    constexpr int kD = decltype(d)::value, kBlk = decltype(blk)::value;
    constexpr bool kCausal = decltype(c)::value;
    launch(dv_kernel<kD, kBlk, kCausal>, DvSmem<kD, kBlk>::kBytes, p, 2 * kBlk, b, stream);
    check_launch("sage8 backward dV kernel");
    launch(dkdq_kernel<kD, kBlk, kCausal>, DkdqSmem<kD, kBlk>::kBytes, p, 2 * kBlk, b, stream);
    check_launch("sage8 backward dK/dQ kernel");
  });
}

}  // namespace sage8_cuda
