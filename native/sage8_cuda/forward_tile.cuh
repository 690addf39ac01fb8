// The per-thread arithmetic of one key tile of the forward, shared by the mma.sync kernel (forward.cu) and the
// wgmma kernel (forward_wgmma.cu) so that both compute the same numbers bit for bit.
//
// Every multiply-add is spelled out (__fmul_rn, __fadd_rn, __fmaf_rn), so the compiler's contraction choices,
// which differ between kernels, cannot change a bit.
//
// A thread holds two query rows of its warp's 16-row slab (r = 0: row gid, r = 1: row gid + 8) and, for each n8
// tile t of a key tile (or of the head dimension), the accumulator elements [t][0..1] (row gid) and [t][2..3]
// (row gid + 8) at columns 8t + 2tq and 8t + 2tq + 1: the C layout of mma.m16n8, and per warp that of wgmma m64nN.
#pragma once

#include "tile.cuh"

#include <cfloat>
#include <climits>
#include <cmath>

namespace sage8_cuda {

// The exponent of one key tile's scores in base 2, without converting the products to floats first. With mx the
// row's largest product (an integer), a = 1.5 * 2^23 + (acc - mx) is exactly the float whose bits are acc + (the
// magic's bits - mx), and x = a * c2 + bias = (acc - mx) * c2 + top, where c2 = scores_log2(...) and `top` is the
// exponent of the row's largest score. So 2^x is the row's P~ times 2^top / rowmax(P~), which rounds straight to
// P's INT8 value: one IADD and one FFMA per score instead of IADD, FADD, FMUL, FFMA and FMUL (the reference's
// float(acc) * c, S - m, times 127 / rowmax). `top` is log2(127) up to bias's rounding (half its last unit, which
// grows with c2), stepped down if 2^top would round past 127; it enters P's scale (softmax_tile), so the rounding
// only moves P's INT8 grid a little and biases nothing.
struct TileExponent {
  float c2, bias, top;
  // c2 is at least the smallest normal float, so that masked elements (-inf, softmax_tile) stay -inf: a zero c2 (an
  // all-zero Q or K block) would make them NaN. The valid elements do not notice: their exponents are all `top`.
  __device__ explicit TileExponent(float c2_) : c2(fmaxf(c2_, FLT_MIN)) {
    constexpr float kLog2Of127 = 6.988684686772166f, kLimit = 6.994346f;  // log2(127), just under log2(127.5)
    bias = __fmaf_rn(-kMagic, c2, kLog2Of127);
    top = __fmaf_rn(kMagic, c2, bias);
    while (top > kLimit) {  // bias's rounding overshot: at most a step or two of its last bit
      bias = nextafterf(bias, -INFINITY);
      top = __fmaf_rn(kMagic, c2, bias);
    }
  }
};

// Rows rescale their running O and sum only when a tile's max exceeds the reference max by more than this (log2
// units, FlashAttention-4's conditional rescaling): below it P~ relative to the stale max stays under 2^8, which
// costs nothing in fp32 and P's INT8 scale is per tile anyway.
constexpr float kRescaleLog2 = 8.f;

// P~ * 127 / rowmax(P~) of each element, summed per row into sum, and its INT8 value (the low byte of pq). At most
// 127.5 by TileExponent's choice of top, so no clamp. Masked elements hold the bits of -inf once biased (see
// softmax_tile), so they give 0 without a test.
template <int T>
__device__ __forceinline__ void exponentiate(const int (&acc)[T][4], const uint32_t (&bias_bits)[2],
                                             const TileExponent& ex, float (&sum)[2], uint32_t (&pq)[T][4]) {
  // In three passes (exponents, exponentials, sums and INT8 bits) rather than element by element: the same
  // arithmetic, and the hd 128 N = 16K causal forward measured 0.93x in two calls, the rest 0.98-1.01x (NOTES.md v20).
  float p[T][4];
#pragma unroll
  for (int i = 0; i < T; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e)
      p[i][e] = __fmaf_rn(__uint_as_float(uint32_t(acc[i][e]) + bias_bits[e >> 1]), ex.c2, ex.bias);
#pragma unroll
  for (int i = 0; i < T; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) p[i][e] = fast_exp2(p[i][e]);
#pragma unroll
  for (int i = 0; i < T; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      sum[e >> 1] = __fadd_rn(sum[e >> 1], p[i][e]);
      pq[i][e] = s8_bits(p[i][e]);
    }
}

// Online softmax over one key tile, in two steps so that a caller can interleave other work with the second:
// tile_max masks the INT32 products acc in place, takes the rows' max and moves the reference max m (log2 units;
// -inf until a row has seen an unmasked key) and this thread's share of the running sum l; it returns the factors
// alpha (1 unless the row's reference moved) the running O must be multiplied by, the rows' P scale (P~ of the
// INT8 value 1), the exponent's bias (bias_bits: unsigned, as a masked row's kMagicBits - INT_MIN wraps; its
// elements are -inf anyway), and whether any row of the warp moved (warp-uniform).
// tile_exp then adds the tile's P~ to l and quantizes it per row to INT8 as the A fragments of P V (perm32 token
// order). k0: the tile's first key; row_w: the warp's first row.
template <int T, bool kCausal>
__device__ __forceinline__ bool tile_max(int (&acc)[T][4], const TileExponent& ex, int k0, int row_w, int n, int gid,
                                         int tq, float (&m)[2], float (&l)[2], float (&alpha)[2],
                                         float (&p_scale)[2], uint32_t (&bias_bits)[2]) {
  constexpr int kMasked = INT_MIN;  // no real product: |acc| <= 128 * 127 * 127
  const bool masked = warp_uniform(k0 + 8 * T > n || (kCausal && k0 + 8 * T - 1 > row_w));
  if (masked) {
#pragma unroll
    for (int i = 0; i < T; ++i)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int key = k0 + 8 * i + 2 * tq + (e & 1), row = row_w + gid + 8 * (e >> 1);
        if (key >= n || (kCausal && key > row)) acc[i][e] = kMasked;
      }
  }
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    int mx = kMasked;
#pragma unroll
    for (int i = 0; i < T; ++i) mx = max(mx, max(acc[i][2 * r], acc[i][2 * r + 1]));
    mx = quad_max(mx);
    bias_bits[r] = uint32_t(kMagicBits) - uint32_t(mx);
    // Selects, no branches: a divergent branch with a wgmma in flight would make ptxas serialize them all.
    const float mx_log2 = mx == kMasked ? -INFINITY : __fmul_rn(float(mx), ex.c2);
    const bool first = m[r] == -INFINITY;  // O and l are still zero
    const bool move = !first && mx_log2 > m[r] + kRescaleLog2;
    alpha[r] = move ? fast_exp2(m[r] - mx_log2) : 1.f;
    m[r] = first || move ? mx_log2 : m[r];
    l[r] = __fmul_rn(l[r], alpha[r]);
    p_scale[r] = mx == kMasked ? 0.f : fast_exp2(mx_log2 - m[r] - ex.top);
  }
  if (masked) {  // biased, the masked elements become -inf: 2^(-inf * c2 + bias) = 0 (TileExponent keeps c2 > 0)
#pragma unroll
    for (int i = 0; i < T; ++i)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        if (acc[i][e] == kMasked) acc[i][e] = int(0xff800000u - bias_bits[e >> 1]);
  }
  return warp_uniform(__any_sync(0xffffffffu, alpha[0] != 1.f || alpha[1] != 1.f));
}

template <int T>
__device__ __forceinline__ void tile_exp(const int (&acc)[T][4], const uint32_t (&bias_bits)[2],
                                         const TileExponent& ex, const float (&p_scale)[2], float (&l)[2],
                                         uint32_t (&pf)[T / 4][4]) {
  uint32_t pq[T][4];
  float sum[2] = {0.f, 0.f};
  exponentiate(acc, bias_bits, ex, sum, pq);
#pragma unroll
  for (int r = 0; r < 2; ++r) l[r] = __fmaf_rn(sum[r], p_scale[r], l[r]);  // l sums the unquantized P~
#pragma unroll
  for (int kk = 0; kk < T / 4; ++kk) pack_a(pf[kk], pq, kk);
}

// Both steps at once: returns whether the caller must rescale O by alpha before adding this tile's P V.
template <int T, bool kCausal>
__device__ inline bool softmax_tile(int (&acc)[T][4], const TileExponent& ex, int k0, int row_w, int n, int gid,
                                    int tq, float (&m)[2], float (&l)[2], float (&alpha)[2], float (&p_scale)[2],
                                    uint32_t (&pf)[T / 4][4]) {
  uint32_t bias_bits[2];
  const bool moved = tile_max<T, kCausal>(acc, ex, k0, row_w, n, gid, tq, m, l, alpha, p_scale, bias_bits);
  tile_exp(acc, bias_bits, ex, p_scale, l, pf);
  return moved;
}

template <int C>
__device__ inline void rescale_rows(float (&o)[C][4], const float (&alpha)[2]) {
#pragma unroll
  for (int i = 0; i < C; ++i) {
    o[i][0] = __fmul_rn(o[i][0], alpha[0]);
    o[i][1] = __fmul_rn(o[i][1], alpha[0]);
    o[i][2] = __fmul_rn(o[i][2], alpha[1]);
    o[i][3] = __fmul_rn(o[i][3], alpha[1]);
  }
}

// o += (int32(P V) * sV[channel]) * sP[row] for one n8 tile of channels; v0, v1: the thread's two channels.
__device__ inline void accumulate_pv(float (&o)[4], const int (&acc)[4], const float (&p_scale)[2], float v0,
                                     float v1) {
  o[0] = __fmaf_rn(scaled(acc[0], v0), p_scale[0], o[0]);
  o[1] = __fmaf_rn(scaled(acc[1], v1), p_scale[0], o[1]);
  o[2] = __fmaf_rn(scaled(acc[2], v0), p_scale[1], o[2]);
  o[3] = __fmaf_rn(scaled(acc[3], v1), p_scale[1], o[3]);
}

// The rows' 1 / l and LSE = m + log(l) (the whole warp must call it: l's sum over the quad shuffles). O is o times
// the row's rounded reciprocal, one FMUL per element instead of an IEEE division (a call's worth of instructions
// each): the two differ by at most an fp32 unit or so, which the bf16 rounding of O almost always absorbs.
__device__ inline void row_totals(const float (&m)[2], const float (&l)[2], float (&inverse)[2], float (&lse)[2]) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float lt = quad_sum(l[r]);
    inverse[r] = __frcp_rn(lt);
    lse[r] = __fadd_rn(__fmul_rn(m[r], kLn2), logf(lt));
  }
}

}  // namespace sage8_cuda
