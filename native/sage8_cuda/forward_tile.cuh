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

#include <cmath>

namespace sage8_cuda {

// S = int32(Q K^T) * c with c = (sQ * sK) * softmax_scale, rounded as the reference rounds it.
template <int T>
__device__ inline void scores_from_products(float (&s)[T][4], const int (&acc)[T][4], float c) {
#pragma unroll
  for (int i = 0; i < T; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) s[i][e] = __fmul_rn(small_int_to_float(acc[i][e]), c);
}

// -inf for keys at or past n and, when causal, past the row. k0: the tile's first key; row_w: the slab's first row.
template <int T, bool kCausal>
__device__ inline void mask_scores(float (&s)[T][4], int k0, int row_w, int n, int gid, int tq) {
  if (k0 + 8 * T > n || (kCausal && k0 + 8 * T - 1 > row_w)) {
#pragma unroll
    for (int i = 0; i < T; ++i)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int key = k0 + 8 * i + 2 * tq + (e & 1), row = row_w + gid + 8 * (e >> 1);
        if (key >= n || (kCausal && key > row)) s[i][e] = -INFINITY;
      }
  }
}

// Online softmax over one key tile. Updates the running max m (natural units) and this thread's share of the
// running sum l; returns the factor alpha the running O must be multiplied by, the rows' P scale
// (rowmax(P~) / 127), and P~ quantized per row to INT8 as the A fragments of P V (perm32 token order). A row with
// every key so far masked keeps m = -inf and exponentiates against 0.
template <int T>
__device__ inline void softmax_tile(const float (&s)[T][4], float (&m)[2], float (&l)[2], float (&alpha)[2],
                                    float (&p_scale)[2], uint32_t (&pf)[T / 4][4]) {
  float m_ref_log2[2], inverse[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float mx = -INFINITY;
#pragma unroll
    for (int i = 0; i < T; ++i) mx = fmaxf(mx, fmaxf(s[i][2 * r], s[i][2 * r + 1]));
    mx = quad_max(mx);
    const float m_new = fmaxf(m[r], mx);
    const float m_ref = m_new == -INFINITY ? 0.f : m_new;
    alpha[r] = fast_exp2(__fmul_rn(m[r] - m_ref, kLog2e));
    m[r] = m_new;
    m_ref_log2[r] = __fmul_rn(m_ref, kLog2e);
    // The row's largest P~, computed exactly as that element's P~ is below.
    const float p_max = fast_exp2(fmaf(mx, kLog2e, -m_ref_log2[r]));
    const Int8Scale q(p_max);
    inverse[r] = q.inverse;
    p_scale[r] = q.scale;
    l[r] = __fmul_rn(l[r], alpha[r]);
  }
  uint32_t pq[T][4];
#pragma unroll
  for (int i = 0; i < T; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int r = e >> 1;
      const float p = fast_exp2(fmaf(s[i][e], kLog2e, -m_ref_log2[r]));
      l[r] = __fadd_rn(l[r], p);  // l sums the unquantized P~, as the reference
      pq[i][e] = s8_bits(__fmul_rn(p, inverse[r]));
    }
#pragma unroll
  for (int kk = 0; kk < T / 4; ++kk) pack_a(pf[kk], pq, kk);
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

// o += (int32(P V) * sP[row]) * sV[channel] for one n8 tile of channels (the last multiply fused with the add);
// v0, v1: sV of the thread's two channels.
__device__ inline void accumulate_pv(float (&o)[4], const int (&acc)[4], const float (&p_scale)[2], float v0,
                                     float v1) {
  o[0] = __fmaf_rn(__fmul_rn(small_int_to_float(acc[0]), p_scale[0]), v0, o[0]);
  o[1] = __fmaf_rn(__fmul_rn(small_int_to_float(acc[1]), p_scale[0]), v1, o[1]);
  o[2] = __fmaf_rn(__fmul_rn(small_int_to_float(acc[2]), p_scale[1]), v0, o[2]);
  o[3] = __fmaf_rn(__fmul_rn(small_int_to_float(acc[3]), p_scale[1]), v1, o[3]);
}

// O = o / l in bf16 and LSE = m + log(l) for the thread's rows below n (the whole warp must call it: l's sum
// over the quad shuffles). out: [bh][n][8C] of this bh; lse: [n] of this bh.
template <int C>
__device__ inline void store_rows(const float (&o)[C][4], const float (&m)[2], const float (&l)[2], int row_w, int n,
                                  uint16_t* out, float* lse, int gid, int tq) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float lt = quad_sum(l[r]);
    const int row = row_w + gid + 8 * r;
    if (row < n) {
      uint16_t* dst = out + (int64_t)row * (8 * C) + 2 * tq;
#pragma unroll
      for (int i = 0; i < C; ++i) store_bf16x2(dst + 8 * i, o[i][2 * r] / lt, o[i][2 * r + 1] / lt);
      if (tq == 0) lse[row] = __fadd_rn(m[r], logf(lt));
    }
  }
}

}  // namespace sage8_cuda
