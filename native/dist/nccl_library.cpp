// Finds and opens libnccl.so.2 at run time. Search order:
//   1. $TRAINSAGE_NCCL_LIB, when set (and then only it: an explicit choice must not silently fall back);
//   2. the soname libnccl.so.2: a CUDA libtorch from pip has already loaded it, and LD_LIBRARY_PATH also counts;
//   3. pip's nvidia-nccl package beside torch: <site-packages>/nvidia/nccl/lib/libnccl.so.2, found from libc10's folder.
#include "nccl_library.h"

#include <c10/core/CPUAllocator.h>
#include <dlfcn.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace ts::nccl {
namespace {

constexpr const char* kEnvironmentVariable = "TRAINSAGE_NCCL_LIB";
constexpr int kMinimumVersion = 21000;  // NCCL 2.10: ncclAvg and bfloat16

std::vector<std::string> candidates() {
  if (const char* explicit_path = std::getenv(kEnvironmentVariable); explicit_path && *explicit_path)
    return {explicit_path};
  std::vector<std::string> paths{"libnccl.so.2"};
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&c10::GetCPUAllocator), &info) && info.dli_fname) {
    std::string torch_lib = info.dli_fname;
    torch_lib = torch_lib.substr(0, torch_lib.find_last_of('/'));
    paths.push_back(torch_lib + "/../../nvidia/nccl/lib/libnccl.so.2");
  }
  return paths;
}

template <typename F>
void bind_symbol(void* handle, const std::string& path, const char* name, F& slot) {
  void* symbol = dlsym(handle, name);
  if (!symbol) throw std::runtime_error(path + " is not a usable NCCL: it has no " + name);
  slot = reinterpret_cast<F>(symbol);
}

Library open_library() {
  std::string tried;
  void* handle = nullptr;
  std::string path;
  for (const auto& candidate : candidates()) {
    handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle) {
      path = candidate;
      break;
    }
    const char* error = dlerror();
    tried += "\n  " + candidate + ": " + (error ? error : "not found");
  }
  if (!handle)
    throw std::runtime_error(
        "NCCL (libnccl.so.2) was not found; tried:" + tried +
        "\nNCCL ships with the CUDA PyTorch (pip package nvidia-nccl-cu*, in site-packages/nvidia/nccl/lib). Point " +
        kEnvironmentVariable + " at libnccl.so.2, or add its folder to LD_LIBRARY_PATH.");

  Library lib;
  lib.path = path;
  bind_symbol(handle, path, "ncclGetVersion", lib.GetVersion);
  bind_symbol(handle, path, "ncclGetUniqueId", lib.GetUniqueId);
  bind_symbol(handle, path, "ncclCommInitRank", lib.CommInitRank);
  bind_symbol(handle, path, "ncclAllReduce", lib.AllReduce);
  bind_symbol(handle, path, "ncclBroadcast", lib.Broadcast);
  bind_symbol(handle, path, "ncclAllGather", lib.AllGather);
  bind_symbol(handle, path, "ncclCommDestroy", lib.CommDestroy);
  bind_symbol(handle, path, "ncclCommGetAsyncError", lib.CommGetAsyncError);
  bind_symbol(handle, path, "ncclGetErrorString", lib.GetErrorString);
  bind_symbol(handle, path, "ncclGroupStart", lib.GroupStart);
  bind_symbol(handle, path, "ncclGroupEnd", lib.GroupEnd);
  if (lib.GetVersion(&lib.version) != 0) throw std::runtime_error(path + ": ncclGetVersion failed");
  if (lib.version < kMinimumVersion)
    throw std::runtime_error(path + " is NCCL version code " + std::to_string(lib.version) +
                             "; TrainSage needs NCCL 2.10 or newer (average reduction, bfloat16)");
  return lib;
}

}  // namespace

const Library& library() {
  // Opened once; a failure is not cached, so fixing the environment and retrying works.
  static std::mutex mutex;
  static std::unique_ptr<Library> opened;
  std::lock_guard<std::mutex> lock(mutex);
  if (!opened) opened = std::make_unique<Library>(open_library());
  return *opened;
}

void check(Result result, const char* what) {
  if (result == 0) return;
  throw std::runtime_error(std::string(what) + " failed: " + library().GetErrorString(result) + " (NCCL error " +
                           std::to_string(result) + "; run with NCCL_DEBUG=WARN for details)");
}

}  // namespace ts::nccl
