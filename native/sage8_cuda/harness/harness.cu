// Standalone test and benchmark of the sage8 CUDA kernels (no libtorch).
//   harness check [--small]   kernels vs the C++ model of the sage8 numerics and vs exact attention
//   harness bench [out.jsonl] TFLOP/s at batch x tokens = 16K, 16 heads, head_dim 64/128, N 1K/4K/16K
//   harness profile [D N causal]  one forward and one backward (default head_dim 128, N 4K, non-causal; batch x
//                             heads x N = 256K rows as in the bench), for ncu
// Exit status 0 only if every check passes.
#include "../pipeline.h"
#include "../tile.cuh"
#include "reference.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

using sage8_cuda::Problem;

#define CUDA_CHECK(call)                                                                                      \
  do {                                                                                                        \
    const cudaError_t err_ = (call);                                                                          \
    if (err_ != cudaSuccess) {                                                                                \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(err_));          \
      std::exit(2);                                                                                           \
    }                                                                                                         \
  } while (0)

namespace {

template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t count) : count_(count) { CUDA_CHECK(cudaMalloc(&ptr_, std::max<size_t>(count, 1) * sizeof(T))); }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return ptr_; }
  void upload(const std::vector<T>& h) { CUDA_CHECK(cudaMemcpy(ptr_, h.data(), count_ * sizeof(T), cudaMemcpyHostToDevice)); }
  std::vector<T> download() const {
    std::vector<T> h(count_);
    CUDA_CHECK(cudaMemcpy(h.data(), ptr_, count_ * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
  }
  void poison() { CUDA_CHECK(cudaMemset(ptr_, 0xff, count_ * sizeof(T))); }  // NaN in bf16 and fp32

 private:
  T* ptr_ = nullptr;
  size_t count_;
};

std::vector<float> to_float(const std::vector<uint16_t>& h) {
  std::vector<float> f(h.size());
  for (size_t i = 0; i < h.size(); ++i) f[i] = sage8_cuda::bf16_to_float(h[i]);
  return f;
}

// Gaussian values rounded to bf16; with `offset`, each (row, channel) gets a shared N(0, offset^2) shift.
std::vector<uint16_t> random_bf16(int rows, int tokens, int dims, std::mt19937& rng, float offset) {
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<uint16_t> h(size_t(rows) * tokens * dims);
  for (int r = 0; r < rows; ++r) {
    std::vector<float> shift(dims, 0.f);
    for (float& s : shift) s = offset * normal(rng);
    for (int t = 0; t < tokens; ++t)
      for (int d = 0; d < dims; ++d)
        h[(size_t(r) * tokens + t) * dims + d] = sage8_cuda::float_to_bf16(normal(rng) + shift[d]);
  }
  return h;
}

double rel_l2(const std::vector<float>& x, const std::vector<float>& ref) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    num += (double(x[i]) - ref[i]) * (double(x[i]) - ref[i]);
    den += double(ref[i]) * ref[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

double cosine(const std::vector<float>& x, const std::vector<float>& y) {
  double xy = 0.0, xx = 0.0, yy = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    xy += double(x[i]) * y[i];
    xx += double(x[i]) * x[i];
    yy += double(y[i]) * y[i];
  }
  return xy / std::sqrt(std::max(xx * yy, 1e-300));
}

bool finite(const std::vector<float>& x) {
  return std::all_of(x.begin(), x.end(), [](float v) { return std::isfinite(v); });
}

std::vector<float> bf16_rounded(std::vector<float> x) {
  for (float& v : x) v = sage8_cuda::bf16_to_float(sage8_cuda::float_to_bf16(v));
  return x;
}

struct Case {
  int rows, tokens, head_dim, block;
  bool causal;
  float k_offset;
  bool v_per_channel;
};

struct Outputs {
  std::vector<uint16_t> o, dq, dk, dv;
  std::vector<float> lse;
};

// k_sums: the backward takes the forward's K sums, as the ATen entry point passes them, or sums K itself.
Outputs run_kernels(const Problem& p, const std::vector<uint16_t>& q, const std::vector<uint16_t>& k,
                    const std::vector<uint16_t>& v, const std::vector<uint16_t>& dout, bool k_sums) {
  const size_t elems = size_t(p.batch_heads) * p.tokens * p.head_dim;
  DeviceBuffer<uint16_t> dq_(elems), dk_(elems), dv_(elems), q_(elems), k_(elems), v_(elems), o_(elems), do_(elems);
  DeviceBuffer<float> lse_(size_t(p.batch_heads) * p.tokens);
  DeviceBuffer<char> ws(std::max(sage8_cuda::forward_workspace_bytes(p), sage8_cuda::backward_workspace_bytes(p)));
  q_.upload(q);
  k_.upload(k);
  v_.upload(v);
  do_.upload(dout);
  for (auto* b : {&o_, &dq_, &dk_, &dv_}) b->poison();
  lse_.poison();
  ws.poison();  // the kernels must write every part of the workspace they read (dQ's accumulator: cleared)
  sage8_cuda::launch_forward(p, q_.get(), k_.get(), v_.get(), o_.get(), lse_.get(), ws.get(), nullptr);
  sage8_cuda::launch_backward(p, q_.get(), k_.get(), v_.get(), o_.get(), lse_.get(), do_.get(), dq_.get(), dk_.get(),
                              dv_.get(), ws.get(), nullptr, k_sums ? sage8_cuda::forward_k_sums(p, ws.get()) : nullptr);
  CUDA_CHECK(cudaDeviceSynchronize());
  return {o_.download(), dq_.download(), dk_.download(), dv_.download(), lse_.download()};
}

// Slices one (batch, head) row out of a [rows][tokens][dims] array as floats.
std::vector<float> row_of(const std::vector<float>& all, int r, size_t per_row) {
  return std::vector<float>(all.begin() + r * per_row, all.begin() + (r + 1) * per_row);
}

bool check_case(const Case& c, uint32_t seed) {
  Problem p;
  p.batch_heads = c.rows;
  p.tokens = c.tokens;
  p.head_dim = c.head_dim;
  p.options.block_size = c.block;
  p.options.causal = c.causal;
  p.options.v_per_channel = c.v_per_channel;
  std::mt19937 rng(seed);
  const auto q = random_bf16(c.rows, c.tokens, c.head_dim, rng, 0.f);
  const auto k = random_bf16(c.rows, c.tokens, c.head_dim, rng, c.k_offset);
  const auto v = random_bf16(c.rows, c.tokens, c.head_dim, rng, 0.f);
  const auto dout = random_bf16(c.rows, c.tokens, c.head_dim, rng, 0.f);
  const Outputs a = run_kernels(p, q, k, v, dout, true);
  const Outputs b = run_kernels(p, q, k, v, dout, true);  // determinism: everything but dQ's atomics is bitwise
  // The mma.sync kernels: the wgmma forward matches them bit for bit, the wgmma backward's dV too (dK and dQ
  // differ by the BF16 dP products' summation order inside the tensor cores, and dQ by its atomics' order).
  Problem p_mma = p;
  p_mma.options.wgmma_forward = false;
  p_mma.options.wgmma_backward = false;
  const Outputs m = run_kernels(p_mma, q, k, v, dout, false);  // and the backward summing K itself

  const auto qf = to_float(q), kf = to_float(k), vf = to_float(v), dof = to_float(dout);
  const auto o = to_float(a.o), dq = to_float(a.dq), dk = to_float(a.dk), dv = to_float(a.dv);
  const size_t per_row = size_t(c.tokens) * c.head_dim;
  std::vector<float> ro(o.size()), rlse(a.lse.size()), rdq(o.size()), rdk(o.size()), rdv(o.size());
  std::vector<float> eo(o.size()), edq(o.size()), edk(o.size()), edv(o.size());
  sage8_ref::Config rc{c.tokens, c.head_dim, c.block, c.causal, true, c.v_per_channel};
#pragma omp parallel for schedule(dynamic)
  for (int r = 0; r < c.rows; ++r) {
    const auto qr = row_of(qf, r, per_row), kr = row_of(kf, r, per_row), vr = row_of(vf, r, per_row);
    const auto dr = row_of(dof, r, per_row), or_ = row_of(o, r, per_row);
    const std::vector<float> lr(a.lse.begin() + size_t(r) * c.tokens, a.lse.begin() + size_t(r + 1) * c.tokens);
    const auto f = sage8_ref::sage8_forward(rc, qr, kr, vr);
    const auto g = sage8_ref::sage8_backward(rc, qr, kr, vr, or_, lr, dr);
    const auto ef = sage8_ref::exact_forward(rc, qr, kr, vr);
    const auto eg = sage8_ref::exact_backward(rc, qr, kr, vr, dr);
    std::copy(f.o.begin(), f.o.end(), ro.begin() + r * per_row);
    std::copy(f.lse.begin(), f.lse.end(), rlse.begin() + size_t(r) * c.tokens);
    std::copy(g.dq.begin(), g.dq.end(), rdq.begin() + r * per_row);
    std::copy(g.dk.begin(), g.dk.end(), rdk.begin() + r * per_row);
    std::copy(g.dv.begin(), g.dv.end(), rdv.begin() + r * per_row);
    std::copy(ef.o.begin(), ef.o.end(), eo.begin() + r * per_row);
    std::copy(eg.dq.begin(), eg.dq.end(), edq.begin() + r * per_row);
    std::copy(eg.dk.begin(), eg.dk.end(), edk.begin() + r * per_row);
    std::copy(eg.dv.begin(), eg.dv.end(), edv.begin() + r * per_row);
  }
  // The kernels return bf16, as the reference does for bf16 inputs.
  ro = bf16_rounded(ro);
  rdq = bf16_rounded(rdq);
  rdk = bf16_rounded(rdk);
  rdv = bf16_rounded(rdv);

  const double e_o = rel_l2(o, ro), e_lse = rel_l2(a.lse, rlse), e_dq = rel_l2(dq, rdq), e_dk = rel_l2(dk, rdk),
               e_dv = rel_l2(dv, rdv);
  const bool same = a.o == b.o && a.lse == b.lse && a.dk == b.dk && a.dv == b.dv;
  const double dq_rerun = rel_l2(to_float(b.dq), dq);
  const bool same_as_mma = m.o == a.o && m.lse == a.lse;
  const double vs_mma = std::max(rel_l2(to_float(m.o), o), rel_l2(m.lse, a.lse));
  const bool dv_as_mma = m.dv == a.dv;
  const double bwd_vs_mma = std::max(rel_l2(dq, to_float(m.dq)), rel_l2(dk, to_float(m.dk)));
  const bool ok = finite(o) && finite(a.lse) && finite(dq) && finite(dk) && finite(dv) && same &&
                  std::max({e_o, e_lse, e_dq, e_dk, e_dv}) <= 1e-2 && vs_mma <= 1e-3 && dv_as_mma &&
                  bwd_vs_mma <= 1e-3;
  std::printf("%-4s rows=%-3d N=%-5d D=%-3d blk=%-3d %-6s koff=%-4g %s | relL2 vs model O %.1e LSE %.1e dQ %.1e dK %.1e "
              "dV %.1e | cos vs exact O %.5f dQ %.5f dK %.5f dV %.5f (model %.5f %.5f %.5f %.5f) | rerun %s dQ %.0e | "
              "fwd vs mma.sync %s %.1e | bwd vs mma.sync dV %s dQ,dK %.1e\n",
              ok ? "PASS" : "FAIL", c.rows, c.tokens, c.head_dim, c.block, c.causal ? "causal" : "full", c.k_offset,
              c.v_per_channel ? "Vch" : "Vblk", e_o, e_lse, e_dq, e_dk, e_dv, cosine(o, eo), cosine(dq, edq),
              cosine(dk, edk), cosine(dv, edv), cosine(ro, eo), cosine(rdq, edq), cosine(rdk, edk), cosine(rdv, edv),
              same ? "bitwise" : "DIFFERS", dq_rerun, same_as_mma ? "bitwise" : "differs", vs_mma,
              dv_as_mma ? "bitwise" : "DIFFERS", bwd_vs_mma);
  std::fflush(stdout);
  return ok;
}

int check(bool small) {
  std::vector<Case> cases;
  if (small) {
    // the sanitizers' cases, all with keys past n: both head dims and block sizes; hd 64 at block 128 causal and not
    cases = {{1, 77, 64, 64, true, 0.f, true},
             {1, 200, 128, 128, false, 5.f, true},
             {1, 333, 64, 128, true, 0.f, true},
             {1, 200, 64, 128, false, 5.f, true}};
  } else {
    cases = {
        {2, 256, 64, 128, false, 0.f, true},   {2, 256, 128, 128, false, 0.f, true},
        {2, 256, 128, 128, true, 0.f, true},   {2, 333, 64, 64, true, 0.f, true},
        {2, 333, 128, 128, false, 10.f, true}, {2, 500, 128, 64, true, 10.f, true},
        {2, 1024, 128, 128, true, 10.f, true}, {2, 1024, 64, 128, false, 0.f, false},
        {4, 1024, 128, 128, false, 0.f, true}, {1, 2048, 128, 128, true, 0.f, true},
        // an odd number of 64-token blocks: the last 128-row block's second half lies past the padding
        {2, 190, 64, 64, false, 5.f, true},    {2, 190, 128, 64, true, 0.f, true},
        // more than 32 key tiles: the wgmma forward's grid of one unit per block (forward_wgmma.cu block_unit)
        {1, 4500, 128, 128, true, 0.f, true},  {1, 2200, 64, 64, false, 5.f, true},
        // more units than SMs: the persistent forward's blocks fetch several (forward_wgmma.cu next_unit), causal
        // ones longest first, and reuse Q's rows and the stage ring across units
        {48, 512, 64, 128, true, 0.f, true},   {40, 600, 128, 128, false, 5.f, true},
        // head_dim 64 at block 128 with keys past n: the wgmma dK/dQ kernel's masked blocks (dkdq_consume)
        {2, 700, 64, 128, false, 5.f, true},   {3, 333, 64, 128, true, 0.f, true},
    };
  }
  Problem probe;
  probe.batch_heads = 1;
  probe.tokens = 128;
  probe.head_dim = 128;
  std::printf("forward kernel: %s; backward kernels (block 128): %s\n",
              sage8_cuda::forward_uses_wgmma(probe) ? "wgmma (sm_90a)" : "mma.sync",
              sage8_cuda::backward_uses_wgmma(probe) ? "wgmma (sm_90a)" : "mma.sync");
  int failed = 0;
  uint32_t seed = 1;
  for (const Case& c : cases) failed += !check_case(c, seed++);
  std::printf("%d of %zu cases failed\n", failed, cases.size());
  return failed == 0 ? 0 : 1;
}

float median_ms(const std::function<void()>& fn, int reps) {
  for (int i = 0; i < 2; ++i) fn();
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  std::vector<float> ms(reps);
  for (int i = 0; i < reps; ++i) {
    CUDA_CHECK(cudaEventRecord(start));
    fn();
    CUDA_CHECK(cudaEventRecord(stop));
    CUDA_CHECK(cudaEventSynchronize(stop));
    CUDA_CHECK(cudaEventElapsedTime(&ms[i], start, stop));
  }
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  std::sort(ms.begin(), ms.end());
  return ms[reps / 2];
}

int bench(const char* json_path) {
  constexpr int kTokensTotal = 16384, kHeads = 16, kMaxDim = 128;
  const size_t elems = size_t(kTokensTotal) * kHeads * kMaxDim;
  std::mt19937 rng(7);
  DeviceBuffer<uint16_t> q(elems), k(elems), v(elems), o(elems), dout(elems), dq(elems), dk(elems), dv(elems);
  DeviceBuffer<float> lse(size_t(kTokensTotal) * kHeads);
  for (auto* b : {&q, &k, &v, &dout}) b->upload(random_bf16(1, kTokensTotal * kHeads, kMaxDim, rng, 0.f));
  FILE* json = json_path ? std::fopen(json_path, "w") : nullptr;
  std::printf("%4s %6s %6s | %9s %9s %9s | %9s %9s | %9s %9s %9s | %9s %9s | %9s | quant fwd/bwd ms\n", "D", "N",
              "causal", "fwd ms", "fwd TF/s", "attn TF/s", "mma fwd", "mma attn", "bwd ms", "bwd TF/s", "attn TF/s",
              "mma bwd", "mma attn", "f+b TF/s");
  for (int d : {64, 128})
    for (int n : {1024, 4096, 16384})
      for (bool causal : {false, true}) {
        Problem p;
        p.batch_heads = kTokensTotal / n * kHeads;
        p.tokens = n;
        p.head_dim = d;
        p.options.causal = causal;
        const size_t fwd_ws = sage8_cuda::forward_workspace_bytes(p), bwd_ws = sage8_cuda::backward_workspace_bytes(p);
        DeviceBuffer<char> ws(std::max(fwd_ws, bwd_ws));
        const int reps = 10;
        const float fwd = median_ms([&] { sage8_cuda::launch_forward(p, q.get(), k.get(), v.get(), o.get(), lse.get(), ws.get(), nullptr); }, reps);
        const float fwd_q = median_ms([&] { sage8_cuda::launch_forward_quantize(p, q.get(), k.get(), v.get(), ws.get(), nullptr); }, reps);
        const float fwd_a = median_ms([&] { sage8_cuda::launch_forward_attention(p, q.get(), o.get(), lse.get(), ws.get(), nullptr); }, reps);
        Problem pm = p;  // the mma.sync forward for comparison (its quantization writes its own layouts)
        pm.options.wgmma_forward = false;
        const float fwd_m = median_ms([&] { sage8_cuda::launch_forward(pm, q.get(), k.get(), v.get(), o.get(), lse.get(), ws.get(), nullptr); }, reps);
        const float fwd_ma = median_ms([&] { sage8_cuda::launch_forward_attention(pm, q.get(), o.get(), lse.get(), ws.get(), nullptr); }, reps);
        // The backward takes the forward's K sums, left in the shared workspace, as the ATen entry point passes them.
        const float* k_sums = sage8_cuda::forward_k_sums(p, ws.get());
        const float bwd = median_ms([&] { sage8_cuda::launch_backward(p, q.get(), k.get(), v.get(), o.get(), lse.get(), dout.get(), dq.get(), dk.get(), dv.get(), ws.get(), nullptr, k_sums); }, reps);
        const float bwd_p = median_ms([&] { sage8_cuda::launch_backward_prepare(p, q.get(), k.get(), o.get(), lse.get(), dout.get(), ws.get(), nullptr, k_sums); }, reps);
        const float bwd_a = median_ms([&] { sage8_cuda::launch_backward_attention(p, v.get(), dout.get(), dq.get(), dk.get(), dv.get(), ws.get(), nullptr); }, reps);
        pm.options.wgmma_backward = false;  // the mma.sync backward (its preparation writes its own layouts)
        const float bwd_m = median_ms([&] { sage8_cuda::launch_backward(pm, q.get(), k.get(), v.get(), o.get(), lse.get(), dout.get(), dq.get(), dk.get(), dv.get(), ws.get(), nullptr, k_sums); }, reps);
        const float bwd_ma = median_ms([&] { sage8_cuda::launch_backward_attention(pm, v.get(), dout.get(), dq.get(), dk.get(), dv.get(), ws.get(), nullptr); }, reps);
        CUDA_CHECK(cudaDeviceSynchronize());
        const double flops = 4.0 * p.batch_heads * double(n) * n * d / (causal ? 2.0 : 1.0);
        const auto tf = [](double f, float ms) { return f / (ms * 1e-3) / 1e12; };
        std::printf("%4d %6d %6s | %9.3f %9.1f %9.1f | %9.1f %9.1f | %9.3f %9.1f %9.1f | %9.1f %9.1f | %9.1f | %.3f / %.3f\n",
                    d, n, causal ? "yes" : "no", fwd, tf(flops, fwd), tf(flops, fwd_a), tf(flops, fwd_m),
                    tf(flops, fwd_ma), bwd, tf(2.5 * flops, bwd), tf(2.5 * flops, bwd_a), tf(2.5 * flops, bwd_m),
                    tf(2.5 * flops, bwd_ma), tf(3.5 * flops, fwd + bwd), fwd_q, bwd_p);
        std::fflush(stdout);
        if (json)
          std::fprintf(json,
                       "{\"backend\":\"sage8\",\"head_dim\":%d,\"seq_len\":%d,\"causal\":%s,\"fwd_ms\":%.4f,"
                       "\"bwd_ms\":%.4f,\"fwd_tflops\":%.1f,\"bwd_tflops\":%.1f,\"fwd_bwd_tflops\":%.1f,"
                       "\"fwd_attention_ms\":%.4f,\"fwd_quantize_ms\":%.4f,\"bwd_attention_ms\":%.4f,"
                       "\"bwd_prepare_ms\":%.4f,\"fwd_workspace_mb\":%.1f,\"bwd_workspace_mb\":%.1f,"
                       "\"fwd_kernel\":\"%s\",\"fwd_mma_sync_ms\":%.4f,\"fwd_mma_sync_attention_ms\":%.4f,"
                       "\"bwd_kernel\":\"%s\",\"bwd_mma_sync_ms\":%.4f,\"bwd_mma_sync_attention_ms\":%.4f}\n",
                       d, n, causal ? "true" : "false", fwd, bwd, tf(flops, fwd), tf(2.5 * flops, bwd),
                       tf(3.5 * flops, fwd + bwd), fwd_a, fwd_q, bwd_a, bwd_p, fwd_ws / 1048576.0, bwd_ws / 1048576.0,
                       sage8_cuda::forward_uses_wgmma(p) ? "wgmma" : "mma.sync", fwd_m, fwd_ma,
                       sage8_cuda::backward_uses_wgmma(p) ? "wgmma" : "mma.sync", bwd_m, bwd_ma);
      }
  if (json) std::fclose(json);
  return 0;
}

int profile(int head_dim, int tokens, bool causal) {
  Problem p;
  p.batch_heads = 16 * 16384 / tokens;
  p.tokens = tokens;
  p.head_dim = head_dim;
  p.options.causal = causal;
  const size_t elems = size_t(p.batch_heads) * p.tokens * p.head_dim;
  std::mt19937 rng(3);
  DeviceBuffer<uint16_t> q(elems), k(elems), v(elems), o(elems), dout(elems), dq(elems), dk(elems), dv(elems);
  DeviceBuffer<float> lse(size_t(p.batch_heads) * p.tokens);
  for (auto* b : {&q, &k, &v, &dout}) b->upload(random_bf16(p.batch_heads, p.tokens, p.head_dim, rng, 0.f));
  DeviceBuffer<char> ws(std::max(sage8_cuda::forward_workspace_bytes(p), sage8_cuda::backward_workspace_bytes(p)));
  sage8_cuda::launch_forward(p, q.get(), k.get(), v.get(), o.get(), lse.get(), ws.get(), nullptr);
  sage8_cuda::launch_backward(p, q.get(), k.get(), v.get(), o.get(), lse.get(), dout.get(), dq.get(), dk.get(),
                              dv.get(), ws.get(), nullptr, sage8_cuda::forward_k_sums(p, ws.get()));
  CUDA_CHECK(cudaDeviceSynchronize());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "check") return check(argc > 2 && std::string(argv[2]) == "--small");
    if (mode == "bench") return bench(argc > 2 ? argv[2] : nullptr);
    if (mode == "profile")
      return argc > 4 ? profile(std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]) != 0)
                      : profile(128, 4096, false);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "usage: %s check [--small] | bench [out.jsonl] | profile [D N causal]\n", argv[0]);
  return 64;
}
