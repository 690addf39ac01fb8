// Hopper building blocks of the wgmma kernels: INT8 warpgroup MMAs with A in registers, the shared-memory
// descriptor of a swizzled K-major tile, mbarriers, one-dimensional bulk copies (the TMA engine without a tensor
// map) and register reallocation between warpgroups. All of it runs on sm_90a only: a kernel that uses it guards
// its body with SAGE8_HAS_WGMMA, defined in the sm_90a device pass; device passes for other targets do not see
// these functions at all (the host pass does, for parsing).
#pragma once

#include "tile.cuh"

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define SAGE8_HAS_WGMMA 1
#endif

namespace sage8_cuda {

#if defined(__CUDACC__) && (!defined(__CUDA_ARCH__) || defined(SAGE8_HAS_WGMMA))

// Orders this warpgroup's earlier register accesses before the wgmma that follows (PTX requires it whenever an
// accumulator or A-fragment register was touched by ordinary instructions).
__device__ inline void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ inline void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
// Waits until at most Pending committed groups of this warpgroup are still running.
template <int Pending>
__device__ inline void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(Pending) : "memory");
}

// Tells the compiler that registers change here, so that it neither reads an accumulator before the wgmma that
// writes it has been waited for, nor reuses an A fragment's registers while a wgmma may still read them.
template <int T>
__device__ inline void fence_registers(int (&r)[T][4]) {
#pragma unroll
  for (int i = 0; i < T; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) asm volatile("" : "+r"(r[i][e])::"memory");
}
template <int T>
__device__ inline void fence_registers(float (&r)[T][4]) {
#pragma unroll
  for (int i = 0; i < T; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) asm volatile("" : "+f"(r[i][e])::"memory");
}
template <int T>
__device__ inline void fence_registers(uint32_t (&r)[T][4]) {
#pragma unroll
  for (int i = 0; i < T; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) asm volatile("" : "+r"(r[i][e])::"memory");
}

// d (=|+=) a * b for one warpgroup: m64 nN k32, INT8 in, INT32 out. d[t][e] is, per warp, the accumulator of
// mma.m16n8's layout for n8 tile t (rows 16 * warp + gid (+8), columns 8t + 2tq (+1)); a is mma.m16n8k32's A
// fragment of the warp's 16 rows; b is an N x 32-byte K-major tile in shared memory, given by its descriptor.
// wgmma_s8_first overwrites d (its registers are outputs only, so the compiler need not keep old values alive);
// wgmma_s8 accumulates.
#define SAGE8_ACC4(c, t) c(d[t][0]), c(d[t][1]), c(d[t][2]), c(d[t][3])
#define SAGE8_ACC32(c, t) \
  SAGE8_ACC4(c, t), SAGE8_ACC4(c, t + 1), SAGE8_ACC4(c, t + 2), SAGE8_ACC4(c, t + 3), SAGE8_ACC4(c, t + 4), \
      SAGE8_ACC4(c, t + 5), SAGE8_ACC4(c, t + 6), SAGE8_ACC4(c, t + 7)
#define SAGE8_REGS32                                                                                         \
  "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, " \
  "%23, %24, %25, %26, %27, %28, %29, %30, %31"
#define SAGE8_REGS64                                                                                          \
  SAGE8_REGS32 ", %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, " \
               "%50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
#define SAGE8_DEFINE_WGMMA_S8(name, c, scale_d)                                                           \
  __device__ inline void name(int (&d)[8][4], const uint32_t (&a)[4], uint64_t desc) {                 \
    asm volatile(                                                                                       \
        "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"                                                    \
        "wgmma.mma_async.sync.aligned.m64n64k32.s32.s8.s8 {" SAGE8_REGS32 "}, {%32, %33, %34, %35}, %36, p;\n}\n" \
        : SAGE8_ACC32(c, 0)                                                                             \
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "r"(scale_d));                         \
  }                                                                                                     \
  __device__ inline void name(int (&d)[16][4], const uint32_t (&a)[4], uint64_t desc) {                \
    asm volatile(                                                                                       \
        "{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"                                                    \
        "wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 {" SAGE8_REGS64 "}, {%64, %65, %66, %67}, %68, p;\n}\n" \
        : SAGE8_ACC32(c, 0), SAGE8_ACC32(c, 8)                                                          \
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "r"(scale_d));                         \
  }
SAGE8_DEFINE_WGMMA_S8(wgmma_s8_first, "=r", 0)
SAGE8_DEFINE_WGMMA_S8(wgmma_s8, "+r", 1)
#undef SAGE8_DEFINE_WGMMA_S8

// d (=|+=) a * b with both operands in shared memory (K-major tiles, by descriptor): INT8 m64 nN k32 into INT32,
// or BF16 m64 n128 k16 into FP32. The _first forms overwrite d, the others accumulate.
#define SAGE8_DEFINE_WGMMA_SS(name, c, scale_d)                                                               \
  __device__ inline void name(int (&d)[8][4], uint64_t desc_a, uint64_t desc_b) {                          \
    asm volatile(                                                                                           \
        "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"                                                        \
        "wgmma.mma_async.sync.aligned.m64n64k32.s32.s8.s8 {" SAGE8_REGS32 "}, %32, %33, p;\n}\n"            \
        : SAGE8_ACC32(c, 0)                                                                                 \
        : "l"(desc_a), "l"(desc_b), "r"(scale_d));                                                          \
  }                                                                                                         \
  __device__ inline void name(int (&d)[16][4], uint64_t desc_a, uint64_t desc_b) {                         \
    asm volatile(                                                                                           \
        "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"                                                        \
        "wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 {" SAGE8_REGS64 "}, %64, %65, p;\n}\n"           \
        : SAGE8_ACC32(c, 0), SAGE8_ACC32(c, 8)                                                              \
        : "l"(desc_a), "l"(desc_b), "r"(scale_d));                                                          \
  }
SAGE8_DEFINE_WGMMA_SS(wgmma_s8_ss_first, "=r", 0)
SAGE8_DEFINE_WGMMA_SS(wgmma_s8_ss, "+r", 1)
#undef SAGE8_DEFINE_WGMMA_SS
#define SAGE8_DEFINE_WGMMA_BF16_SS(name, c, scale_d)                                                          \
  __device__ inline void name(float (&d)[16][4], uint64_t desc_a, uint64_t desc_b) {                       \
    asm volatile(                                                                                           \
        "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"                                                        \
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {" SAGE8_REGS64 "}, %64, %65, p, 1, 1, 0, 0;\n}\n" \
        : SAGE8_ACC32(c, 0), SAGE8_ACC32(c, 8)                                                              \
        : "l"(desc_a), "l"(desc_b), "r"(scale_d));                                                          \
  }
SAGE8_DEFINE_WGMMA_BF16_SS(wgmma_bf16_ss_first, "=f", 0)
SAGE8_DEFINE_WGMMA_BF16_SS(wgmma_bf16_ss, "+f", 1)
#undef SAGE8_DEFINE_WGMMA_BF16_SS
#undef SAGE8_REGS64
#undef SAGE8_REGS32
#undef SAGE8_ACC32
#undef SAGE8_ACC4

// Descriptor of a K-major INT8 tile with 64- or 128-byte rows in the swizzled layout of swizzled_byte (tile at a
// 1024-byte boundary): start address / 16, leading offset 1 (unused when swizzled), 8-row groups 8 * row_bytes
// apart, swizzle mode 1 (128 B) or 2 (64 B). The next 32 bytes of K: add 2 (32 / 16) to the descriptor.
// Verified element for element on the H200 by harness/mma_probe.cu.
__device__ inline uint64_t kmajor_desc(uint32_t tile_smem_addr, int row_bytes) {
  const uint64_t start = (tile_smem_addr & 0x3FFFF) >> 4;
  const uint64_t swizzle = row_bytes == 128 ? 1 : 2;
  return start | (uint64_t(1) << 16) | (uint64_t(8 * row_bytes / 16) << 32) | (swizzle << 62);
}

// Makes this thread's ordinary shared-memory stores visible to wgmma (the async proxy), which reads operands after
// a barrier that follows this fence.
__device__ inline void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
// The same for global memory: ordinary stores this thread has seen (an acquire), before its bulk operations on them.
__device__ inline void fence_proxy_async_global() { asm volatile("fence.proxy.async.global;\n" ::: "memory"); }

// Stores four 8 x 8 matrices of 16-bit elements: lanes 8i..8i+7 give the row addresses (16 bytes each) of matrix i;
// r[i] is matrix i in the mma accumulator layout (row lane / 4, columns 2 (lane % 4) and 2 (lane % 4) + 1).
__device__ inline void stmatrix_x4(void* row_address, const uint32_t (&r)[4]) {
  asm volatile("stmatrix.sync.aligned.m8n8.x4.shared.b16 [%0], {%1, %2, %3, %4};\n" ::"r"(smem_addr(row_address)),
               "r"(r[0]), "r"(r[1]), "r"(r[2]), "r"(r[3])
               : "memory");
}

// A warp's 16 rows of D values, times their row's scale, in bf16 to rows row0 .. row0 + 15 of out ([n][D]; rows at or
// past n skipped). g: the accumulator layout (g[t][0..1]: row lane / 4 of the warp's slab, channels 8t + 2 (lane % 4)
// and + 1; g[t][2..3]: the same of row lane / 4 + 8, whose scale is row_scale[1]). Through `staging` (16 x D x 2 bytes,
// the warp's alone): stmatrix into 16-byte chunks XOR-ed with row & 7, so that neither the writes nor the reads
// conflict on banks, then read back in row order and stored 16 bytes per lane, whole rows per instruction. Stored
// straight from the accumulator layout, every 4-byte store of a warp touches eight rows: at hd 128 N = 1K those stores
// took up to a sixth of the forward kernel's time (NOTES.md v14).
template <int D>
__device__ inline void store_warp_rows(const float (&g)[D / 8][4], const float (&row_scale)[2], int row0, int n,
                                       uint16_t* out, uint8_t* staging, int lane) {
  constexpr int kChunks = D / 8;  // 16-byte chunks per row: chunk t holds the channels of n8 tile t
  uint32_t h[kChunks][2];  // bf16x2 of each row's channel pair
#pragma unroll
  for (int t = 0; t < kChunks; ++t)
#pragma unroll
    for (int r = 0; r < 2; ++r)
      h[t][r] = bf16x2_bits(__fmul_rn(g[t][2 * r], row_scale[r]), __fmul_rn(g[t][2 * r + 1], row_scale[r]));
  // Matrix i of each stmatrix: rows 8 (i & 1) .. + 7 of n8 tile t + (i >> 1); lane 8i + x gives its row x.
  const int srow = (lane & 7) + 8 * ((lane >> 3) & 1);
  uint8_t* row_address = staging + srow * D * 2;
#pragma unroll
  for (int t = 0; t < kChunks; t += 2) {
    const uint32_t r[4] = {h[t][0], h[t][1], h[t + 1][0], h[t + 1][1]};
    stmatrix_x4(row_address + (((t + (lane >> 4)) ^ (srow & 7)) << 4), r);
  }
  __syncwarp();
#pragma unroll
  for (int i = 0; i < 16 * kChunks / 32; ++i) {
    const int k = 32 * i + lane, row = k / kChunks, chunk = k % kChunks;
    const uint4 v = *reinterpret_cast<const uint4*>(staging + row * D * 2 + ((chunk ^ (row & 7)) << 4));
    if (row0 + row < n) *reinterpret_cast<uint4*>(out + (int64_t)(row0 + row) * D + 8 * chunk) = v;
  }
  __syncwarp();  // the staging may be written again
}

// Stores four 8 x 8 matrices of 16-bit elements transposed: lanes 8i..8i+7 give the row addresses (16 bytes each)
// of matrix i, which receive its columns; r[i] is matrix i in the mma accumulator layout (row lane / 4, columns
// 2 (lane % 4) and 2 (lane % 4) + 1).
__device__ inline void stmatrix_x4_trans(void* row_address, const uint32_t (&r)[4]) {
  asm volatile("stmatrix.sync.aligned.m8n8.x4.trans.shared.b16 [%0], {%1, %2, %3, %4};\n" ::"r"(smem_addr(row_address)),
               "r"(r[0]), "r"(r[1]), "r"(r[2]), "r"(r[3])
               : "memory");
}

// ---- mbarriers (shared-memory barriers that also count the bytes of bulk copies)

__device__ inline void mbar_init(uint64_t* bar, int count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_addr(bar)), "r"(count) : "memory");
}
// Makes barrier initialisation visible to the copy engine (and to the other threads, after a __syncthreads).
__device__ inline void fence_mbar_init() { asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory"); }
// One arrival, and `bytes` more to land before the phase completes.
__device__ inline void mbar_arrive_expect_tx(uint64_t* bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_addr(bar)), "r"(bytes)
               : "memory");
}
// One arrival where `pred` holds. Predicated inside the asm rather than branched around: a divergent branch
// while a wgmma is in flight makes ptxas serialize every wgmma of the kernel (C7518).
__device__ inline void mbar_arrive_if(uint64_t* bar, bool pred) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %1, 0;\n@p mbarrier.arrive.shared::cta.b64 _, [%0];\n}\n" ::"r"(
                   smem_addr(bar)),
               "r"(int(pred))
               : "memory");
}
// Waits for the completion of the barrier's phase of the given parity, looping inside the asm. No correct wait
// lasts a second: after 2^32 clocks a protocol bug traps (the launch fails with an error) instead of hanging. The
// clock is read only once the first try has failed (the hd 64 backward measured 0.97-0.99x: NOTES.md v19).
__device__ inline void mbar_wait(uint64_t* bar, uint32_t parity) {
  asm volatile(
      "{\n.reg .pred p;\n.reg .u64 t0, t1;\n"
      "mbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n@p bra DONE;\nmov.u64 t0, %%clock64;\n"
      "WAIT:\nmbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n@p bra DONE;\n"
      "mov.u64 t1, %%clock64;\nsub.u64 t1, t1, t0;\nsetp.gt.u64 p, t1, 4294967296;\n@p trap;\nbra WAIT;\n"
      "DONE:\n}\n" ::"r"(smem_addr(bar)),
      "r"(parity)
      : "memory");
}

// Waits until the global counter reaches target, with acquire semantics (what each increment published is visible).
// As mbar_wait, a wait past 2^32 clocks traps instead of hanging.
__device__ inline void wait_for_count(const int* counter, int target) {
  const long long start = clock64();
  for (;;) {
    int seen;
    asm volatile("ld.acquire.gpu.global.s32 %0, [%1];\n" : "=r"(seen) : "l"(counter) : "memory");
    if (seen >= target) return;
    if (clock64() - start > (1ll << 32)) __trap();
    __nanosleep(128);
  }
}

// `bytes` (a multiple of 16, both addresses 16-byte aligned) from global to shared memory by the copy engine,
// counted on `bar`.
__device__ inline void bulk_copy_to_smem(void* dst, const void* src, uint32_t bytes, uint64_t* bar) {
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(
                   smem_addr(dst)),
               "l"(src), "r"(bytes), "r"(smem_addr(bar))
               : "memory");
}

// The box at coordinates (c0, c1, c2), innermost first, of a 3-D TMA tensor map (a __grid_constant__ kernel
// parameter) into shared memory by the copy engine, counted on `bar` (the whole box's bytes, out-of-bounds elements
// zero-filled).
__device__ inline void tma_load_3d(void* dst, const void* map, int c0, int c1, int c2, uint64_t* bar) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], "
      "[%5];\n" ::"r"(smem_addr(dst)),
      "l"(map), "r"(c0), "r"(c1), "r"(c2), "r"(smem_addr(bar))
      : "memory");
}

// dst[0 .. bytes/4) += the fp32 values at src (shared memory), by the copy engine with the additions in L2 (both
// 16-byte aligned, bytes a multiple of 16), as part of this thread's current bulk group.
__device__ inline void bulk_reduce_add_f32(float* dst, const void* src, uint32_t bytes) {
  asm volatile("cp.reduce.async.bulk.global.shared::cta.bulk_group.add.f32 [%0], [%1], %2;\n" ::"l"(dst),
               "r"(smem_addr(src)), "r"(bytes)
               : "memory");
}
__device__ inline void bulk_commit() { asm volatile("cp.async.bulk.commit_group;\n" ::: "memory"); }
// Waits until this thread's bulk groups have read their shared-memory sources (the space may be written again).
__device__ inline void bulk_wait_read() { asm volatile("cp.async.bulk.wait_group.read 0;\n" ::: "memory"); }
// Waits until this thread's bulk groups are complete (their writes performed).
__device__ inline void bulk_wait() { asm volatile("cp.async.bulk.wait_group 0;\n" ::: "memory"); }

// The first 1024-byte aligned address at or after raw (dynamic shared memory is only 16-byte aligned; swizzled
// tiles need their atom alignment).
__device__ inline uint8_t* aligned_smem(uint8_t* raw) { return raw + ((1024 - (smem_addr(raw) & 1023)) & 1023); }

// Named barriers 1..15 (0 is __syncthreads): `threads` (a multiple of 32) take part and wait for each other.
__device__ inline void named_barrier_sync(int id, int threads) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

// Arrives on named barrier `id` without waiting (the other side of a named_barrier_sync over `threads`).
__device__ inline void named_barrier_arrive(int id, int threads) {
  asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

// Register budget per thread of the executing warpgroup from here on (the kernel must declare a cap at entry).
template <int Regs>
__device__ inline void grow_registers() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(Regs));
}
template <int Regs>
__device__ inline void shrink_registers() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(Regs));
}

#endif  // __CUDACC__ && (host pass || SAGE8_HAS_WGMMA)

}  // namespace sage8_cuda
