// The per-element arithmetic of the backward, shared by the mma.sync kernels (backward.cu) and the wgmma kernels
// (backward_wgmma.cuh) so that both compute dK and dV bit for bit alike (dQ differs only by the order in which the key
// blocks' partials are added).
// Multiply-adds are spelled out (__fmul_rn, __fmaf_rn): the compiler's contraction choices differ between kernels.
//
// A thread's accumulator elements [t][e] sit at rows (keys) gid (e < 2) and gid + 8 (e >= 2) of its warp's 16-key
// slab and at columns 8t + 2tq + (e & 1) (queries, or channels for the dK, dV, dQ products).
#pragma once

#include "tile.cuh"

namespace sage8_cuda {

// P^T for one element: exp(S - LSE) = exp2(int32(K Q^T) * c2 - LSE * log2(e)) with c2 = scores_log2(sQ, sK,
// softmax_scale) (tile.cuh); 0 where masked (key padding, causal future). Padded queries have LSE = +inf, so their P
// is 0 without a mask. The product is converted exactly first: a multiply-add on the biased product would round
// -1.5 * 2^23 * c2 - LSE * log2(e) to about one unit of c2, a P error of up to 1% where Q or K have outlier channels
// (large c2), and unlike the forward's (forward_tile.cuh TileExponent) it would not cancel.
template <bool kCausal>
__device__ inline float p_of(int acc, float c2, float lse2, bool masked, int key, int query, int n) {
  float p = fast_exp2(__fmaf_rn(small_int_to_float(acc), c2, -lse2));
  if (masked && (key >= n || (kCausal && key > query))) p = 0.f;
  return p;
}

// dV += int32(P^T dO) * sP * sdO[channel].
__device__ inline float fold_dv(float dv, int acc, float p_scale, float sdo) {
  return __fmaf_rn(scaled(acc, sdo), p_scale, dv);
}

// dK += int32(dS^T Q) * ck with ck = (sdS * sQ) * softmax_scale.
__device__ inline float fold_dk(float dk, int acc, float ck) { return __fmaf_rn(small_int_to_float(acc), ck, dk); }

// dS^T = P^T (dP^T - delta).
__device__ inline float ds_of(float p, float dp, float delta) { return __fmul_rn(p, __fsub_rn(dp, delta)); }

}  // namespace sage8_cuda
