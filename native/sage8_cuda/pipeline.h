// The sage8 CUDA kernels behind a raw-pointer interface with no libtorch in it: the standalone harness and the
// ATen entry point (aten.h) both call these. Numerics: ../../shared/DESIGN.md "sage8 numerics", as the
// reference in native/sage8 implements them.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace sage8_cuda {

struct Options {
  int block_size = 128;       // tokens per quantization block, and the tile the per-row/per-tile scales span
  bool causal = false;        // query t sees keys 0..t
  bool smooth_k = true;       // subtract K's per-channel mean over tokens before quantizing
  bool v_per_channel = true;  // V and dO: one scale per token block and channel (false: per token block)
  bool wgmma_forward = true;  // the sm_90a wgmma forward where the GPU runs it (false: the mma.sync kernel)
  bool wgmma_backward = true;  // likewise the wgmma backward (block size 128 only; false: the mma.sync kernels)
};

// batch_heads independent rows of [tokens, head_dim] bf16 (Q, K, V, O, dO), contiguous.
struct Problem {
  int batch_heads = 0;
  int tokens = 0;
  int head_dim = 0;
  Options options;

  int blocks() const { return (tokens + options.block_size - 1) / options.block_size; }
  int padded() const { return blocks() * options.block_size; }
  float softmax_scale() const;  // fp32(1 / sqrt(head_dim)), as the reference rounds it
};

// Throws std::invalid_argument naming what is not supported and what is.
void check_problem(const Problem& p);

// Whether launch_forward runs the wgmma kernel (forward_wgmma.cu): options.wgmma_forward is set and the current
// GPU runs its sm_90a build (compute capability 9.0). Otherwise it runs the mma.sync kernel (forward.cu).
bool forward_uses_wgmma(const Problem& p);

// Whether launch_backward runs the wgmma kernels (backward_wgmma.cuh): options.wgmma_backward is set, the block
// size is 128 and the current GPU runs their sm_90a build. Otherwise the mma.sync kernels (backward.cu).
bool backward_uses_wgmma(const Problem& p);

// Device scratch the launches below need, in bytes (the pointer passed must be 256-byte aligned).
size_t forward_workspace_bytes(const Problem& p);
size_t backward_workspace_bytes(const Problem& p);

// K's partial sums over token chunks (its per-channel mean, for smoothing), k_sums_floats(p) floats (0 without
// smooth_k): launch_forward leaves them at forward_k_sums(p, its workspace), and launch_backward takes them instead
// of summing the same K again.
size_t k_sums_floats(const Problem& p);
const float* forward_k_sums(const Problem& p, const void* workspace);

// O = sage8 attention of q, k, v; lse = log-sum-exp of each query row's (smoothed) scaled scores, natural log,
// [batch_heads, tokens] fp32. Tensors are raw bf16 bits. Asynchronous on `stream`; throws std::runtime_error
// if a launch fails.
void launch_forward(const Problem& p, const uint16_t* q, const uint16_t* k, const uint16_t* v, uint16_t* o,
                    float* lse, void* workspace, cudaStream_t stream);

// dq, dk, dv of sum(O * dout), given the forward's o and lse. Recomputes the quantized Q and K (deterministic,
// identical to the forward's), from the forward's K sums where k_sums is given (k_sums_floats), else summing K
// again. dQ is accumulated across key blocks with fp32 atomics.
void launch_backward(const Problem& p, const uint16_t* q, const uint16_t* k, const uint16_t* v, const uint16_t* o,
                     const float* lse, const uint16_t* dout, uint16_t* dq, uint16_t* dk, uint16_t* dv,
                     void* workspace, cudaStream_t stream, const float* k_sums = nullptr);

// The two halves of each launch, for per-stage timings: quantization passes, then the attention kernels. The
// wgmma forward (forward_uses_wgmma) quantizes Q inside its attention kernel, which is why that takes q.
void launch_forward_quantize(const Problem& p, const uint16_t* q, const uint16_t* k, const uint16_t* v,
                             void* workspace, cudaStream_t stream);
void launch_forward_attention(const Problem& p, const uint16_t* q, uint16_t* o, float* lse, void* workspace,
                              cudaStream_t stream);
void launch_backward_prepare(const Problem& p, const uint16_t* q, const uint16_t* k, const uint16_t* o,
                             const float* lse, const uint16_t* dout, void* workspace, cudaStream_t stream,
                             const float* k_sums = nullptr);
void launch_backward_attention(const Problem& p, const uint16_t* v, const uint16_t* dout, uint16_t* dq,
                               uint16_t* dk, uint16_t* dv, void* workspace, cudaStream_t stream);

}  // namespace sage8_cuda
