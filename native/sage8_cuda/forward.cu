// The fused forward: FlashAttention-2 tiling with mma.sync INT8. A thread block owns 128 query rows (8 warps x
// 16 rows) and walks the key blocks with K and V^T double-buffered through cp.async. Per key block:
// S = int32(Q K^T) * (sQ * sK) * softmax_scale, the online softmax, P~ quantized per row (scale rowmax / 127)
// straight from the S registers into an INT8 A fragment, O += int32(P V) * sP * sV[channel].
#include "forward_tile.cuh"
#include "kernels.h"
#include "tile.cuh"

#include <cmath>

namespace sage8_cuda {
namespace {

constexpr int kQueryRows = 128;
constexpr int kThreads = 256;

// O = o / l in bf16 and LSE for the thread's rows below n. out: [bh][n][8C] of this bh; lse: [n] of this bh.
template <int C>
__device__ inline void store_rows(const float (&o)[C][4], const float (&m)[2], const float (&l)[2], int row_w, int n,
                                  uint16_t* out, float* lse, int gid, int tq) {
  float inverse[2], row_lse[2];
  row_totals(m, l, inverse, row_lse);
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = row_w + gid + 8 * r;
    if (row < n) {
      uint16_t* dst = out + (int64_t)row * (8 * C) + 2 * tq;
#pragma unroll
      for (int i = 0; i < C; ++i)
        store_bf16x2(dst + 8 * i, __fmul_rn(o[i][2 * r], inverse[r]), __fmul_rn(o[i][2 * r + 1], inverse[r]));
      if (tq == 0) lse[row] = row_lse[r];
    }
  }
}

// Shared memory: Q [128][D], two stages of K [BK][D] and V^T [D][BK] (INT8) and of sV [D] (fp32).
template <int D, int BK>
struct ForwardSmem {
  static constexpr int kQStride = D + kRowPad;
  static constexpr int kVStride = BK + kRowPad;
  static constexpr int kQ = 0;
  static constexpr int kK = kQ + kQueryRows * kQStride;
  static constexpr int kV = kK + 2 * BK * kQStride;
  static constexpr int kSv = kV + 2 * D * kVStride;
  static constexpr int kBytes = kSv + 2 * D * 4;
};

template <int D, int BK, bool kCausal>
__global__ void __launch_bounds__(kThreads, 1)
    forward_kernel(const ForwardParams f, int n, int npad, float softmax_scale) {
  using S = ForwardSmem<D, BK>;
  extern __shared__ __align__(16) uint8_t smem[];
  uint8_t* q_s = smem + S::kQ;
  uint8_t* k_s = smem + S::kK;
  uint8_t* v_s = smem + S::kV;
  float* sv_s = reinterpret_cast<float*>(smem + S::kSv);

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, gid = lane >> 2, tq = lane & 3;
  const int bh = blockIdx.y;
  // Causal: the last query blocks see the most keys, so they start first.
  const int q0 = (kCausal ? gridDim.x - 1 - blockIdx.x : blockIdx.x) * kQueryRows;
  const int nb = npad / BK;
  const int tiles = kCausal ? min(nb, (min(q0 + kQueryRows, n) - 1) / BK + 1) : nb;
  const int row_w = q0 + 16 * warp;  // the warp's first query row

  const uint8_t* qg = reinterpret_cast<const uint8_t*>(f.q8) + (int64_t)bh * npad * D;
  const uint8_t* kg = reinterpret_cast<const uint8_t*>(f.k8) + (int64_t)bh * npad * D;
  const uint8_t* vg = reinterpret_cast<const uint8_t*>(f.vt) + (int64_t)bh * D * npad;
  const float* svg = f.sv + (int64_t)bh * nb * D;
  const float* skg = f.sk + (int64_t)bh * nb;
  // Rows past npad (a 128-row thread block over 64-token blocks) are zero; any block's scale serves them.
  const float sq = f.sq[(int64_t)bh * nb + min(row_w / BK, nb - 1)];

  auto load_kv = [&](int j, int stage) {
    load_tile_async<BK, D, kThreads>(k_s + stage * BK * S::kQStride, kg + (int64_t)j * BK * D, D, BK, tid);
    load_tile_async<D, BK, kThreads>(v_s + stage * D * S::kVStride, vg + (int64_t)j * BK, npad, D, tid);
    load_vec_async<D * 4, kThreads>(sv_s + stage * D, svg + (int64_t)j * D, tid);
  };
  load_tile_async<kQueryRows, D, kThreads>(q_s, qg + (int64_t)q0 * D, D, npad - q0, tid);
  load_kv(0, 0);
  cp_async_commit();

  float o[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) o[i][e] = 0.f;
  // Per accumulator row (forward_tile.cuh): reference max (log2 units) and this thread's share of the running sum.
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
  uint32_t qf[D / 32][4];

  for (int j = 0; j < tiles; ++j) {
    const int stage = j & 1;
    if (j + 1 < tiles) {
      load_kv(j + 1, stage ^ 1);
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    if (j == 0) {
#pragma unroll
      for (int kk = 0; kk < D / 32; ++kk) load_a(qf[kk], q_s, S::kQStride, 16 * warp, 32 * kk, lane);
    }
    const uint8_t* kt = k_s + stage * BK * S::kQStride;
    const uint8_t* vt = v_s + stage * D * S::kVStride;
    const float* sv = sv_s + stage * D;

    int acc[BK / 8][4];
#pragma unroll
    for (int i = 0; i < BK / 8; ++i)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][e] = 0;
#pragma unroll
    for (int np = 0; np < BK / 16; ++np)
#pragma unroll
      for (int kk = 0; kk < D / 32; ++kk) {
        uint32_t b[4];
        load_b2(b, kt, S::kQStride, 16 * np, 32 * kk, lane);
        mma_s8(acc[2 * np], qf[kk], b[0], b[1]);
        mma_s8(acc[2 * np + 1], qf[kk], b[2], b[3]);
      }
    float alpha[2], p_scale[2];
    uint32_t pf[BK / 32][4];
    const TileExponent ex(scores_log2(sq, skg[j], softmax_scale));
    if (softmax_tile<BK / 8, kCausal>(acc, ex, j * BK, row_w, n, gid, tq, m, l, alpha, p_scale, pf))
      rescale_rows(o, alpha);

    // O += int32(P V) * sP[row] * sV[channel], 16 channels at a time to keep the int32 accumulators few.
#pragma unroll
    for (int dp = 0; dp < D / 16; ++dp) {
      int acc[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
#pragma unroll
      for (int kk = 0; kk < BK / 32; ++kk) {
        uint32_t b[4];
        load_b2(b, vt, S::kVStride, 16 * dp, 32 * kk, lane);
        mma_s8(acc[0], pf[kk], b[0], b[1]);
        mma_s8(acc[1], pf[kk], b[2], b[3]);
      }
#pragma unroll
      for (int x = 0; x < 2; ++x) {
        const int d = 16 * dp + 8 * x + 2 * tq;
        accumulate_pv(o[2 * dp + x], acc[x], p_scale, sv[d], sv[d + 1]);
      }
    }
    __syncthreads();  // every warp is done with this stage before the next iteration refills it
  }

  store_rows(o, m, l, row_w, n, f.o + (int64_t)bh * n * D, f.lse + (int64_t)bh * n, gid, tq);
}

}  // namespace

void launch_forward_kernel(const Problem& p, const ForwardParams& f, cudaStream_t stream) {
  const dim3 grid((p.tokens + kQueryRows - 1) / kQueryRows, p.batch_heads);
  with_config(p, [&](auto d, auto b, auto c) {
    constexpr int kD = decltype(d)::value, kBK = decltype(b)::value;
    constexpr int kBytes = ForwardSmem<kD, kBK>::kBytes;
    auto kernel = forward_kernel<kD, kBK, decltype(c)::value>;
    cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kBytes);
    kernel<<<grid, kThreads, kBytes, stream>>>(f, p.tokens, p.padded(), p.softmax_scale());
  });
  check_launch("sage8 forward kernel");
}

}  // namespace sage8_cuda
