#include "reference.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace sage8_ref {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

float softmax_scale(const Config& c) { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head_dim))); }
int blocks(const Config& c) { return (c.tokens + c.block - 1) / c.block; }

// Round half to even, clamp to [-127, 127].
int to_int8(float x) { return static_cast<int>(std::max(-127.f, std::min(127.f, std::nearbyint(x)))); }

// x quantized per token block (and channel): x * (127 / amax), padded to whole blocks with zeros.
struct Quantized {
  std::vector<int32_t> values;  // [padded][D]
  std::vector<float> scale;     // [blocks][D] (per block: the same value for every channel)
  int head_dim;
  float at(int block, int d) const { return scale[size_t(block) * head_dim + d]; }
};

Quantized quantize(const Matrix& x, const Config& c, bool per_channel) {
  const int D = c.head_dim, bs = c.block, nb = blocks(c);
  Quantized q{std::vector<int32_t>(size_t(nb) * bs * D, 0), std::vector<float>(size_t(nb) * D, 0.f), D};
  const auto value = [&](int t, int d) { return t < c.tokens ? x[size_t(t) * D + d] : 0.f; };
  for (int b = 0; b < nb; ++b) {
    float block_amax = 0.f;
    std::vector<float> amax(D, 0.f);
    for (int t = b * bs; t < (b + 1) * bs; ++t)
      for (int d = 0; d < D; ++d) {
        amax[d] = std::max(amax[d], std::fabs(value(t, d)));
        block_amax = std::max(block_amax, amax[d]);
      }
    for (int d = 0; d < D; ++d) {
      const float a = per_channel ? amax[d] : block_amax;
      const float inverse = a > 0.f ? 127.f / a : 0.f;
      q.scale[size_t(b) * D + d] = a / 127.f;
      for (int t = b * bs; t < (b + 1) * bs; ++t) q.values[size_t(t) * D + d] = to_int8(value(t, d) * inverse);
    }
  }
  return q;
}

int32_t dot(const int32_t* a, const int32_t* b, int n) {
  int32_t s = 0;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

Matrix smoothed_k(const Config& c, const Matrix& k) {
  if (!c.smooth_k) return k;
  const int D = c.head_dim;
  Matrix ks = k;
  for (int d = 0; d < D; ++d) {
    float sum = 0.f;
    for (int t = 0; t < c.tokens; ++t) sum += k[size_t(t) * D + d];
    const float mean = sum / static_cast<float>(c.tokens);
    for (int t = 0; t < c.tokens; ++t) ks[size_t(t) * D + d] -= mean;
  }
  return ks;
}

bool masked(const Config& c, int query, int key) {
  return query >= c.tokens || key >= c.tokens || (c.causal && key > query);
}

}  // namespace

Forward sage8_forward(const Config& c, const Matrix& q, const Matrix& k, const Matrix& v) {
  const int n = c.tokens, D = c.head_dim, bs = c.block, nb = blocks(c);
  const float scale = softmax_scale(c);
  const Quantized qq = quantize(q, c, false), kq = quantize(smoothed_k(c, k), c, false);
  const Quantized vq = quantize(v, c, c.v_per_channel);
  Forward f{Matrix(size_t(n) * D), std::vector<float>(n)};
  std::vector<float> s(bs), p(bs), acc(D);
  std::vector<int32_t> pq(bs);
  for (int i = 0; i < n; ++i) {
    float m = -kInf, l = 0.f;
    std::fill(acc.begin(), acc.end(), 0.f);
    const int bi = i / bs, last = c.causal ? bi : nb - 1;
    for (int j = 0; j <= last; ++j) {
      const float cs = (qq.scale[size_t(bi) * D] * kq.scale[size_t(j) * D]) * scale;
      float s_max = -kInf;
      for (int t = 0; t < bs; ++t) {
        const int key = j * bs + t;
        s[t] = masked(c, i, key) ? -kInf : static_cast<float>(dot(&qq.values[size_t(i) * D], &kq.values[size_t(key) * D], D)) * cs;
        s_max = std::max(s_max, s[t]);
      }
      const float m_new = std::max(m, s_max);
      const float m_ref = m_new == -kInf ? 0.f : m_new;
      const float alpha = std::exp(m - m_ref);
      float sum = 0.f, p_max = 0.f;
      for (int t = 0; t < bs; ++t) {
        p[t] = std::exp(s[t] - m_ref);
        sum += p[t];
        p_max = std::max(p_max, p[t]);
      }
      l = l * alpha + sum;
      const float inverse = p_max > 0.f ? 127.f / p_max : 0.f, sp = p_max / 127.f;
      for (int t = 0; t < bs; ++t) pq[t] = to_int8(p[t] * inverse);
      for (int d = 0; d < D; ++d) {
        int32_t pv = 0;
        for (int t = 0; t < bs; ++t) pv += pq[t] * vq.values[size_t(j * bs + t) * D + d];
        acc[d] = acc[d] * alpha + (static_cast<float>(pv) * sp) * vq.at(j, d);
      }
      m = m_new;
    }
    for (int d = 0; d < D; ++d) f.o[size_t(i) * D + d] = acc[d] / l;
    f.lse[i] = m + std::log(l);
  }
  return f;
}

Grads sage8_backward(const Config& c, const Matrix& q, const Matrix& k, const Matrix& v, const Matrix& o,
                     const std::vector<float>& lse, const Matrix& dout) {
  const int n = c.tokens, D = c.head_dim, bs = c.block, nb = blocks(c), padded = nb * bs;
  const float scale = softmax_scale(c);
  const Quantized qq = quantize(q, c, false), kq = quantize(smoothed_k(c, k), c, false);
  const Quantized dq8 = quantize(dout, c, c.v_per_channel);
  std::vector<float> delta(n);
  for (int i = 0; i < n; ++i) {
    double s = 0.0;
    for (int d = 0; d < D; ++d) s += double(dout[size_t(i) * D + d]) * o[size_t(i) * D + d];
    delta[i] = static_cast<float>(s);
  }
  Grads g{Matrix(size_t(padded) * D, 0.f), Matrix(size_t(padded) * D, 0.f), Matrix(size_t(padded) * D, 0.f)};
  std::vector<float> p(size_t(bs) * bs), ds(size_t(bs) * bs);
  std::vector<int32_t> pq(size_t(bs) * bs), dsq(size_t(bs) * bs), row(D);
  for (int j = 0; j < nb; ++j) {
    for (int ib = c.causal ? j : 0; ib < nb; ++ib) {
      const float cs = (qq.scale[size_t(ib) * D] * kq.scale[size_t(j) * D]) * scale;
      float p_max = 0.f, ds_max = 0.f;
      for (int r = 0; r < bs; ++r)
        for (int t = 0; t < bs; ++t) {
          const int qi = ib * bs + r, key = j * bs + t;
          float pv = 0.f, g_s = 0.f;
          if (!masked(c, qi, key)) {
            const float sv = static_cast<float>(dot(&qq.values[size_t(qi) * D], &kq.values[size_t(key) * D], D)) * cs;
            pv = std::exp(sv - lse[qi]);
            double dp = 0.0;
            for (int d = 0; d < D; ++d) dp += double(dout[size_t(qi) * D + d]) * v[size_t(key) * D + d];
            g_s = pv * (static_cast<float>(dp) - delta[qi]);
          }
          p[size_t(r) * bs + t] = pv;
          ds[size_t(r) * bs + t] = g_s;
          p_max = std::max(p_max, pv);
          ds_max = std::max(ds_max, std::fabs(g_s));
        }
      const float p_inv = p_max > 0.f ? 127.f / p_max : 0.f, sp = p_max / 127.f;
      const float ds_inv = ds_max > 0.f ? 127.f / ds_max : 0.f, sds = ds_max / 127.f;
      for (size_t e = 0; e < p.size(); ++e) {
        pq[e] = to_int8(p[e] * p_inv);
        dsq[e] = to_int8(ds[e] * ds_inv);
      }
      const float cq = (sds * kq.scale[size_t(j) * D]) * scale, ck = (sds * qq.scale[size_t(ib) * D]) * scale;
      for (int t = 0; t < bs; ++t) {  // dV and dK rows of key j*bs + t
        const int key = j * bs + t;
        std::fill(row.begin(), row.end(), 0);
        for (int r = 0; r < bs; ++r)
          for (int d = 0; d < D; ++d) row[d] += pq[size_t(r) * bs + t] * dq8.values[size_t(ib * bs + r) * D + d];
        for (int d = 0; d < D; ++d) g.dv[size_t(key) * D + d] += (static_cast<float>(row[d]) * sp) * dq8.at(ib, d);
        std::fill(row.begin(), row.end(), 0);
        for (int r = 0; r < bs; ++r)
          for (int d = 0; d < D; ++d) row[d] += dsq[size_t(r) * bs + t] * qq.values[size_t(ib * bs + r) * D + d];
        for (int d = 0; d < D; ++d) g.dk[size_t(key) * D + d] += static_cast<float>(row[d]) * ck;
      }
      for (int r = 0; r < bs; ++r) {  // dQ rows of query ib*bs + r
        std::fill(row.begin(), row.end(), 0);
        for (int t = 0; t < bs; ++t)
          for (int d = 0; d < D; ++d) row[d] += dsq[size_t(r) * bs + t] * kq.values[size_t(j * bs + t) * D + d];
        for (int d = 0; d < D; ++d) g.dq[size_t(ib * bs + r) * D + d] += static_cast<float>(row[d]) * cq;
      }
    }
  }
  for (Matrix* m : {&g.dq, &g.dk, &g.dv}) m->resize(size_t(n) * D);
  return g;
}

namespace {

// P (softmax, masked) and O of exact attention, in double.
void exact_probs(const Config& c, const Matrix& q, const Matrix& k, const Matrix& v, std::vector<double>& p,
                 std::vector<double>& o, std::vector<double>& lse) {
  const int n = c.tokens, D = c.head_dim;
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  p.assign(size_t(n) * n, 0.0);
  o.assign(size_t(n) * D, 0.0);
  lse.assign(n, 0.0);
  for (int i = 0; i < n; ++i) {
    double m = -std::numeric_limits<double>::infinity();
    const int last = c.causal ? i : n - 1;
    for (int t = 0; t <= last; ++t) {
      double s = 0.0;
      for (int d = 0; d < D; ++d) s += double(q[size_t(i) * D + d]) * k[size_t(t) * D + d];
      p[size_t(i) * n + t] = s * scale;
      m = std::max(m, s * scale);
    }
    double l = 0.0;
    for (int t = 0; t <= last; ++t) l += (p[size_t(i) * n + t] = std::exp(p[size_t(i) * n + t] - m));
    for (int t = 0; t <= last; ++t) {
      p[size_t(i) * n + t] /= l;
      for (int d = 0; d < D; ++d) o[size_t(i) * D + d] += p[size_t(i) * n + t] * v[size_t(t) * D + d];
    }
    lse[i] = m + std::log(l);
  }
}

}  // namespace

Forward exact_forward(const Config& c, const Matrix& q, const Matrix& k, const Matrix& v) {
  std::vector<double> p, o, lse;
  exact_probs(c, q, k, v, p, o, lse);
  return {Matrix(o.begin(), o.end()), std::vector<float>(lse.begin(), lse.end())};
}

Grads exact_backward(const Config& c, const Matrix& q, const Matrix& k, const Matrix& v, const Matrix& dout) {
  const int n = c.tokens, D = c.head_dim;
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  std::vector<double> p, o, lse;
  exact_probs(c, q, k, v, p, o, lse);
  std::vector<double> dq(size_t(n) * D, 0.0), dk(size_t(n) * D, 0.0), dv(size_t(n) * D, 0.0);
  for (int i = 0; i < n; ++i) {
    double delta = 0.0;
    for (int d = 0; d < D; ++d) delta += double(dout[size_t(i) * D + d]) * o[size_t(i) * D + d];
    for (int t = 0; t < n; ++t) {
      const double pv = p[size_t(i) * n + t];
      if (pv == 0.0) continue;
      double dp = 0.0;
      for (int d = 0; d < D; ++d) dp += double(dout[size_t(i) * D + d]) * v[size_t(t) * D + d];
      const double g = pv * (dp - delta) * scale;
      for (int d = 0; d < D; ++d) {
        dq[size_t(i) * D + d] += g * k[size_t(t) * D + d];
        dk[size_t(t) * D + d] += g * q[size_t(i) * D + d];
        dv[size_t(t) * D + d] += pv * dout[size_t(i) * D + d];
      }
    }
  }
  return {Matrix(dq.begin(), dq.end()), Matrix(dk.begin(), dk.end()), Matrix(dv.begin(), dv.end())};
}

}  // namespace sage8_ref
