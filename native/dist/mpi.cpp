// MPI glue: the control plane of a job launched by mpiexec (rank, size, barrier, broadcast, abort) and the data plane
// for CPU tensors (all-reduce, broadcast, all-gather in place on tensor memory).
//
// MPI is initialised with MPI_THREAD_SERIALIZED: the C# side serialises every call with a lock, but calls may come
// from different threads over time. MPI_COMM_WORLD uses MPI_ERRORS_RETURN so MPI errors become exceptions (and so
// C# TorchExceptions) with MPI's own message instead of killing the process silently.
#include <c10/core/GradMode.h>
#include "dist.h"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#ifdef TS_WITH_MPI
#include <dlfcn.h>
#include <mpi.h>

#include <algorithm>
#include <climits>

namespace {

int world_rank = 0;
int world_size = 1;
int local_rank = 0;

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw std::runtime_error(std::string(what) + " failed on rank " + std::to_string(world_rank) + ": " +
                           std::string(text, static_cast<size_t>(length)));
}

bool is_initialized() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

void require_initialized() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) throw std::runtime_error("MPI was already finalized in this process; it cannot be used again");
  if (!is_initialized())
    throw std::runtime_error("MPI is not initialized: create the MPI process group before using MPI collectives");
}

// .NET opens libtrainsage_native (and with it libmpi) RTLD_LOCAL, but Open MPI's plugins (mca_*.so) expect libmpi's
// and libopen-pal's symbols to be global. Re-opening libmpi with RTLD_GLOBAL | RTLD_NOLOAD promotes it in place.
void promote_mpi_symbols_to_global() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&MPI_Init_thread), &info) && info.dli_fname)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
}

int find_local_rank() {
  if (const char* env = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK")) return std::atoi(env);
  MPI_Comm node;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world_rank, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  int rank = 0;
  check(MPI_Comm_rank(node, &rank), "MPI_Comm_rank");
  check(MPI_Comm_free(&node), "MPI_Comm_free");
  return rank;
}

// MPI counts are ints: long buffers travel in pieces of at most 2^30 elements.
constexpr int64_t kMaxChunk = int64_t(1) << 30;

template <typename F>
void in_chunks(int64_t count, int64_t element_size, char* data, F&& call) {
  for (int64_t offset = 0; offset < count; offset += kMaxChunk) {
    const int n = static_cast<int>(std::min(kMaxChunk, count - offset));
    call(data + offset * element_size, n);
  }
}

void require_cpu(const at::Tensor& t, const char* what) {
  if (!t.device().is_cpu())
    throw std::invalid_argument(std::string("MPI ") + what + " moves CPU tensors only, got a " + ts::dist::describe(t) +
                                "; use the NCCL process group for CUDA tensors");
}

void require_root(int root) {
  if (root < 0 || root >= world_size)
    throw std::invalid_argument("broadcast root " + std::to_string(root) + " is not a rank of this job (0.." +
                                std::to_string(world_size - 1) + ")");
}

// The element type MPI sums in for each tensor type; half precision is summed in float32 (MPI has no such type).
std::pair<at::ScalarType, MPI_Datatype> reduction_type(at::ScalarType t) {
  switch (t) {
    case at::kFloat: case at::kHalf: case at::kBFloat16: return {at::kFloat, MPI_FLOAT};
    case at::kDouble: return {at::kDouble, MPI_DOUBLE};
    case at::kLong: return {at::kLong, MPI_INT64_T};
    case at::kInt: return {at::kInt, MPI_INT32_T};
    case at::kShort: return {at::kShort, MPI_INT16_T};
    case at::kChar: return {at::kChar, MPI_INT8_T};
    case at::kByte: return {at::kByte, MPI_UINT8_T};
    default:
      throw std::invalid_argument(std::string("MPI all-reduce does not support ") + c10::toString(t) +
                                  " tensors; use a floating-point or integer tensor");
  }
}

MPI_Op mpi_op(ts::dist::ReduceOp op) {
  switch (op) {
    case ts::dist::ReduceOp::Max: return MPI_MAX;
    case ts::dist::ReduceOp::Min: return MPI_MIN;
    default: return MPI_SUM;  // Average sums, then divides
  }
}

void all_reduce(const at::Tensor& t, ts::dist::ReduceOp op) {
  require_initialized();
  require_cpu(t, "all-reduce");
  if (op == ts::dist::ReduceOp::Average && !at::isFloatingType(t.scalar_type()))
    throw std::invalid_argument(std::string("an average needs a floating-point tensor, got a ") + ts::dist::describe(t));
  const auto types = reduction_type(t.scalar_type());
  const MPI_Datatype mpi_type = types.second;
  const auto staged = ts::dist::stage(t, types.first);
  auto* data = static_cast<char*>(staged.buffer.data_ptr());
  in_chunks(staged.buffer.numel(), staged.buffer.element_size(), data, [&](char* chunk, int n) {
    check(MPI_Allreduce(MPI_IN_PLACE, chunk, n, mpi_type, mpi_op(op), MPI_COMM_WORLD), "MPI_Allreduce");
  });
  if (op == ts::dist::ReduceOp::Average) {
    c10::NoGradGuard no_grad;
    staged.buffer.div_(world_size);
  }
  staged.finish();
}

void broadcast_bytes(void* data, int64_t length, int root) {
  require_initialized();
  require_root(root);
  in_chunks(length, 1, static_cast<char*>(data), [&](char* chunk, int n) {
    check(MPI_Bcast(chunk, n, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
  });
}

at::Tensor all_gather(const at::Tensor& t) {
  require_initialized();
  require_cpu(t, "all-gather");
  const auto input = t.contiguous();
  const int64_t bytes = static_cast<int64_t>(input.nbytes());
  if (bytes > INT_MAX)
    throw std::invalid_argument("MPI all-gather takes at most 2 GiB per rank, got " + std::to_string(bytes) + " bytes");
  std::vector<int64_t> shape{world_size};
  shape.insert(shape.end(), input.sizes().begin(), input.sizes().end());
  auto output = at::empty(shape, input.options());
  check(MPI_Allgather(input.data_ptr(), static_cast<int>(bytes), MPI_BYTE, output.data_ptr(), static_cast<int>(bytes),
                      MPI_BYTE, MPI_COMM_WORLD),
        "MPI_Allgather");
  return output;
}

}  // namespace

TS_API int ts_mpi_available() { return 1; }
TS_API int ts_mpi_initialized() { return is_initialized() ? 1 : 0; }

// Initialises MPI once per process (later calls are no-ops) and learns rank, size and local rank.
TS_API int ts_mpi_init() {
  TS_STATUS({
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized) throw std::runtime_error("MPI was already finalized in this process; it cannot be initialized again");
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      promote_mpi_symbols_to_global();
      int provided = 0;
      check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
      check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
      if (provided < MPI_THREAD_SERIALIZED)
        throw std::runtime_error("this MPI library does not support MPI_THREAD_SERIALIZED (provided level " +
                                 std::to_string(provided) + "); use an MPI built with thread support");
      check(MPI_Comm_rank(MPI_COMM_WORLD, &world_rank), "MPI_Comm_rank");
      check(MPI_Comm_size(MPI_COMM_WORLD, &world_size), "MPI_Comm_size");
      local_rank = find_local_rank();
    }
  })
}

TS_API int ts_mpi_finalize() {
  TS_STATUS({
    if (is_initialized()) check(MPI_Finalize(), "MPI_Finalize");
  })
}

TS_API int ts_mpi_rank() { return is_initialized() ? world_rank : -1; }
TS_API int ts_mpi_size() { return is_initialized() ? world_size : -1; }
TS_API int ts_mpi_local_rank() { return is_initialized() ? local_rank : -1; }

TS_API int ts_mpi_barrier() {
  TS_STATUS({
    require_initialized();
    check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  })
}

TS_API int ts_mpi_broadcast_bytes(void* data, int64_t length, int root) { TS_STATUS(broadcast_bytes(data, length, root)) }

TS_API int ts_mpi_all_reduce(ts_tensor t, int op) { TS_STATUS(all_reduce(*t, ts::dist::reduce_op(op))) }

// Broadcasts the tensor's bytes from `root` into the same-shaped tensor on every rank.
TS_API int ts_mpi_broadcast(ts_tensor t, int root) {
  TS_STATUS({
    require_cpu(*t, "broadcast");
    const auto staged = ts::dist::stage(*t, t->scalar_type());
    broadcast_bytes(staged.buffer.data_ptr(), static_cast<int64_t>(staged.buffer.nbytes()), root);
    staged.finish();
  })
}

// Returns a new tensor of shape [world size, *t.shape] holding every rank's t, in rank order.
TS_API ts_tensor ts_mpi_all_gather(ts_tensor t) { TS_TENSOR(all_gather(*t)) }

// Prints `message` and ends the whole job: MPI_Abort makes mpiexec kill every rank. Never returns.
TS_API void ts_mpi_abort(const char* message, int exit_code) {
  if (message) std::fprintf(stderr, "%s\n", message);
  std::fflush(stderr);
  if (is_initialized()) MPI_Abort(MPI_COMM_WORLD, exit_code);
  _exit(exit_code);
}

#else  // built without MPI

namespace {
const char* kNoMpi =
    "libtrainsage_native was built without MPI, so it cannot join a multi-process job: install Open MPI "
    "(apt install openmpi-bin libopenmpi-dev) and rebuild native/ (delete its CMake build folder first)";

int no_mpi() {
  ts::set_error(kNoMpi);
  return -1;
}
}  // namespace

TS_API int ts_mpi_available() { return 0; }
TS_API int ts_mpi_initialized() { return 0; }
TS_API int ts_mpi_init() { return no_mpi(); }
TS_API int ts_mpi_finalize() { return 0; }
TS_API int ts_mpi_rank() { return -1; }
TS_API int ts_mpi_size() { return -1; }
TS_API int ts_mpi_local_rank() { return -1; }
TS_API int ts_mpi_barrier() { return no_mpi(); }
TS_API int ts_mpi_broadcast_bytes(void*, int64_t, int) { return no_mpi(); }
TS_API int ts_mpi_all_reduce(ts_tensor, int) { return no_mpi(); }
TS_API int ts_mpi_broadcast(ts_tensor, int) { return no_mpi(); }
TS_API ts_tensor ts_mpi_all_gather(ts_tensor) {
  no_mpi();
  return nullptr;
}
TS_API void ts_mpi_abort(const char* message, int exit_code) {
  if (message) std::fprintf(stderr, "%s\n", message);
  std::fflush(stderr);
  _exit(exit_code);
}

#endif
