// Why the quantization passes round x * inverse to fp32 before rounding to the integer (FMUL, then the magic FADD)
// while the backward's per-tile P and dS quantization rounds the exact product in one FFMA (tile.cuh s8_scaled).
// With bf16 inputs, x * 127 / amax is often exactly a half-integer (x's mantissa shares amax's odd factor). The fp32
// reciprocal inverse = fp32(127 / amax) is off by up to 2^-24 relative; the FMUL rounds x * inverse back onto the
// half-integer, which then rounds half to even as the reference's round(x * inv) does, but the exact product of one
// FFMA lies a hair beside it and rounds by the sign of the reciprocal's error. This counts, for Gaussian bf16 slices,
// the elements where the two roundings differ and how many of them are such ties. P and dS are fp32 results of exp2
// and of products, where exact ties essentially never occur.
// Build and run on any host: g++ -O2 -ffp-contract=off tie_probe.cpp -o tie_probe && ./tie_probe
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

namespace {

float to_bf16(float f) {  // round to nearest even, as the inputs arrive
  uint32_t b;
  std::memcpy(&b, &f, 4);
  b = (b + 0x7fffu + ((b >> 16) & 1u)) & 0xffff0000u;
  std::memcpy(&f, &b, 4);
  return f;
}

void count(const char* name, int slice, int slices, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> x(slice);
  long differ = 0, ties = 0, touched = 0;
  for (int s = 0; s < slices; ++s) {
    float amax = 0.f;
    for (float& v : x) amax = std::fmax(amax, std::fabs(v = to_bf16(normal(rng))));
    const volatile float inverse = 127.f / amax;  // volatile: one fp32 rounding, as the kernels compute it
    long here = 0;
    for (const float v : x) {
      const volatile float product = v * inverse;                           // FMUL, rounded to fp32
      const double exact = static_cast<double>(v) * static_cast<double>(inverse);  // 8 + 24 bits: exact in double
      if (std::nearbyint(static_cast<float>(product)) != std::nearbyint(exact)) {
        ++here;
        const long double ideal = static_cast<long double>(v) * 127.0L / static_cast<long double>(amax);
        ties += ideal - std::floor(ideal) == 0.5L;
      }
    }
    differ += here;
    touched += here > 0;
  }
  std::printf("%s: %ld of %ld elements round differently (%.2e), in %ld of %d slices; %ld of them are exact ties of "
              "x * 127 / amax\n",
              name, differ, long(slice) * slices, double(differ) / (double(slice) * slices), touched, slices, ties);
}

}  // namespace

int main() {
  std::mt19937 rng(1);
  count("128 x 128 blocks (Q, K)", 128 * 128, 500, rng);
  count("128-value slices (V, dO per block and channel)", 128, 50000, rng);
  return 0;
}
