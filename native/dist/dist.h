// Shared by the MPI and the NCCL glue: reduction codes and staging tensors into raw buffers.
#pragma once

#include <c10/core/GradMode.h>
#include "core/api.h"

#include <stdexcept>
#include <string>

namespace ts::dist {

// The reduction codes of the C ABI; TrainSage.Distributed.ReduceOp has the same values.
enum class ReduceOp : int { Sum = 0, Average = 1, Max = 2, Min = 3 };

inline ReduceOp reduce_op(int code) {
  if (code < 0 || code > 3) throw std::invalid_argument("unknown reduce op " + std::to_string(code) + " (0 sum, 1 average, 2 max, 3 min)");
  return static_cast<ReduceOp>(code);
}

// Communication libraries read and write raw contiguous memory of one element type. `buffer` is the tensor itself
// when it already is such a buffer, else a contiguous copy in `dtype`; finish() writes the result back.
struct Staged {
  at::Tensor tensor;
  at::Tensor buffer;

  void finish() const {
    if (buffer.unsafeGetTensorImpl() == tensor.unsafeGetTensorImpl()) return;
    c10::NoGradGuard no_grad;  // parameters are leaves that require grad: an in-place copy must not be recorded
    tensor.copy_(buffer);
  }
};

inline Staged stage(const at::Tensor& t, at::ScalarType dtype) {
  if (t.scalar_type() == dtype && t.is_contiguous()) return {t, t};
  c10::NoGradGuard no_grad;
  return {t, t.to(dtype).contiguous()};
}

inline std::string describe(const at::Tensor& t) {
  return std::string(c10::toString(t.scalar_type())) + " tensor on " + t.device().str();
}

}  // namespace ts::dist
