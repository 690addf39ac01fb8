// NCCL glue: a communicator per rank from a unique id that rank 0 creates (MPI broadcasts it), and collectives on
// CUDA tensors enqueued on libtorch's current CUDA stream of the communicator's device, so they order with the
// kernels around them without host synchronisation.
//
// Loading NCCL and making the unique id need no CUDA headers; everything touching streams and devices is compiled
// only against a CUDA libtorch (TS_WITH_CUDA) and reports "built without CUDA" otherwise.
#include "dist.h"
#include "nccl_library.h"

#include <cstring>

TS_API int ts_nccl_unique_id_size() { return static_cast<int>(ts::nccl::kUniqueIdBytes); }

// Opens NCCL (see nccl_library.cpp) and returns its version code, e.g. 22703 for 2.27.3.
TS_API int ts_nccl_version(int* version) { TS_STATUS(*version = ts::nccl::library().version) }

// Writes a fresh ncclUniqueId (ts_nccl_unique_id_size() bytes) into `out`. Only rank 0 calls this.
TS_API int ts_nccl_get_unique_id(uint8_t* out) {
  TS_STATUS({
    ts::nccl::UniqueId id{};
    ts::nccl::check(ts::nccl::library().GetUniqueId(&id), "ncclGetUniqueId");
    std::memcpy(out, id.internal, sizeof(id.internal));
  })
}

#ifdef TS_WITH_CUDA
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

namespace {

struct Communicator {
  ts::nccl::Comm comm = nullptr;
  int device = 0;
  int rank = 0;
  int size = 1;
};

int nccl_type(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat: return ts::nccl::Float32;
    case at::kDouble: return ts::nccl::Float64;
    case at::kHalf: return ts::nccl::Float16;
    case at::kBFloat16: return ts::nccl::Bfloat16;
    case at::kLong: return ts::nccl::Int64;
    case at::kInt: return ts::nccl::Int32;
    case at::kChar: return ts::nccl::Int8;
    case at::kByte: return ts::nccl::Uint8;
    default:
      throw std::invalid_argument("NCCL all-reduce does not support a " + ts::dist::describe(t) +
                                  "; use a floating-point or integer tensor");
  }
}

int nccl_op(ts::dist::ReduceOp op) {
  switch (op) {
    case ts::dist::ReduceOp::Average: return ts::nccl::Avg;
    case ts::dist::ReduceOp::Max: return ts::nccl::Max;
    case ts::dist::ReduceOp::Min: return ts::nccl::Min;
    default: return ts::nccl::Sum;
  }
}

void require_device(const Communicator& c, const at::Tensor& t, const char* what) {
  if (t.is_cuda() && t.get_device() == c.device) return;
  throw std::invalid_argument(std::string("NCCL ") + what + " on rank " + std::to_string(c.rank) +
                              " needs a tensor on cuda:" + std::to_string(c.device) + " (this rank's GPU), got a " +
                              ts::dist::describe(t) + (t.is_cuda() ? "" : "; CPU tensors go through MPI"));
}

ts::nccl::Stream current_stream(const Communicator& c) { return c10::cuda::getCurrentCUDAStream(c.device).stream(); }

// Errors of earlier asynchronous NCCL work (a peer failed, a network error) surface here.
void check_async(const Communicator& c) {
  const auto& lib = ts::nccl::library();
  ts::nccl::Result async = 0;
  ts::nccl::check(lib.CommGetAsyncError(c.comm, &async), "ncclCommGetAsyncError");
  if (async != 0)
    throw std::runtime_error("the NCCL communicator of rank " + std::to_string(c.rank) +
                             " failed: " + lib.GetErrorString(async));
}

void all_reduce(const Communicator& c, const std::vector<at::Tensor>& tensors, ts::dist::ReduceOp op) {
  const auto& lib = ts::nccl::library();
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(c.device));
  std::vector<ts::dist::Staged> staged;
  std::vector<int> types;
  for (const auto& t : tensors) {
    require_device(c, t, "all-reduce");
    if (op == ts::dist::ReduceOp::Average && !at::isFloatingType(t.scalar_type()))
      throw std::invalid_argument("an average needs a floating-point tensor, got a " + ts::dist::describe(t));
    types.push_back(nccl_type(t));
    staged.push_back(ts::dist::stage(t, t.scalar_type()));
  }
  const auto stream = current_stream(c);
  // One group: NCCL fuses the launches. GroupEnd must follow GroupStart even when an enqueue fails.
  ts::nccl::check(lib.GroupStart(), "ncclGroupStart");
  ts::nccl::Result first_error = 0;
  for (size_t i = 0; i < staged.size() && first_error == 0; ++i) {
    auto* data = staged[i].buffer.data_ptr();
    first_error = lib.AllReduce(data, data, static_cast<size_t>(staged[i].buffer.numel()), types[i], nccl_op(op),
                                c.comm, stream);
  }
  const auto end = lib.GroupEnd();
  ts::nccl::check(first_error, "ncclAllReduce");
  ts::nccl::check(end, "ncclGroupEnd");
  for (const auto& s : staged) s.finish();
  check_async(c);
}

// Broadcast and all-gather move bytes, so every element type works.
void broadcast(const Communicator& c, const at::Tensor& t, int root) {
  require_device(c, t, "broadcast");
  if (root < 0 || root >= c.size)
    throw std::invalid_argument("broadcast root " + std::to_string(root) + " is not a rank of this job (0.." +
                                std::to_string(c.size - 1) + ")");
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(c.device));
  const auto staged = ts::dist::stage(t, t.scalar_type());
  auto* data = staged.buffer.data_ptr();
  ts::nccl::check(ts::nccl::library().Broadcast(data, data, staged.buffer.nbytes(), ts::nccl::Uint8, root, c.comm,
                                                current_stream(c)),
                  "ncclBroadcast");
  staged.finish();
  check_async(c);
}

at::Tensor all_gather(const Communicator& c, const at::Tensor& t) {
  require_device(c, t, "all-gather");
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(c.device));
  const auto input = t.contiguous();
  std::vector<int64_t> shape{c.size};
  shape.insert(shape.end(), input.sizes().begin(), input.sizes().end());
  auto output = at::empty(shape, input.options());
  ts::nccl::check(ts::nccl::library().AllGather(input.data_ptr(), output.data_ptr(), input.nbytes(), ts::nccl::Uint8,
                                                c.comm, current_stream(c)),
                  "ncclAllGather");
  check_async(c);
  return output;
}

}  // namespace

// Joins the NCCL communicator `id` as `rank` of `size` on cuda:`device`. Every rank calls this at the same time
// (it blocks until all have joined). *out receives the handle for the collectives and ts_nccl_comm_destroy.
TS_API int ts_nccl_comm_init(const uint8_t* id, int size, int rank, int device, void** out) {
  TS_STATUS({
    const auto& lib = ts::nccl::library();
    const int visible = c10::cuda::device_count();
    if (device < 0 || device >= visible)
      throw std::invalid_argument("rank " + std::to_string(rank) + " should use cuda:" + std::to_string(device) +
                                  ", but this process sees " + std::to_string(visible) +
                                  " CUDA devices; start at most one rank per GPU on each machine, or check "
                                  "CUDA_VISIBLE_DEVICES");
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device));
    ts::nccl::UniqueId unique{};
    std::memcpy(unique.internal, id, sizeof(unique.internal));
    auto communicator = std::make_unique<Communicator>();
    communicator->device = device;
    communicator->rank = rank;
    communicator->size = size;
    ts::nccl::check(lib.CommInitRank(&communicator->comm, size, unique, rank), "ncclCommInitRank");
    *out = communicator.release();
  })
}

TS_API int ts_nccl_all_reduce(void* comm, const ts_tensor* tensors, int64_t count, int op) {
  TS_STATUS(all_reduce(*static_cast<Communicator*>(comm), ts::list(tensors, count), ts::dist::reduce_op(op)))
}

TS_API int ts_nccl_broadcast(void* comm, ts_tensor t, int root) {
  TS_STATUS(broadcast(*static_cast<Communicator*>(comm), *t, root))
}

TS_API ts_tensor ts_nccl_all_gather(void* comm, ts_tensor t) {
  TS_TENSOR(all_gather(*static_cast<Communicator*>(comm), *t))
}

// Waits for the communicator's work and frees it; the handle is invalid afterwards.
TS_API int ts_nccl_comm_destroy(void* comm) {
  TS_STATUS({
    std::unique_ptr<Communicator> communicator(static_cast<Communicator*>(comm));
    ts::nccl::check(ts::nccl::library().CommDestroy(communicator->comm), "ncclCommDestroy");
  })
}

#else  // CPU libtorch

namespace {
int no_cuda() {
  ts::set_error(
      "libtrainsage_native was built against a CPU libtorch (without CUDA), so NCCL collectives are unavailable: "
      "build native/ against the CUDA PyTorch (cmake -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch; "
      "print(torch.utils.cmake_prefix_path)')), or train on the CPU with the MPI process group");
  return -1;
}
}  // namespace

TS_API int ts_nccl_comm_init(const uint8_t*, int, int, int, void**) { return no_cuda(); }
TS_API int ts_nccl_all_reduce(void*, const ts_tensor*, int64_t, int) { return no_cuda(); }
TS_API int ts_nccl_broadcast(void*, ts_tensor, int) { return no_cuda(); }
TS_API ts_tensor ts_nccl_all_gather(void*, ts_tensor) {
  no_cuda();
  return nullptr;
}
TS_API int ts_nccl_comm_destroy(void*) { return no_cuda(); }

#endif
