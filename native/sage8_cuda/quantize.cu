// Quantization passes (memory-bound, one read of each input): K's per-channel partial sums, then one persistent
// launch, overlapping the sums' tail, that quantizes K (smoothed by the mean of those sums), Q and V or dO per block
// to INT8 with absmax scales (token-major and/or channel-major perm32 copies), with dO's rowsum(dO * O) and LSE in
// log2 units; and the final fp32 -> bf16 conversion of dQ.
#include "kernels.h"
#include "tile.cuh"

#include <algorithm>
#include <cmath>

namespace sage8_cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kMeanChunk = 512;  // tokens per partial sum of K's mean: enough thread blocks for long rows

__device__ inline void unpack_bf16x8(const uint4& v, float (&x)[8]) {
  const uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    x[2 * i] = bits_to_float(w[i] << 16);
    x[2 * i + 1] = bits_to_float(w[i] & 0xffff0000u);
  }
}

// partial[bh][chunk][d] = sum of k over the chunk's tokens, in a fixed order. Blocks walk K from its end, so that
// the quantization launch, which starts at its beginning, finds the most recently read rows still in L2.
template <int D>
__global__ void __launch_bounds__(kThreads) k_sum_kernel(const uint16_t* __restrict__ k, float* __restrict__ partial,
                                                          int n) {
  constexpr int kVecs = D / 8, kRows = kThreads / kVecs;
  __shared__ float sums[kRows][D];
  allow_dependent_launch();  // the quantization launch starts at once and waits for the sums where it reads them
  const int tid = threadIdx.x, c = tid % kVecs, r = tid / kVecs;
  const int chunk = gridDim.x - 1 - blockIdx.x, bh = gridDim.y - 1 - blockIdx.y;
  const uint16_t* src = k + (int64_t)bh * n * D + 8 * c;
  const int end = min(n, (chunk + 1) * kMeanChunk);
  float acc[8] = {};
#pragma unroll 4
  for (int t = chunk * kMeanChunk + r; t < end; t += kRows) {
    float x[8];
    unpack_bf16x8(*reinterpret_cast<const uint4*>(src + (int64_t)t * D), x);
#pragma unroll
    for (int e = 0; e < 8; ++e) acc[e] += x[e];
  }
#pragma unroll
  for (int e = 0; e < 8; ++e) sums[r][8 * c + e] = acc[e];
  __syncthreads();
  if (tid < D) {
    float s = 0.f;
    for (int i = 0; i < kRows; ++i) s += sums[i][tid];
    partial[((int64_t)bh * gridDim.x + chunk) * D + tid] = s;
  }
}

// The four bytes i of words a0..a3, for i = 0..3: a 4 x 4 byte transpose.
__device__ inline void transpose_bytes4x4(const uint32_t* a, uint32_t (&out)[4]) {
  const uint32_t lo01 = __byte_perm(a[0], a[1], 0x5140), lo23 = __byte_perm(a[2], a[3], 0x5140);
  const uint32_t hi01 = __byte_perm(a[0], a[1], 0x7362), hi23 = __byte_perm(a[2], a[3], 0x7362);
  out[0] = __byte_perm(lo01, lo23, 0x5410);
  out[1] = __byte_perm(lo01, lo23, 0x7632);
  out[2] = __byte_perm(hi01, hi23, 0x5410);
  out[3] = __byte_perm(hi01, hi23, 0x7632);
}

// quantize_s8(x[e] * inverse[e]) for e = 0..7, packed. Where every inverse is finite (amax >= 127 / FLT_MAX), the
// product is at most 127 (1 + 2^-24) in magnitude (|x| <= amax), so the clamp is void, and adding 1.5 * 2^23 rounds
// it to the nearest even integer in the sum's low mantissa bits, whose low byte is the INT8 value: one FADD in place
// of a quarter-rate F2I and two clamps. (A NaN input becomes -1 rather than 0; the reference makes it 127.)
__device__ inline uint2 quantize_s8x8(const float (&x)[8], const float (&inverse)[8], bool finite) {
  if (!finite) {
    int q[8];
#pragma unroll
    for (int e = 0; e < 8; ++e) q[e] = quantize_s8(x[e] * inverse[e]);
    return make_uint2(pack_s8(q[0], q[1], q[2], q[3]), pack_s8(q[4], q[5], q[6], q[7]));
  }
  uint32_t b[8];
#pragma unroll
  for (int e = 0; e < 8; ++e) b[e] = s8_bits(__fmul_rn(x[e], inverse[e]));  // tile.cuh
  return make_uint2(pack_low_bytes(b[0], b[1], b[2], b[3]), pack_low_bytes(b[4], b[5], b[6], b[7]));
}

// How quantize_kernel's threads split a token block: thread tid holds channels 8 (tid % kVecs) .. + 7 of the kPasses
// tokens tid / kVecs + kRows * pass.
template <int D, int BLK>
struct QuantizeShape {
  static constexpr int kVecs = D / 8, kRows = kThreads / kVecs, kPasses = BLK / kRows;
  static constexpr int kQuads = D / 4, kChunks = BLK / 16;  // 4-channel words per token; 16-token chunks per block
};

template <int D, int BLK>
struct QuantizeShared {
  using S = QuantizeShape<D, BLK>;
  uint4 next[BLK * S::kVecs];  // the next token block's bf16 values, each thread's own 16-byte pieces (cp.async)
  // channel_max and staged share their space: staged is first written after the last read of channel_max.
  union {
    float channel_max[S::kRows][D];    // per-thread channel maxima, until the per-channel scales are known
    uint32_t staged[BLK * S::kQuads];  // then the INT8 words staged for the channel-major copy
  };
  float channel_amax[D];
  float k_mean[D];
  float scratch[kThreads / 32];
};

// Quantizes token block blk of row bh of tensor p, whose bf16 values the thread holds in raw (QuantizeShape);
// kSmooth: p is K, smoothed by its mean (an instance of its own, so that the others skip subtracting zeros).
template <int D, int BLK, bool kSmooth, typename S = QuantizeShape<D, BLK>>
__device__ inline void quantize_block(const QuantizeParams& p, QuantizeShared<D, BLK>& s,
                                      const uint4 (&raw)[S::kPasses], int bh, int blk, int nb, int n, int npad) {
  constexpr int kVecs = S::kVecs, kRows = S::kRows, kPasses = S::kPasses, kQuads = S::kQuads, kChunks = S::kChunks;

  // The channel-major copy is staged token-major as 4-channel words, each token row's words XOR-ed with its
  // 16-token chunk (times the quads a warp reads per chunk below): the column reads of the transpose then hit
  // distinct banks (2-way where a warp covers more than 32 banks' worth), and a warp's 8-byte writes stay whole.
  const auto staged_word = [](int token, int quad) {
    constexpr int kShift = BLK == 128 ? 2 : 3;  // log2(32 / kChunks): quads per chunk within a warp
    return token * kQuads + (quad ^ (((token >> 4) << kShift) & (kQuads - 1)));
  };
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, c = tid % kVecs, r0 = tid / kVecs;
  const int t0 = blk * BLK;
  const int64_t row_base = (int64_t)bh * n;

  float mean[8] = {};
  if (kSmooth) {  // K's mean from launch_k_sums' partial sums, in their fixed order
    wait_for_prerequisite_grid();
    if (tid < D) {
      const int chunks = (n + kMeanChunk - 1) / kMeanChunk;
      const float* partial = p.mean_partials + (int64_t)bh * chunks * D + tid;
      float sum = 0.f;
#pragma unroll 8
      for (int i = 0; i < chunks; ++i) sum += partial[(int64_t)i * D];
      s.k_mean[tid] = sum / static_cast<float>(n);
    }
    __syncthreads();
#pragma unroll
    for (int e = 0; e < 8; ++e) mean[e] = s.k_mean[8 * c + e];
  }
  // The smoothed values of pass ps. Padding tokens stay exactly zero (K is smoothed before padding, as in the
  // reference): their raw values are the copy's zero fill, and they subtract no mean.
  const auto value = [&](int ps, float (&v)[8]) {
    unpack_bf16x8(raw[ps], v);
    if (kSmooth && t0 + r0 + ps * kRows < n) {
#pragma unroll
      for (int e = 0; e < 8; ++e) v[e] -= mean[e];
    }
  };

  if (p.o) {  // x is dO: delta = rowsum(dO * O), reduced over the kVecs consecutive lanes of a token
#pragma unroll
    for (int ps = 0; ps < kPasses; ++ps) {
      const int t = t0 + r0 + ps * kRows;
      float d = 0.f;
      if (t < n) {
        float o[8], x[8];
        unpack_bf16x8(*reinterpret_cast<const uint4*>(p.o + (row_base + t) * D + 8 * c), o);
        value(ps, x);
#pragma unroll
        for (int e = 0; e < 8; ++e) d += x[e] * o[e];
      }
#pragma unroll
      for (int off = kVecs / 2; off > 0; off >>= 1) d += __shfl_xor_sync(0xffffffffu, d, off);
      if (c == 0) p.delta[(int64_t)bh * npad + t] = d;
    }
    if (tid < BLK) {
      const int t = t0 + tid;
      p.lse2[(int64_t)bh * npad + t] = t < n ? p.lse[row_base + t] * kLog2e : INFINITY;
    }
  }

  // x * (127 / amax), as the reference: one division per scale, a multiply per element.
  float inverse[8];
  if (p.mode == ScaleMode::kPerBlockAndChannel) {
    float m[8] = {};
#pragma unroll
    for (int ps = 0; ps < kPasses; ++ps) {
      float x[8];
      value(ps, x);
#pragma unroll
      for (int e = 0; e < 8; ++e) m[e] = fmaxf(m[e], fabsf(x[e]));
    }
#pragma unroll
    for (int e = 0; e < 8; ++e) s.channel_max[r0][8 * c + e] = m[e];
    __syncthreads();
    if (tid < D) {
      float m = 0.f;
      for (int i = 0; i < kRows; ++i) m = fmaxf(m, s.channel_max[i][tid]);
      const Int8Scale q(m);  // before the store: after it, the hd 128 backward launch took 1.03-1.06x (NOTES.md v13)
      s.channel_amax[tid] = m;
      p.scale[((int64_t)bh * nb + blk) * D + tid] = q.scale;
    }
    __syncthreads();
#pragma unroll
    for (int e = 0; e < 8; ++e) inverse[e] = Int8Scale(s.channel_amax[8 * c + e]).inverse;
  } else {
    float m = 0.f;
#pragma unroll
    for (int ps = 0; ps < kPasses; ++ps) {
      float x[8];
      value(ps, x);
#pragma unroll
      for (int e = 0; e < 8; ++e) m = fmaxf(m, fabsf(x[e]));
    }
    m = block_max<kThreads / 32>(m, s.scratch, warp, lane);
    const Int8Scale q(m);
#pragma unroll
    for (int e = 0; e < 8; ++e) inverse[e] = q.inverse;
    if (p.mode == ScaleMode::kPerBlock) {
      if (tid == 0) p.scale[(int64_t)bh * nb + blk] = q.scale;
    } else if (tid < D) {
      p.scale[((int64_t)bh * nb + blk) * D + tid] = q.scale;
    }
  }

  bool finite = true;
#pragma unroll
  for (int e = 0; e < 8; ++e) finite = finite && inverse[e] < INFINITY;
#pragma unroll
  for (int ps = 0; ps < kPasses; ++ps) {
    float x[8];
    value(ps, x);
    const int tl = r0 + ps * kRows;
    const uint2 w = quantize_s8x8(x, inverse, finite);
    if (p.rows) {
      const int col = p.wgmma_tiles ? swizzled_byte(tl, 8 * c, D) : 8 * c;
      *reinterpret_cast<uint2*>(p.rows + ((int64_t)bh * npad + t0 + tl) * D + col) = w;
    }
    if (p.cols) *reinterpret_cast<uint2*>(s.staged + staged_word(tl, 2 * c)) = w;
  }
  if (p.cols) {
    // Thread (chunk, quad) writes 16 positions (perm32 order) of channels 4 quad .. 4 quad + 3: it reads those
    // 16 tokens' words of the quad and transposes them. Consecutive threads take consecutive chunks, so a warp
    // stores whole 64- or 128-byte rows.
    __syncthreads();
    for (int i = tid; i < kQuads * kChunks; i += kThreads) {
      const int ch = i % kChunks, quad = i / kChunks;
      uint32_t words[16];
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        const int pos = 16 * ch + j;
        const int token = p.cols_order == ColumnOrder::kPairs16 ? (pos & ~15) | pairs16_token(pos & 15)
                                                                : (pos & ~31) | perm32_token(pos & 31);
        words[j] = s.staged[staged_word(token, quad)];
      }
      uint32_t out[4][4];  // [channel][word]
#pragma unroll
      for (int g = 0; g < 4; ++g) {
        uint32_t t[4];
        transpose_bytes4x4(words + 4 * g, t);
#pragma unroll
        for (int e = 0; e < 4; ++e) out[e][g] = t[e];
      }
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int row = 4 * quad + e;
        int8_t* dst = p.wgmma_tiles
                          ? p.cols + (((int64_t)bh * nb + blk) * D + row) * BLK + swizzled_byte(row, 16 * ch, BLK)
                          : p.cols + ((int64_t)bh * D + row) * npad + t0 + 16 * ch;
        *reinterpret_cast<uint4*>(dst) = make_uint4(out[e][0], out[e][1], out[e][2], out[e][3]);
      }
    }
  }
}

// Unsigned division by a runtime divisor as a multiply-high, an add and a shift (Granlund and Montgomery), exact for
// dividends below 2^31: with divisions, the tile walk took about a fifth of the kernel's instructions (NOTES.md v13).
struct Divider {
  uint32_t divisor, multiplier, shift = 0;
  explicit Divider(uint32_t d) : divisor(d) {
    while ((1ull << shift) < d) ++shift;
    multiplier = static_cast<uint32_t>((1ull << 32) * ((1ull << shift) - d) / d + 1);
  }
  __device__ uint32_t divide(uint32_t x) const { return (__umulhi(x, multiplier) + x) >> shift; }
};

// Tile `tile` of a launch (tensor-major, then bh, then token block).
struct TilePosition {
  int tensor, bh, blk;
  __device__ TilePosition(int tile, const Divider& blocks, const Divider& heads) {
    const uint32_t row = blocks.divide(tile);  // tensor * heads + bh
    tensor = static_cast<int>(heads.divide(row));
    bh = static_cast<int>(row - static_cast<uint32_t>(tensor) * heads.divisor);
    blk = static_cast<int>(static_cast<uint32_t>(tile) - row * blocks.divisor);
  }
};

// Persistent: each thread block quantizes token blocks tile, tile + gridDim.x, ... of the launch (TilePosition: K
// first), and copies the next one's bf16 values into shared memory while it works on the current one, so that loads
// stay in flight through the barriers and arithmetic of each block. Each thread copies and reads back only its own
// pieces, so the copies need no barrier of their own; tokens past n are zero-filled.
// Four blocks per SM (64 registers): at two (97 registers) the fused launch measured slower than separate passes.
template <int D, int BLK>
__global__ void __launch_bounds__(kThreads, 4)
    quantize_kernel(const __grid_constant__ QuantizeLaunch launch, Divider blocks, Divider heads, int n, int npad) {
  using S = QuantizeShape<D, BLK>;
  constexpr int kVecs = S::kVecs, kRows = S::kRows, kPasses = S::kPasses;
  extern __shared__ __align__(16) uint8_t smem[];
  auto& s = *reinterpret_cast<QuantizeShared<D, BLK>*>(smem);
  const int tid = threadIdx.x, c = tid % kVecs, r0 = tid / kVecs;
  const int tiles = launch.count * static_cast<int>(blocks.divisor * heads.divisor);
  if (launch.zeroed != nullptr && blockIdx.x == 0 && tid < 2) launch.zeroed[tid] = 0;

  const auto prefetch = [&](int tile) {
    if (tile < tiles) {
      const TilePosition at(tile, blocks, heads);
      const uint16_t* x = launch.tensors[at.tensor].x;
      const int t = at.blk * BLK + r0;
      const uint16_t* src = x + ((int64_t)at.bh * n + t) * D + 8 * c;
#pragma unroll
      for (int ps = 0; ps < kPasses; ++ps) {
        const bool valid = t + ps * kRows < n;
        cp_async16(&s.next[(r0 + ps * kRows) * kVecs + c], valid ? src + ps * kRows * D : x, valid);
      }
    }
    cp_async_commit();
  };

  prefetch(blockIdx.x);
  for (int tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
    cp_async_wait<0>();
    uint4 raw[kPasses];
#pragma unroll
    for (int ps = 0; ps < kPasses; ++ps) raw[ps] = s.next[(r0 + ps * kRows) * kVecs + c];
    // raw's reads are complete before the next copy overwrites them, and the previous block is done with s.
    __syncthreads();
    prefetch(tile + gridDim.x);
    const TilePosition at(tile, blocks, heads);
    const QuantizeParams& p = launch.tensors[at.tensor];
    if (p.mean_partials)
      quantize_block<D, BLK, true>(p, s, raw, at.bh, at.blk, blocks.divisor, n, npad);
    else
      quantize_block<D, BLK, false>(p, s, raw, at.bh, at.blk, blocks.divisor, n, npad);
  }
}

// One thread per 16-byte chunk of acc's rows, kFinalizeRows<D> rows of one bh per block: 16-byte loads and no index
// divisions. With `wgmma`, the rows are in dq_chunk_channel's order (the wgmma backward's dq_acc).
template <int D>
constexpr int kFinalizeRows = kThreads / (D / 4);
template <int D>
__global__ void __launch_bounds__(kThreads) dq_finalize_kernel(const float* __restrict__ acc,
                                                                uint16_t* __restrict__ dq, int n, int npad,
                                                                bool wgmma) {
  constexpr int kChunks = D / 4;
  const int bh = blockIdx.y, c = threadIdx.x % kChunks, t = blockIdx.x * kFinalizeRows<D> + threadIdx.x / kChunks;
  if (t >= n) return;
  const float4 v = reinterpret_cast<const float4*>(acc + ((int64_t)bh * npad + t) * D)[c];
  uint16_t* row = dq + ((int64_t)bh * n + t) * D;
  if (wgmma) {
    const int ch = dq_chunk_channel(c, t);
    store_bf16x2(row + ch, v.x, v.y);
    store_bf16x2(row + ch + D / 2, v.z, v.w);
  } else {
    store_bf16x2(row + 4 * c, v.x, v.y);
    store_bf16x2(row + 4 * c + 2, v.z, v.w);
  }
}

}  // namespace

int k_mean_partials(const Problem& p) { return (p.tokens + kMeanChunk - 1) / kMeanChunk; }

void launch_k_sums(const Problem& p, const uint16_t* k, float* partial, cudaStream_t stream) {
  const dim3 grid(k_mean_partials(p), p.batch_heads);
  if (p.head_dim == 64)
    k_sum_kernel<64><<<grid, kThreads, 0, stream>>>(k, partial, p.tokens);
  else
    k_sum_kernel<128><<<grid, kThreads, 0, stream>>>(k, partial, p.tokens);
  check_launch("sage8 K sum");
}

void launch_quantize(const Problem& p, const QuantizeLaunch& tensors, cudaStream_t stream) {
  with_config(p, [&](auto d, auto b, auto) {
    constexpr int D = decltype(d)::value, BLK = decltype(b)::value, kBytes = sizeof(QuantizeShared<D, BLK>);
    const auto kernel = quantize_kernel<D, BLK>;
    cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kBytes);
    int per_sm = 0;
    cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, kBytes);
    const int tiles = tensors.count * p.batch_heads * p.blocks();
    // Overlapping the previous launch is safe only right after launch_k_sums (the kernel waits for it before
    // reading its sums), and only where the kernel's machine code has that wait (sm_90a).
    launch_overlapping(kernel, dim3(std::min(tiles, std::max(per_sm, 1) * multiprocessor_count())), kThreads, kBytes,
                       stream, tensors.after_k_sums && runs_sm90a(kernel), tensors,
                       Divider(p.blocks()), Divider(p.batch_heads), p.tokens, p.padded());
  });
  check_launch("sage8 quantize");
}

void launch_dq_finalize(const Problem& p, const float* acc, bool wgmma, uint16_t* dq, cudaStream_t stream) {
  with_config(p, [&](auto d, auto, auto) {
    constexpr int D = decltype(d)::value;
    const dim3 grid((p.tokens + kFinalizeRows<D> - 1) / kFinalizeRows<D>, p.batch_heads);
    dq_finalize_kernel<D><<<grid, kThreads, 0, stream>>>(acc, dq, p.tokens, p.padded(), wgmma);
  });
  check_launch("sage8 dQ finalize");
}

}  // namespace sage8_cuda
