// Symmetric INT8 quantization with absmax scales, emulated in fp32 (NUMERICS.md, "Quantization").
#pragma once

#include <ATen/ATen.h>

namespace sage8 {

// values: integer-valued fp32 in [-127, 127]; scale: amax / 127 with the reduced dimensions kept (size 1), so
// `values * scale` dequantizes by broadcasting.
struct Quantized {
  at::Tensor values;
  at::Tensor scale;
};

// One scale per slice of `x` over `dims` (e.g. {-2, -1} of a [.., blocks, block_size, head_dim] view: per token
// block; {-2}: per token block and channel; {-1} of a score tile: per row).
Quantized quantize(const at::Tensor& x, at::IntArrayRef dims);

// [rows, features] with rows = blocks * block_size, viewed as [.., blocks, block_size, features].
at::Tensor token_blocks(const at::Tensor& x, int64_t block_size);

// A per-block scale [.., blocks, 1, 1] repeated for every token of its block: [.., blocks * block_size, 1].
at::Tensor scale_per_token(const at::Tensor& block_scale, int64_t block_size);

}  // namespace sage8
