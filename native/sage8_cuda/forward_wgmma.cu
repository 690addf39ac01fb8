// The fused forward on Hopper (sm_90a), FlashAttention-3 style, with the numerics of forward.cu bit for bit (both
// use forward_tile.cuh). A thread block works on units of 128 query rows (fetched one after another where rows are
// short: next_unit) and has three warpgroups:
//   producer   one thread copies a unit's Q rows (bf16) into shared memory and streams each key tile's K [BK][D],
//              V^T [D][BK] (INT8) and sV [D] into a ring of kStages shared-memory stages, all with bulk copies (the
//              TMA engine) counted on mbarriers (a stage's `full`); it refills a stage once the consumers have
//              released it on its `empty` mbarrier.
//   consumers  two warpgroups of 64 query rows each: Q's rows quantized to INT8 (as the quantization pass quantizes
//              a block for the mma.sync forward) into a K-major tile in shared memory, S = Q K^T by wgmma with both
//              operands in shared memory (Q's tile, K from the stage; no registers held for Q),
//              the online softmax and P's per-row INT8 quantization in registers, then P V by wgmma with P's
//              fragments straight from registers (perm32 token order, as in forward.cu).
// Per key tile a consumer issues S_{j+1} = Q K_{j+1}^T together with P_j V_j, then folds P_j V_j into O while it
// exponentiates S_{j+1} (consume() says why).
// The forward's quantization launch skips Q and writes K and V^T as the stage images (tile.cuh swizzled_byte;
// kernels.h): a stage is three contiguous copies, and the wgmma descriptors read the swizzled tiles directly.
#include "forward_tile.cuh"
#include "kernels.h"
#include "wgmma.cuh"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

namespace sage8_cuda {
namespace {

constexpr int kConsumers = 2;              // warpgroups of 64 query rows
constexpr int kQueryRows = 64 * kConsumers;
constexpr int kThreads = 128 * (kConsumers + 1);  // a producer warpgroup and the consumers
constexpr int kStages = 4;

// Shared memory, from a 1024-byte aligned base (the swizzle atoms): kStages K tiles, kStages V^T tiles, kStages sV
// vectors, the block's Q rows (bf16), each consumer's quantized Q tile (K-major, swizzled as K's), each consumer
// warp's O staging (16 rows of D bf16, store_rows_staged), the full and empty mbarriers of each stage and of Q's
// rows, each consumer warp's Q absmax, then the last two units the producer fetched (persistent walk).
template <int D, int BK>
struct StageLayout {
  static constexpr int kTileBytes = BK * D;
  static constexpr int kK = 0;
  static constexpr int kV = kK + kStages * kTileBytes;
  static constexpr int kSv = kV + kStages * kTileBytes;
  static constexpr int kQ = (kSv + kStages * D * 4 + 1023) / 1024 * 1024;
  static constexpr int kQ8 = kQ + kQueryRows * D * 2;
  static constexpr int kO = kQ8 + kQueryRows * D;
  static constexpr int kFull = kO + kQueryRows * D * 2;
  static constexpr int kEmpty = kFull + kStages * 8;
  static constexpr int kQFull = kEmpty + kStages * 8;
  static constexpr int kQEmpty = kQFull + 8;
  static constexpr int kQMax = kQEmpty + 8;
  static constexpr int kUnits = kQMax + kConsumers * 4 * 4;  // two int2
  static constexpr int kBytes = kUnits + 2 * 8;
  static constexpr int kAllocBytes = kBytes + 1024;  // dynamic shared memory is only 16-byte aligned
  static constexpr uint32_t kStageTxBytes = 2 * kTileBytes + D * 4;
  static_assert(kQueryRows % BK == 0, "a block's query rows are whole quantization blocks");
  static_assert(kStages * kStageTxBytes == kSv + kStages * D * 4 - kK, "a stage expects the bytes of its three slots");
  static_assert(kK % 1024 == 0 && kV % 1024 == 0 && kTileBytes % 1024 == 0 && kQ8 % 1024 == 0,
                "the wgmma operand tiles start on the 1024-byte swizzle atoms");
};

// Whether the forward walks its units persistently (next_unit): rows of at most this many key tiles.
constexpr int kPersistentTiles = 32;

// Whether the two consumers take turns for their folds and exponentials (consume()). At head_dim 64 a tile's fold
// and exponentials are short beside its waits, and with turns one consumer's fold and exponentials run while the
// other consumer waits for its products (0.89x the time at N = 16K); not in the causal persistent walk, where turns
// measured 0.98-1.02x. At head_dim 128 a consumer's fold and exponentials alone reach about half the issue rate,
// and turns measured 1.03-1.07x there (NOTES.md v12). Consumer c waits for its turn on named barrier 3 + c and
// passes it by arriving on the other's; the kernel gives consumer 0 the first turn and takes consumer 1's last
// pass, so that both barriers end balanced (both consumers take equally many turns per unit).
template <int D, bool kCausal, bool kPersistent>
constexpr bool kTurns = D == 64 && !(kCausal && kPersistent);

#ifdef SAGE8_HAS_WGMMA

// A work unit: query rows q0 .. q0 + kQueryRows - 1 of bh.
struct Unit {
  int bh, q0;
};

// Without kPersistent the grid is (query blocks, bh), one unit per block, causal ones longest first (at hd 128
// N = 16K the persistent walk measured 2.5-4% slower; NOTES.md v6).
template <bool kCausal>
__device__ inline Unit block_unit() {
  return {int(blockIdx.y), int(kCausal ? gridDim.x - 1 - blockIdx.x : blockIdx.x) * kQueryRows};
}

// kPersistent (short rows, where a unit's fixed costs are a large share: Q's load and quantization, the first tile's
// softmax not overlapped, O's store): one block per SM, whose producer fetches units from counter[0] (atomically;
// the quantization launch leaves it zero) and loads the next unit's Q rows and first key tiles while the consumers
// finish the current one. The order: groups of kGroupHeads bh (whose K and V the blocks running at once share in
// L2), within a group causal units longest first, so that the last units fetched are short and the blocks finish
// within about a key tile of each other (static turns over pairs of query blocks left a quarter of the SMs idle
// for the last pair at N = 1K causal: 1024 pairs over 132 SMs; NOTES.md v14). Returns bh < 0 past the last unit;
// the block that fetches last of all then resets the counters (counter[1] counts the blocks that are done fetching)
// for the next launch.
template <bool kCausal>
__device__ inline Unit next_unit(int* counter, int nqb, int batch_heads) {
  constexpr int kGroupHeads = 16;
  const int item = atomicAdd(counter, 1);
  if (item >= nqb * batch_heads) {
    if (atomicAdd(counter + 1, 1) == int(gridDim.x) - 1) {
      counter[0] = 0;
      counter[1] = 0;
    }
    return {-1, 0};
  }
  const int2 at = grouped_item(item, nqb, batch_heads, kGroupHeads);
  return {at.y, (kCausal ? nqb - 1 - at.x : at.x) * kQueryRows};
}

// Key tiles of the query block from q0 (causal: those at or below its last row).
template <int BK, bool kCausal>
__device__ inline int key_tiles(int q0, int n, int nb) {
  return kCausal ? min(nb, (min(q0 + kQueryRows, n) - 1) / BK + 1) : nb;
}

// Issues the copies of key tile j of bh into the stage of the block's g-th tile (counted over all its units), once
// the consumers have released that stage's previous tile.
template <int D, int BK>
struct TileLoader {
  using L = StageLayout<D, BK>;
  const int8_t* k8;  // [bh][nb] K tiles
  const int8_t* vt;  // [bh][nb] V^T tiles
  const float* sv;   // [bh][nb][D]
  int nb;
  uint8_t* smem;
  uint64_t* full;
  uint64_t* empty;

  __device__ void load(int bh, int j, int g) const {
    const int s = g % kStages;
    if (g >= kStages) mbar_wait(&empty[s], (g / kStages - 1) & 1);  // the consumers are done with tile g - kStages
    mbar_arrive_expect_tx(&full[s], L::kStageTxBytes);
    const int64_t tile = (int64_t)bh * nb + j;  // K and V^T tiles are [bh][nb][BK * D] (kernels.h tile layout)
    bulk_copy_to_smem(smem + L::kK + s * L::kTileBytes, k8 + tile * L::kTileBytes, L::kTileBytes, &full[s]);
    bulk_copy_to_smem(smem + L::kV + s * L::kTileBytes, vt + tile * L::kTileBytes, L::kTileBytes, &full[s]);
    bulk_copy_to_smem(smem + L::kSv + s * D * 4, sv + tile * D, D * 4, &full[s]);
  }
};

// The absmax of |x| over the 8 bf16 values of v, folded into m (fmaxf, as quantize.cu: max is exact in any order).
__device__ inline float absmax_bf16x8(float m, const uint4& v) {
  const uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 4; ++i)
    m = fmaxf(m, fmaxf(fabsf(bits_to_float(w[i] << 16)), fabsf(bits_to_float(w[i] & 0xffff0000u))));
  return m;
}

// Q's INT8 A fragments (mma.m16n8k32 layout) of the warp's 16 rows, quantized from the block's bf16 Q rows in
// shared memory (qs: [kQueryRows][D], rows at or past `rows` hold no data and count as the zero padding) exactly as
// quantize.cu quantizes a token block for the mma.sync forward: amax over the block, x * (127 / amax) rounded half
// to even (s8_bits: |x * inverse| <= 127 needs no clamp). Returns the block's scale amax / 127. A consumer's 64 rows
// (from row_c, relative to the block's first) are one quantization block at BK = 64 and half of one at BK = 128;
// then it reads the other half's rows too, for their absmax only, so that neither consumer waits for the other.
// The consumer's four warps exchange their maxima through q_max (4 floats) and named barrier `barrier`.
template <int D, int BK>
__device__ __forceinline__ float quantize_q_fragments(const uint16_t* qs, int rows, int row_c, int warp, int lane,
                                                      float* q_max, int barrier, uint32_t (&qf)[D / 32][4]) {
  const int gid = lane / 4, tq = lane % 4, tid = 32 * warp + lane;
  // The fragments' values: per k-step kk and register x, channels 32 kk + 16 (x >> 1) + 4 tq .. + 3 of row
  // row_c + 16 warp + gid + 8 (x & 1), as four bf16 in a uint2.
  uint2 raw[D / 32][4];
#pragma unroll
  for (int kk = 0; kk < D / 32; ++kk)
#pragma unroll
    for (int x = 0; x < 4; ++x) {
      const int row = row_c + 16 * warp + gid + 8 * (x & 1), col = 32 * kk + 16 * (x >> 1) + 4 * tq;
      raw[kk][x] = row < rows ? *reinterpret_cast<const uint2*>(qs + row * D + col) : make_uint2(0u, 0u);
    }
  float m = 0.f;
  if (BK == 128) {  // the block's other 64 rows, 8 channels per load, consecutive threads along a row
    constexpr int kVecs = D / 8, kLoads = 64 * kVecs / 128;
    const int other = row_c ^ 64;
#pragma unroll
    for (int i = 0; i < kLoads; ++i) {
      const int idx = i * 128 + tid, row = other + idx / kVecs;
      if (row < rows) m = absmax_bf16x8(m, *reinterpret_cast<const uint4*>(qs + row * D + 8 * (idx % kVecs)));
    }
  }
#pragma unroll
  for (int kk = 0; kk < D / 32; ++kk)
#pragma unroll
    for (int x = 0; x < 4; x += 2)
      m = absmax_bf16x8(m, make_uint4(raw[kk][x].x, raw[kk][x].y, raw[kk][x + 1].x, raw[kk][x + 1].y));
  m = warp_max(m);
  if (lane == 0) q_max[warp] = m;
  named_barrier_sync(barrier, 128);
  const float amax = fmaxf(fmaxf(q_max[0], q_max[1]), fmaxf(q_max[2], q_max[3]));
  const Int8Scale q(amax);
  const auto s8 = [&](uint32_t bf16_high) { return s8_bits(__fmul_rn(bits_to_float(bf16_high), q.inverse)); };
#pragma unroll
  for (int kk = 0; kk < D / 32; ++kk)
#pragma unroll
    for (int x = 0; x < 4; ++x) {
      const uint2 w = raw[kk][x];
      qf[kk][x] = pack_low_bytes(s8(w.x << 16), s8(w.x & 0xffff0000u), s8(w.y << 16), s8(w.y & 0xffff0000u));
    }
  return q.scale;
}

// O = o / l in bf16 and LSE for the warp's 16 rows from row_w below n (out: [n][D] of this bh, lse: [n]); O goes
// through the warp's staging area (store_warp_rows).
template <int D>
__device__ inline void store_rows_staged(const float (&o)[D / 8][4], const float (&m)[2], const float (&l)[2],
                                         int row_w, int n, uint16_t* out, float* lse, uint8_t* staging, int lane) {
  float inverse[2], row_lse[2];
  row_totals(m, l, inverse, row_lse);
  store_warp_rows<D>(o, inverse, row_w, n, out, staging, lane);
  const int gid = lane / 4;
#pragma unroll
  for (int r = 0; r < 2; ++r)
    if (lane % 4 == 0 && row_w + gid + 8 * r < n) lse[row_w + gid + 8 * r] = row_lse[r];
}

// One consumer warpgroup on one unit: query rows q0 + 64 * wg ... + 63 of bh, the block's unit u, whose key tiles
// are the block's tiles g0 .. g0 + tiles - 1 (the stage ring's count).
template <int D, int BK, bool kCausal, bool kPersistent>
__device__ inline void consume(const ForwardParams& f, const TileLoader<D, BK>& loader, int wg, int bh, int q0, int n,
                               int nb, int tiles, int g0, int u, float softmax_scale) {
  using L = StageLayout<D, BK>;
  uint8_t* smem = loader.smem;
  uint64_t* full = loader.full;
  uint64_t* empty = loader.empty;
  constexpr int T = BK / 8, C = D / 8;
  const int tid = threadIdx.x % 128, warp = warp_uniform(tid / 32), lane = tid % 32, gid = lane / 4, tq = lane % 4;
  const int row_w = q0 + 64 * wg + 16 * warp;  // the warp's first query row
  const float* skg = f.sk + (int64_t)bh * nb;

  // Named barrier 1 + wg: consumer wg's Q absmax exchange and Q tile.
  // Q's INT8 rows go to the consumer's K-major tile for the wgmma's A operand: fragment word x of k-step kk holds
  // row 16 warp + gid + 8 (x & 1), bytes 32 kk + 16 (x >> 1) + 4 tq .. + 3. The async proxy (wgmma) reads it after
  // the proxy fence and the warpgroup's barrier.
  uint8_t* q_tile = smem + L::kQ8 + wg * 64 * D;
  float sq;
  {
    uint32_t qf[D / 32][4];
    mbar_wait(reinterpret_cast<uint64_t*>(smem + L::kQFull), u & 1);
    sq = quantize_q_fragments<D, BK>(reinterpret_cast<const uint16_t*>(smem + L::kQ), n - q0, 64 * wg, warp, lane,
                                     reinterpret_cast<float*>(smem + L::kQMax) + 4 * wg, 1 + wg, qf);
    if constexpr (kPersistent) {  // the next unit's Q rows may come
      __syncwarp();
      mbar_arrive_if(reinterpret_cast<uint64_t*>(smem + L::kQEmpty), lane == 0);
    }
#pragma unroll
    for (int kk = 0; kk < D / 32; ++kk)
#pragma unroll
      for (int x = 0; x < 4; ++x) {
        const int row = 16 * warp + gid + 8 * (x & 1), byte = 32 * kk + 16 * (x >> 1) + 4 * tq;
        *reinterpret_cast<uint32_t*>(q_tile + row * D + swizzled_byte(row, byte, D)) = qf[kk][x];
      }
    fence_proxy_async();
    named_barrier_sync(1 + wg, 128);
  }
  const uint64_t q_desc = kmajor_desc(smem_addr(q_tile), D);

  const uint64_t k_desc = kmajor_desc(smem_addr(smem + L::kK), D);
  const uint64_t v_desc = kmajor_desc(smem_addr(smem + L::kV), BK);
  constexpr uint64_t kStageDesc = L::kTileBytes >> 4;  // descriptor step from one stage's tile to the next
  const float* sv_s = reinterpret_cast<const float*>(smem + L::kSv);

  float o[C][4];
#pragma unroll
  for (int i = 0; i < C; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) o[i][e] = 0.f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
  int s_acc[T][4], pv_acc[C][4];

  auto qk = [&](int j) {  // S_j = Q K_j^T, asynchronously
    const uint64_t desc = k_desc + ((g0 + j) % kStages) * kStageDesc;
    wgmma_s8_ss_first(s_acc, q_desc, desc);
#pragma unroll
    for (int kk = 1; kk < D / 32; ++kk) wgmma_s8_ss(s_acc, q_desc + 2 * kk, desc + 2 * kk);
    wgmma_commit();
  };
  auto pv = [&](int j, const uint32_t(&pf)[T / 4][4]) {  // PV_j = P_j V_j, asynchronously
    const uint64_t desc = v_desc + ((g0 + j) % kStages) * kStageDesc;
    wgmma_s8_first(pv_acc, pf[0], desc);
#pragma unroll
    for (int kk = 1; kk < T / 4; ++kk) wgmma_s8(pv_acc, pf[kk], desc + 2 * kk);
    wgmma_commit();
  };

  // Tile 0's softmax, then per key tile j: issue S_{j+1} = Q K_{j+1}^T and P_j V_j together; once S_{j+1} is in,
  // take its row max while P_j V_j finishes; then fold P_j V_j into O and exponentiate S_{j+1} in one straight-line
  // block, so that the fold's FMAs fill the issue slots between the MUFU ops (the softmax is MUFU- and
  // latency-bound, the fold neither). The two consumers issue independently: FlashAttention-3's ping-pong turns
  // measured 2-3% slower here at head_dim 128 (NOTES.md). Where kTurns holds, the consumers' folds and
  // exponentials take turns instead (named barriers 3 and 4; consumer 1 gives consumer 0 the first turn).
  constexpr bool kTaking = kTurns<D, kCausal, kPersistent>;
  auto take_turn = [&] {
    if constexpr (kTaking) named_barrier_sync(3 + wg, 256);
  };
  auto pass_turn = [&] {
    if constexpr (kTaking) named_barrier_arrive(3 + (1 - wg), 256);
  };
  float alpha[2], p_scale[2];
  uint32_t pf[T / 4][4], bias_bits[2];
  mbar_wait(&full[g0 % kStages], (g0 / kStages) & 1);
  wgmma_fence();
  qk(0);
  wgmma_wait<0>();
  fence_registers(s_acc);
  {
    const TileExponent ex(scores_log2(sq, skg[0], softmax_scale));
    tile_max<T, kCausal>(s_acc, ex, 0, row_w, n, gid, tq, m, l, alpha, p_scale, bias_bits);  // O is still zero
    take_turn();
    tile_exp(s_acc, bias_bits, ex, p_scale, l, pf);
    pass_turn();
  }
  auto step = [&](int j, auto has_next) {
    constexpr bool kNext = decltype(has_next)::value;  // a compile-time branch: none may be taken with a wgmma in flight
    const float pv_scale[2] = {p_scale[0], p_scale[1]};  // P_j's
    if constexpr (kNext) mbar_wait(&full[(g0 + j + 1) % kStages], ((g0 + j + 1) / kStages) & 1);
    wgmma_fence();
    if constexpr (kNext) qk(j + 1);
    pv(j, pf);
    auto fold = [&] {  // O += int32(P_j V_j) * sP[row] * sV[channel]
      wgmma_wait<0>();
      fence_registers(pv_acc);
      fence_registers(pf);
      const float* sv = sv_s + ((g0 + j) % kStages) * D;
#pragma unroll
      for (int t = 0; t < C; ++t) {
        const float2 v = *reinterpret_cast<const float2*>(sv + 8 * t + 2 * tq);
        accumulate_pv(o[t], pv_acc[t], pv_scale, v.x, v.y);
      }
    };
    auto release = [&] {  // this warp is done with stage j: K_j, V_j and sV_j
      __syncwarp();
      mbar_arrive_if(&empty[(g0 + j) % kStages], lane == 0);
    };
    if constexpr (kNext) {
      const TileExponent ex(scores_log2(sq, skg[j + 1], softmax_scale));
      wgmma_wait<1>();
      fence_registers(s_acc);
      const bool moved =
          tile_max<T, kCausal>(s_acc, ex, (j + 1) * BK, row_w, n, gid, tq, m, l, alpha, p_scale, bias_bits);
      take_turn();
      fold();
      tile_exp(s_acc, bias_bits, ex, p_scale, l, pf);
      pass_turn();
      release();
      if (moved) rescale_rows(o, alpha);  // rare (forward_tile.cuh kRescaleLog2); after the fold, O holds tiles 0..j
    } else {
      take_turn();
      fold();
      pass_turn();
      release();
    }
  };
  int j = 0;
  for (; j + 1 < tiles; ++j) step(j, std::true_type{});
  step(j, std::false_type{});
  store_rows_staged<D>(o, m, l, row_w, n, f.o + (int64_t)bh * n * D, f.lse + (int64_t)bh * n,
                       smem + L::kO + (4 * wg + warp) * 16 * D * 2, lane);
}

#endif  // SAGE8_HAS_WGMMA

template <int D, int BK, bool kCausal, bool kPersistent>
__global__ void __launch_bounds__(kThreads, 1)
    forward_wgmma_kernel(const ForwardParams f, int n, int npad, int batch_heads, float softmax_scale) {
#ifdef SAGE8_HAS_WGMMA
  using L = StageLayout<D, BK>;
  extern __shared__ __align__(16) uint8_t smem_raw[];
  uint8_t* smem = aligned_smem(smem_raw);
  uint64_t* full = reinterpret_cast<uint64_t*>(smem + L::kFull);
  uint64_t* empty = reinterpret_cast<uint64_t*>(smem + L::kEmpty);
  uint64_t* q_full = reinterpret_cast<uint64_t*>(smem + L::kQFull);
  uint64_t* q_empty = reinterpret_cast<uint64_t*>(smem + L::kQEmpty);
  int2* units = reinterpret_cast<int2*>(smem + L::kUnits);
  const int nb = npad / BK;

  if (threadIdx.x == 0) {
    for (int s = 0; s < kStages; ++s) {
      mbar_init(&full[s], 1);                  // the producer's arrival (plus the stage's bytes)
      mbar_init(&empty[s], 4 * kConsumers);    // one arrival per consumer warp
    }
    mbar_init(q_full, 1);
    mbar_init(q_empty, 4 * kConsumers);
    fence_mbar_init();
  }
  __syncthreads();

  // Registers per thread: 168 at entry (the launch bounds), then 24 for the producer and 240 for the consumers:
  // 128 * 24 + 256 * 240 <= 384 * 168, the SM's 64K with the block alone on it. The role branch is on a
  // warp-uniform value, or ptxas would neither apply the budgets nor keep the wgmma pipelined.
  constexpr int kProducerRegisters = 24, kConsumerRegisters = 240;
  const TileLoader<D, BK> loader{f.k8, f.vt, f.sv, nb, smem, full, empty};
  const int wg = warp_uniform(threadIdx.x / 128);
  if (wg == 0) {
    shrink_registers<kProducerRegisters>();
    if (threadIdx.x == 0) {
      // Each unit's Q rows below n (one contiguous run of [bh][n][D]) once the consumers have quantized the previous
      // unit's, then its key tiles: the next unit's first stages load while the consumers finish this one. The
      // persistent walk hands each unit to the consumers in units[u % 2] (published by q_full's arrival); past the
      // last one, q_full completes without bytes over bh = -1.
      const int nqb = (n + kQueryRows - 1) / kQueryRows;
      int g = 0;
      for (int u = 0;; ++u) {
        const Unit unit = kPersistent ? next_unit<kCausal>(f.unit_counter, nqb, batch_heads) : block_unit<kCausal>();
        if (u > 0) mbar_wait(q_empty, (u - 1) & 1);
        if constexpr (kPersistent) units[u & 1] = make_int2(unit.bh, unit.q0);
        if (unit.bh < 0) {
          mbar_arrive_if(q_full, true);
          break;
        }
        const int tiles = key_tiles<BK, kCausal>(unit.q0, n, nb);
        const uint32_t q_bytes = min(kQueryRows, n - unit.q0) * D * 2;
        mbar_arrive_expect_tx(q_full, q_bytes);
        bulk_copy_to_smem(smem + L::kQ, f.q + ((int64_t)unit.bh * n + unit.q0) * D, q_bytes, q_full);
        for (int j = 0; j < tiles; ++j) loader.load(unit.bh, j, g++);
        if constexpr (!kPersistent) break;
      }
    }
  } else {
    grow_registers<kConsumerRegisters>();
    if (kTurns<D, kCausal, kPersistent> && wg == 2) named_barrier_arrive(3, 256);  // consumer 0's first turn
    int g = 0;
    for (int u = 0;; ++u) {
      Unit unit;
      if constexpr (kPersistent) {
        mbar_wait(q_full, u & 1);
        const int2 fetched = units[u & 1];
        if (fetched.x < 0) break;
        unit = {fetched.x, fetched.y};
      } else {
        unit = block_unit<kCausal>();
      }
      const int tiles = key_tiles<BK, kCausal>(unit.q0, n, nb);
      consume<D, BK, kCausal, kPersistent>(f, loader, wg - 1, unit.bh, unit.q0, n, nb, tiles, g, u, softmax_scale);
      if constexpr (!kPersistent) break;
      g += tiles;
    }
    if (kTurns<D, kCausal, kPersistent> && wg == 1) named_barrier_sync(3, 256);  // consumer 1's last pass_turn
  }
#else
  __trap();  // built without sm_90a: forward_uses_wgmma never selects this
#endif
}

bool walks_persistently(const Problem& p) { return p.blocks() <= kPersistentTiles; }

// The kernel instance for p's configuration, as f(kernel pointer, shared-memory bytes).
template <typename F>
void with_wgmma_kernel(const Problem& p, F&& f) {
  with_config(p, [&](auto d, auto b, auto c) {
    constexpr int kD = decltype(d)::value, kBK = decltype(b)::value;
    constexpr bool kCausal = decltype(c)::value;
    if (walks_persistently(p))
      f(forward_wgmma_kernel<kD, kBK, kCausal, true>, StageLayout<kD, kBK>::kAllocBytes);
    else
      f(forward_wgmma_kernel<kD, kBK, kCausal, false>, StageLayout<kD, kBK>::kAllocBytes);
  });
}

}  // namespace

bool forward_uses_wgmma(const Problem& p) {
  if (!p.options.wgmma_forward) return false;
  bool sm90a = false;
  with_wgmma_kernel(p, [&](auto kernel, int) { sm90a = runs_sm90a(kernel); });
  return sm90a;
}

void launch_forward_wgmma_kernel(const Problem& p, const ForwardParams& f, cudaStream_t stream) {
  // Persistent: one block per SM (the register budget allows no more), each fetching units (next_unit).
  const int query_blocks = (p.tokens + kQueryRows - 1) / kQueryRows;
  dim3 grid(query_blocks, p.batch_heads);
  if (walks_persistently(p)) {
    if (f.unit_counter == nullptr) throw std::logic_error("sage8: the persistent wgmma forward needs unit_counter");
    const int64_t units = (int64_t)p.batch_heads * query_blocks;
    grid = dim3(static_cast<unsigned>(std::min<int64_t>(units, multiprocessor_count())));
  }
  with_wgmma_kernel(p, [&](auto kernel, int bytes) {
    cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
    kernel<<<grid, kThreads, bytes, stream>>>(f, p.tokens, p.padded(), p.batch_heads, p.softmax_scale());
  });
  check_launch("sage8 wgmma forward kernel");
}

}  // namespace sage8_cuda
