// NCCL, opened at run time from the NCCL that ships with the CUDA libtorch, so the shim neither links NCCL nor needs
// its headers. The declarations below follow NCCL's public C API (nccl.h); enums cross as int and cudaStream_t as
// void*, which is how the C ABI passes them.
#pragma once

#include <cstddef>
#include <string>

namespace ts::nccl {

using Result = int;  // ncclResult_t: 0 is ncclSuccess
using Comm = void*;  // ncclComm_t
using Stream = void*;  // cudaStream_t

constexpr size_t kUniqueIdBytes = 128;
struct UniqueId {
  char internal[kUniqueIdBytes];
};

enum DataType : int { Int8 = 0, Uint8 = 1, Int32 = 2, Int64 = 4, Float16 = 6, Float32 = 7, Float64 = 8, Bfloat16 = 9 };
enum RedOp : int { Sum = 0, Max = 2, Min = 3, Avg = 4 };

struct Library {
  std::string path;
  int version = 0;
  Result (*GetVersion)(int*);
  Result (*GetUniqueId)(UniqueId*);
  Result (*CommInitRank)(Comm*, int nranks, UniqueId id, int rank);
  Result (*AllReduce)(const void* send, void* recv, size_t count, int type, int op, Comm, Stream);
  Result (*Broadcast)(const void* send, void* recv, size_t count, int type, int root, Comm, Stream);
  Result (*AllGather)(const void* send, void* recv, size_t send_count, int type, Comm, Stream);
  Result (*CommDestroy)(Comm);
  Result (*CommGetAsyncError)(Comm, Result*);
  const char* (*GetErrorString)(Result);
  Result (*GroupStart)();
  Result (*GroupEnd)();
};

// Opens NCCL on first use; throws an error naming every place searched and how to fix it.
const Library& library();

// Throws "<what> failed: <NCCL's message>" unless result is ncclSuccess.
void check(Result result, const char* what);

}  // namespace ts::nccl
