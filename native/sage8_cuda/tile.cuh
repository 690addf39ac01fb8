// Shared tile utilities of the sage8 kernels: bf16 bits, asynchronous tile copies, ldmatrix fragment loads,
// the INT8 and BF16 mma.sync wrappers, and the token permutation that lets an accumulator feed the next matmul.
//
// Fragment layouts are PTX's for mma.m16n8k32 (s8) and mma.m16n8k16 (bf16). Both read 32 bytes of the reduced
// dimension per row and step, so one set of byte-addressed loaders serves both: a tile in shared memory is
// [rows][row_bytes] with the reduced dimension contiguous, padded by kRowPad bytes per row.
#pragma once

#include <cstdint>
#include <cstring>

namespace sage8_cuda {

// Programmatic dependent launch (sm_90; launch_overlapping in kernels.h): a kernel lets the next launch start
// early, and that one waits for it (completed, its writes visible) before reading what it wrote. Both are no-ops
// where the launch does not overlap.
__device__ inline void allow_dependent_launch() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}
__device__ inline void wait_for_prerequisite_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

// Padding after each shared-memory tile row. Row strides become 80, 144 or 272 bytes, so the 8 rows that one
// ldmatrix phase reads start in 8 different 16-byte bank groups: conflict-free without a swizzle.
constexpr int kRowPad = 16;

__host__ __device__ inline float bits_to_float(uint32_t u) {
#ifdef __CUDA_ARCH__
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}

__host__ __device__ inline uint32_t float_to_bits(float f) {
#ifdef __CUDA_ARCH__
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
#endif
}

__host__ __device__ inline float bf16_to_float(uint16_t h) { return bits_to_float(uint32_t(h) << 16); }

// Round to nearest even, as at::Tensor::to(kBFloat16) does; NaN stays NaN.
__host__ __device__ inline uint16_t float_to_bf16(float f) {
  uint32_t u = float_to_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

// Keys (or queries) feed the second matmul of a pair straight from the first one's accumulator registers. A
// thread's accumulator holds tokens {2t, 2t+1, 8+2t, 9+2t} of each 16, but an INT8 A fragment wants 4
// consecutive k. So every operand whose reduced dimension is tokens and that comes from memory (V^T, dO^T, Q^T,
// K^T, dS) stores, at position p of each group of 32 tokens, token perm32_token(p).
__host__ __device__ constexpr int perm32_token(int p) {
  return (p & 16) + ((p >> 2) & 3) * 2 + (p & 1) + ((p >> 1) & 1) * 8;
}
__host__ __device__ constexpr int perm32_pos(int token) {
  return (token & 16) + ((token >> 1) & 3) * 4 + ((token >> 3) & 1) * 2 + (token & 1);
}
__host__ __device__ constexpr int token_pos(int token) { return (token & ~31) | perm32_pos(token & 31); }

// Where byte `byte` of row `row` of a K-major tile with 64- or 128-byte rows sits within its row in the layout the
// wgmma shared-memory descriptors read (64- and 128-byte swizzle, tile 1024-byte aligned): each 16-byte chunk is
// XOR-ed with the row's place in its 512- or 1024-byte atom. The quantization passes write the wgmma forward's
// K and V^T tiles in this layout so that each tile is one contiguous copy.
__host__ __device__ constexpr int swizzled_byte(int row, int byte, int row_bytes) {
  return ((byte >> 4) ^ (row_bytes == 128 ? (row & 7) : ((row >> 1) & 3))) << 4 | (byte & 15);
}

#ifdef __CUDACC__

__device__ inline uint32_t smem_addr(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

// 16 bytes global -> shared without staging in registers; zero-filled when !valid (src is then not read).
__device__ inline void cp_async16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src),
               "r"(valid ? 16 : 0));
}
__device__ inline void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int Pending>
__device__ inline void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending));
}

// Copies a [Rows][RowBytes] tile (global row stride g_stride bytes) into shared memory with row stride
// RowBytes + kRowPad. Rows at or past valid_rows are zero-filled.
template <int Rows, int RowBytes, int Threads>
__device__ inline void load_tile_async(uint8_t* dst, const uint8_t* src, int64_t g_stride, int valid_rows, int tid) {
  constexpr int kChunks = RowBytes / 16;
  constexpr int kTotal = Rows * kChunks;
#pragma unroll
  for (int it = 0; it < (kTotal + Threads - 1) / Threads; ++it) {
    const int c = it * Threads + tid;
    if (kTotal % Threads == 0 || c < kTotal) {
      const int row = c / kChunks, col = (c % kChunks) * 16;
      const bool valid = row < valid_rows;
      cp_async16(dst + row * (RowBytes + kRowPad) + col, src + (valid ? row * g_stride + col : 0), valid);
    }
  }
}

// Copies Bytes (a multiple of 16) contiguous bytes into shared memory.
template <int Bytes, int Threads>
__device__ inline void load_vec_async(void* dst, const void* src, int tid) {
  constexpr int kChunks = Bytes / 16;
#pragma unroll
  for (int it = 0; it < (kChunks + Threads - 1) / Threads; ++it) {
    const int c = it * Threads + tid;
    if (kChunks % Threads == 0 || c < kChunks)
      cp_async16(static_cast<uint8_t*>(dst) + c * 16, static_cast<const uint8_t*>(src) + c * 16, true);
  }
}

__device__ inline void ldmatrix_x4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

// A fragment: rows [row0, row0+16) x bytes [byte0, byte0+32) of a tile with row stride `stride`.
__device__ inline void load_a(uint32_t (&a)[4], const uint8_t* tile, int stride, int row0, int byte0, int lane) {
  ldmatrix_x4(a, tile + (row0 + (lane & 7) + ((lane >> 3) & 1) * 8) * stride + byte0 + (lane >> 4) * 16);
}

// B fragments of two n8 tiles: rows (n) [n0, n0+16) x bytes (k) [byte0, byte0+32). b[0], b[1] serve n0..n0+7;
// b[2], b[3] serve n0+8..n0+15.
__device__ inline void load_b2(uint32_t (&b)[4], const uint8_t* tile, int stride, int n0, int byte0, int lane) {
  ldmatrix_x4(b, tile + (n0 + (lane & 7) + ((lane >> 4) << 3)) * stride + byte0 + ((lane >> 3) & 1) * 16);
}

// c += a * b, INT8 inputs, INT32 accumulation (16 x 8 x 32).
__device__ inline void mma_s8(int (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// c += a * b, BF16 inputs, FP32 accumulation (16 x 8 x 16).
__device__ inline void mma_bf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ inline float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// Round half to even and clamp to the symmetric INT8 range, as the reference's round().clamp(-127, 127).
__device__ inline int quantize_s8(float x) { return max(-127, min(127, __float2int_rn(x))); }

__device__ inline uint32_t pack_s8(int x0, int x1, int x2, int x3) {
  return (uint32_t(x0) & 0xffu) | ((uint32_t(x1) & 0xffu) << 8) | ((uint32_t(x2) & 0xffu) << 16) |
         (uint32_t(x3) << 24);
}

// The hot loops convert every score, P and dS element and every INT32 product once per tile. Float to INT8 goes
// through the FP32 pipe: for |x| < 2^22 the float 1.5 * 2^23 + x has x, rounded to an integer, in two's complement
// in its low mantissa bits (F2I runs at 16 per clock per SM, an eighth of the FP32 rate). INT32 to float is
// cvt.rn.f32.s32, which sm_90 compiles to I2FP.F32.S32: it measured faster than the same bias trick (one IADD, plus
// an FMUL per scale or an FADD per element; NOTES.md v19).
constexpr float kMagic = 12582912.f;  // 1.5 * 2^23
constexpr int kMagicBits = 0x4B400000;

// float(x), exact for |x| <= 2^24: an INT32 sum of INT8 x INT8 products over <= 1024 terms.
__device__ inline float small_int_to_float(int x) { return __int2float_rn(x); }

// An INT32 product times its scale (per channel or per tile), rounded once.
__device__ inline float scaled(int x, float c) { return __fmul_rn(small_int_to_float(x), c); }

// A tile's scores in base 2 per unit of the INT32 product: ((sQ * sK) * softmax_scale) * log2(e).
__device__ inline float scores_log2(float sq, float sk, float softmax_scale) {
  return __fmul_rn(__fmul_rn(__fmul_rn(sq, sk), softmax_scale), kLog2e);
}

// x rounded half to even (as cvt.rni and the reference's round()), for |x| < 127.5: the INT8 value is the low
// byte of the returned bits. The add does the rounding. Callers scale by 127 / max|x| of their own row or tile,
// so x never leaves that range and no clamp is needed.
__device__ inline uint32_t s8_bits(float x) { return __float_as_uint(__fadd_rn(x, kMagic)); }

// s8_bits of x * inverse, with the product rounded to the integer directly (one FFMA) rather than to fp32 first:
// the two differ only where x * inverse lies within an fp32 rounding of a half. For fp32 x (P, dS) that does not
// happen; for bf16 x it does, at exact ties of x * 127 / amax, where the reference rounds half to even: the passes
// over bf16 inputs use s8_bits(x * inverse) instead (harness/tie_probe.cpp).
// Callers pass an inverse of 127 / max|x| over x's slice, so |x * inverse| <= 127 (1 + 2^-24).
__device__ inline uint32_t s8_scaled(float x, float inverse) { return __float_as_uint(__fmaf_rn(x, inverse, kMagic)); }

// The low bytes of four registers packed into one, b0's lowest.
__device__ inline uint32_t pack_low_bytes(uint32_t b0, uint32_t b1, uint32_t b2, uint32_t b3) {
  return __byte_perm(__byte_perm(b0, b1, 0x0040), __byte_perm(b2, b3, 0x0040), 0x5410);
}

// The INT8 A fragment of k-step kk (tokens 32kk..32kk+31) from s8_bits values q[n8 tile][4] in accumulator layout
// (q[.][0..1]: row gid, q[.][2..3]: row gid+8), in perm32 token order.
template <int Tiles>
__device__ inline void pack_a(uint32_t (&a)[4], const uint32_t (&q)[Tiles][4], int kk) {
  a[0] = pack_low_bytes(q[4 * kk][0], q[4 * kk][1], q[4 * kk + 1][0], q[4 * kk + 1][1]);
  a[1] = pack_low_bytes(q[4 * kk][2], q[4 * kk][3], q[4 * kk + 1][2], q[4 * kk + 1][3]);
  a[2] = pack_low_bytes(q[4 * kk + 2][0], q[4 * kk + 2][1], q[4 * kk + 3][0], q[4 * kk + 3][1]);
  a[3] = pack_low_bytes(q[4 * kk + 2][2], q[4 * kk + 2][3], q[4 * kk + 3][2], q[4 * kk + 3][3]);
}

// The INT8 scale of values whose absolute maximum is amax: q = round(x * inverse), x ~ q * scale (the reference's
// 127 / amax and amax / 127; all zeros give inverse 0).
struct Int8Scale {
  float inverse, scale;
  __device__ explicit Int8Scale(float amax)
      : inverse(amax > 0.f ? 127.f / amax : 0.f), scale(amax / 127.f) {}  // IEEE divisions (nvcc's -prec-div)
};

// x (Tiles n8 tiles in accumulator layout) in INT8, x * inverse rounded half to even (s8_scaled), as the A fragments
// of the product that sums over the tiles' columns (perm32 order).
template <int Tiles>
__device__ inline void quantize_to_a(uint32_t (&a)[Tiles / 4][4], const float (&x)[Tiles][4], float inverse) {
  uint32_t q[Tiles][4];
#pragma unroll
  for (int t = 0; t < Tiles; ++t)
#pragma unroll
    for (int e = 0; e < 4; ++e) q[t][e] = s8_scaled(x[t][e], inverse);
#pragma unroll
  for (int kk = 0; kk < Tiles / 4; ++kk) pack_a(a[kk], q, kk);
}

// x (the same in every lane) as a value the compiler knows to be warp-uniform: branches on it do not diverge,
// which ptxas needs to keep wgmma pipelined and to apply setmaxnreg's budget to a warpgroup's branch.
__device__ inline int warp_uniform(int x) { return __shfl_sync(0xffffffffu, x, 0); }

__device__ inline float warp_max(float x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, o));
  return x;
}

// Max over the 4 threads of a quad (the threads sharing an accumulator row).
__device__ inline float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ inline int quad_max(int x) {
  x = max(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return max(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ inline float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

// Max of x over the whole thread block. `scratch` holds one float per warp; the caller's next write to it must
// come after a __syncthreads().
template <int Warps>
__device__ inline float block_max(float x, float* scratch, int warp, int lane) {
  x = warp_max(x);
  if (lane == 0) scratch[warp] = x;
  __syncthreads();
  float m = scratch[0];
#pragma unroll
  for (int w = 1; w < Warps; ++w) m = fmaxf(m, scratch[w]);
  return m;
}

// dst[0] += x0, dst[1] += x1 in global memory, without a return value (one vector reduction on sm_90).
__device__ inline void red_add_f32x2(float* dst, float x0, float x1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("red.global.add.v2.f32 [%0], {%1, %2};\n" ::"l"(dst), "f"(x0), "f"(x1) : "memory");
#else
  atomicAdd(dst, x0);
  atomicAdd(dst + 1, x1);
#endif
}

// x0 and x1 as bf16 (x0 in the low half), rounded to nearest even by one cvt: the same bits as float_to_bf16 for
// every non-NaN input.
__device__ inline uint32_t bf16x2_bits(float x0, float x1) {
  uint32_t d;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(d) : "f"(x1), "f"(x0));
  return d;
}

__device__ inline void store_bf16x2(uint16_t* dst, float x0, float x1) {
  *reinterpret_cast<uint32_t*>(dst) = uint32_t(float_to_bf16(x0)) | (uint32_t(float_to_bf16(x1)) << 16);
}

// Item `item` of blocks x batch_heads work items in groups of `group_heads` heads: within a group, block 0 of every
// head first, then block 1, and so on, so that the blocks running at once share a few heads' streams in L2. Returns
// the item's block (.x) and bh (.y); the last group may have fewer heads. The forward's persistent walk (next_unit)
// and the causal backward's launch order (launch_key_block) both use it.
__device__ inline int2 grouped_item(int item, int blocks, int batch_heads, int group_heads) {
  const int group = item / (group_heads * blocks), heads = min(group_heads, batch_heads - group * group_heads);
  const int k = item - group * group_heads * blocks;
  return make_int2(k / heads, group * group_heads + k % heads);
}

#endif  // __CUDACC__

}  // namespace sage8_cuda
