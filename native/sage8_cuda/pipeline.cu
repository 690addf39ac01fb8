// The workspace layout and the order of launches for one forward or backward.
#include "kernels.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace sage8_cuda {

float Problem::softmax_scale() const { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim))); }

void check_problem(const Problem& p) {
  const auto fail = [](const std::string& what) { throw std::invalid_argument("sage8 CUDA kernels: " + what); };
  if (p.head_dim != 64 && p.head_dim != 128)
    fail("head_dim " + std::to_string(p.head_dim) + " is not supported; they take 64 or 128 (the reference "
         "backend takes any)");
  if (p.options.block_size != 64 && p.options.block_size != 128)
    fail("block size " + std::to_string(p.options.block_size) + " is not supported; use 64 or 128");
  if (p.tokens < 1) fail("tokens must be at least 1, got " + std::to_string(p.tokens));
  if (p.batch_heads < 1 || p.batch_heads > 65535)
    fail("batch * heads must be in [1, 65535], got " + std::to_string(p.batch_heads) + "; split the batch");
}

void check_launch(const char* what) {
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) throw std::runtime_error(std::string(what) + " failed: " + cudaGetErrorString(err));
}

int multiprocessor_count() {
  int device = 0, sms = 0;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  return sms > 0 ? sms : 1;
}

namespace {

// Hands out 256-byte-aligned pieces of the workspace; with a null base it only measures.
class Carver {
 public:
  explicit Carver(void* base) : base_(static_cast<char*>(base)) {}
  template <typename T>
  T* take(size_t count) {
    const size_t offset = used_;
    used_ += (count * sizeof(T) + 255) / 256 * 256;
    return base_ ? reinterpret_cast<T*>(base_ + offset) : nullptr;
  }
  size_t used() const { return used_; }

 private:
  char* base_;
  size_t used_ = 0;
};

// Layouts in kernels.h (the tile layouts where a wgmma kernel runs). The forward keeps V^T; the backward keeps Q^T,
// K^T, dO^T and dQ's fp32 accumulator.
struct Workspace {
  float* k_partial = nullptr;
  int8_t* q8 = nullptr;
  int8_t* k8 = nullptr;
  float* sq = nullptr;
  float* sk = nullptr;
  int8_t* vt = nullptr;
  float* sv = nullptr;
  int8_t* qt = nullptr;
  int8_t* kt = nullptr;
  int8_t* dot = nullptr;
  float* sdo = nullptr;
  float* delta = nullptr;
  float* lse2 = nullptr;
  float* dq_acc = nullptr;
  int* unit_counter = nullptr;
  int* dq_cleared = nullptr;
  size_t bytes = 0;
};

Workspace carve(const Problem& p, void* base, bool backward) {
  Carver c(base);
  const size_t bh = p.batch_heads, d = p.head_dim, npad = p.padded(), nb = p.blocks();
  Workspace w;
  w.k_partial = c.take<float>(k_sums_floats(p));  // none without smoothing
  w.q8 = c.take<int8_t>(bh * npad * d);
  w.k8 = c.take<int8_t>(bh * npad * d);
  w.sq = c.take<float>(bh * nb);
  w.sk = c.take<float>(bh * nb);
  if (!backward) {
    w.vt = c.take<int8_t>(bh * npad * d);
    w.sv = c.take<float>(bh * nb * d);
    w.unit_counter = c.take<int>(2);
  } else {
    w.qt = c.take<int8_t>(bh * npad * d);
    w.kt = c.take<int8_t>(bh * npad * d);
    w.dot = c.take<int8_t>(bh * npad * d);
    w.sdo = c.take<float>(bh * nb * d);
    w.delta = c.take<float>(bh * npad);
    w.lse2 = c.take<float>(bh * npad);
    w.dq_acc = c.take<float>(bh * npad * d);
    w.dq_cleared = c.take<int>(1);
  }
  w.bytes = c.used();
  return w;
}

// V or dO: channel-major INT8 copy (the tile layout when `wgmma`), per block and channel or per block scales.
QuantizeParams v_or_do(const Problem& p, const uint16_t* x, int8_t* cols, float* scale, bool wgmma) {
  QuantizeParams t;
  t.x = x;
  t.cols = cols;
  t.scale = scale;
  t.mode = p.options.v_per_channel ? ScaleMode::kPerBlockAndChannel : ScaleMode::kPerBlockBroadcast;
  t.wgmma_tiles = wgmma;
  return t;
}

// K's partial sums (when smoothing; or the forward's, k_sums), then one launch quantizing (smoothed) K and Q per token
// block, token-major (channel-major copies too for the backward), and `third` (V or dO). With `wgmma`, in the tile
// layouts of the wgmma kernels: K (forward and backward; K^T in pairs16 order), Q (backward). Without `with_q`, no Q
// (the wgmma forward quantizes Q itself).
void quantize_qk_and(const Problem& p, const Workspace& w, const uint16_t* q, const uint16_t* k, bool backward,
                     bool wgmma, const QuantizeParams& third, cudaStream_t stream, bool with_q = true,
                     const float* k_sums = nullptr) {
  QuantizeLaunch launch;
  launch.zeroed = w.unit_counter;  // the forward's (the backward's workspace has none)
  QuantizeParams& kp = launch.tensors[0];
  if (p.options.smooth_k) {
    launch.after_k_sums = k_sums == nullptr;
    if (launch.after_k_sums) launch_k_sums(p, k, w.k_partial, stream);
    kp.mean_partials = launch.after_k_sums ? w.k_partial : k_sums;
  }
  kp.x = k;
  kp.rows = w.k8;
  kp.wgmma_tiles = wgmma;
  kp.cols = backward ? w.kt : nullptr;
  kp.cols_order = backward && wgmma ? ColumnOrder::kPairs16 : ColumnOrder::kPerm32;
  kp.scale = w.sk;

  launch.count = 1;
  if (with_q) {
    QuantizeParams& qp = launch.tensors[launch.count++];
    qp.x = q;
    qp.rows = w.q8;
    qp.cols = backward ? w.qt : nullptr;
    qp.wgmma_tiles = backward && wgmma;
    qp.scale = w.sq;
  }
  launch.tensors[launch.count++] = third;
  launch_quantize(p, launch, stream);
}

}  // namespace

size_t forward_workspace_bytes(const Problem& p) {
  check_problem(p);
  return carve(p, nullptr, false).bytes;
}

size_t backward_workspace_bytes(const Problem& p) {
  check_problem(p);
  return carve(p, nullptr, true).bytes;
}

size_t k_sums_floats(const Problem& p) {
  check_problem(p);
  return p.options.smooth_k ? size_t(p.batch_heads) * k_mean_partials(p) * p.head_dim : 0;
}

const float* forward_k_sums(const Problem& p, const void* workspace) {
  check_problem(p);
  return carve(p, const_cast<void*>(workspace), false).k_partial;
}

void launch_forward_quantize(const Problem& p, const uint16_t* q, const uint16_t* k, const uint16_t* v,
                             void* workspace, cudaStream_t stream) {
  check_problem(p);
  const Workspace w = carve(p, workspace, false);
  const bool wgmma = forward_uses_wgmma(p);
  quantize_qk_and(p, w, q, k, false, wgmma, v_or_do(p, v, w.vt, w.sv, wgmma), stream, !wgmma);
}

void launch_forward_attention(const Problem& p, const uint16_t* q, uint16_t* o, float* lse, void* workspace,
                              cudaStream_t stream) {
  check_problem(p);
  const Workspace w = carve(p, workspace, false);
  const ForwardParams f{w.q8, w.k8, w.vt, w.sq, w.sk, w.sv, o, lse, q, w.unit_counter};
  if (forward_uses_wgmma(p))
    launch_forward_wgmma_kernel(p, f, stream);
  else
    launch_forward_kernel(p, f, stream);
}

void launch_forward(const Problem& p, const uint16_t* q, const uint16_t* k, const uint16_t* v, uint16_t* o,
                    float* lse, void* workspace, cudaStream_t stream) {
  launch_forward_quantize(p, q, k, v, workspace, stream);
  launch_forward_attention(p, q, o, lse, workspace, stream);
}

void launch_backward_prepare(const Problem& p, const uint16_t* q, const uint16_t* k, const uint16_t* o,
                             const float* lse, const uint16_t* dout, void* workspace, cudaStream_t stream,
                             const float* k_sums) {
  check_problem(p);
  const Workspace w = carve(p, workspace, true);
  const bool wgmma = backward_uses_wgmma(p);
  QuantizeParams dp = v_or_do(p, dout, w.dot, w.sdo, wgmma);
  dp.o = o;
  dp.lse = lse;
  dp.delta = w.delta;
  dp.lse2 = w.lse2;
  quantize_qk_and(p, w, q, k, true, wgmma, dp, stream, true, k_sums);
}

void launch_backward_attention(const Problem& p, const uint16_t* v, const uint16_t* dout, uint16_t* dq,
                               uint16_t* dk, uint16_t* dv, void* workspace, cudaStream_t stream) {
  check_problem(p);
  const Workspace w = carve(p, workspace, true);
  const bool wgmma = backward_uses_wgmma(p);
  // dQ's accumulator starts at zero: cleared here, or by the dV kernel, which then counts its blocks from zero.
  const bool kernels_clear = wgmma && backward_clears_dq(p);
  const cudaError_t err =
      kernels_clear ? cudaMemsetAsync(w.dq_cleared, 0, sizeof(int), stream)
                    : cudaMemsetAsync(w.dq_acc, 0, sizeof(float) * size_t(p.batch_heads) * p.padded() * p.head_dim,
                                      stream);
  if (err != cudaSuccess) throw std::runtime_error(std::string("sage8 dQ clear failed: ") + cudaGetErrorString(err));
  const BackwardParams b{w.q8,   w.qt,    w.k8,    w.kt,   w.dot,  v,
                         dout,   w.sq,    w.sk,    w.sdo,  w.lse2, w.delta,
                         w.dq_acc, w.dq_cleared, dk, dv};
  if (wgmma)
    launch_backward_wgmma_kernels(p, b, stream);
  else
    launch_backward_kernels(p, b, stream);
  launch_dq_finalize(p, w.dq_acc, wgmma, dq, stream);
}

void launch_backward(const Problem& p, const uint16_t* q, const uint16_t* k, const uint16_t* v, const uint16_t* o,
                     const float* lse, const uint16_t* dout, uint16_t* dq, uint16_t* dk, uint16_t* dv,
                     void* workspace, cudaStream_t stream, const float* k_sums) {
  launch_backward_prepare(p, q, k, o, lse, dout, workspace, stream, k_sums);
  launch_backward_attention(p, v, dout, dq, dk, dv, workspace, stream);
}

}  // namespace sage8_cuda
