#include "quantize.h"

namespace sage8 {

Quantized quantize(const at::Tensor& x, at::IntArrayRef dims) {
  auto amax = x.abs().amax(dims, /*keepdim=*/true);
  // A kernel divides once per block and multiplies per element, so the reference does the same: the element is
  // x * (127 / amax), not x / (amax / 127); the two can differ by one ulp, which can flip a rounding tie.
  // An all-zero slice (amax == 0: padding, a fully masked tile) gets inverse scale 0, so its values are 0 and its
  // scale is 0: no division by zero and nothing to dequantize.
  auto inverse = at::where(amax > 0, 127.0f / amax, at::zeros_like(amax));
  // at::round rounds half to even (std::nearbyint on CPU, nearbyintf on CUDA), as cvt.rni.s8.f32 does in a kernel.
  // The clamp only matters for values that land a hair above 127 through the reciprocal; with absmax scales
  // nothing is ever clipped, which is why the range is symmetric [-127, 127] and -128 is never used.
  auto values = at::round(x * inverse).clamp_(-127, 127);
  return {values, amax / 127.0f};
}

at::Tensor token_blocks(const at::Tensor& x, int64_t block_size) {
  auto sizes = x.sizes().vec();
  const auto features = sizes.back();
  const auto rows = sizes[sizes.size() - 2];
  sizes.pop_back();
  sizes.back() = rows / block_size;
  sizes.push_back(block_size);
  sizes.push_back(features);
  return x.view(sizes);
}

at::Tensor scale_per_token(const at::Tensor& block_scale, int64_t block_size) {
  auto sizes = block_scale.sizes().vec();  // [.., blocks, 1, 1]
  const auto n = sizes.size();
  std::vector<int64_t> flat(sizes.begin(), sizes.end() - 3);
  flat.push_back(sizes[n - 3] * block_size);
  flat.push_back(1);
  sizes[n - 2] = block_size;
  return block_scale.expand(sizes).reshape(flat);
}

}  // namespace sage8
