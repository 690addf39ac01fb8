// A plain C++ model of the sage8 numerics (the ATen reference's arithmetic, element by element) and exact attention
// in double, for one (batch, head) row of a small problem. The harness checks the kernels against both.
#pragma once

#include <vector>

namespace sage8_ref {

struct Config {
  int tokens = 0;
  int head_dim = 0;
  int block = 128;
  bool causal = false;
  bool smooth_k = true;
  bool v_per_channel = true;
};

using Matrix = std::vector<float>;  // [tokens][head_dim], row-major

struct Forward {
  Matrix o;
  std::vector<float> lse;
};

struct Grads {
  Matrix dq, dk, dv;
};

// q, k, v hold bf16-representable values, as the kernels see them.
Forward sage8_forward(const Config& c, const Matrix& q, const Matrix& k, const Matrix& v);

// o and lse as the forward returned them (o rounded to bf16), dout bf16-representable.
Grads sage8_backward(const Config& c, const Matrix& q, const Matrix& k, const Matrix& v, const Matrix& o,
                     const std::vector<float>& lse, const Matrix& dout);

// Exact softmax attention (no smoothing, no quantization) in double.
Forward exact_forward(const Config& c, const Matrix& q, const Matrix& k, const Matrix& v);
Grads exact_backward(const Config& c, const Matrix& q, const Matrix& k, const Matrix& v, const Matrix& dout);

}  // namespace sage8_ref
