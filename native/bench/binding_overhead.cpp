// The C++ half of the binding-overhead benchmark: the same tiny op and MLP training step that
// src/TrainSage.Benchmarks/BindingOverheadBenchmark.cs runs through the C# binding, written directly against
// libtorch. Two modes:
//   binding_overhead [--threads N] [--repeats R] [--tiny-iters N] [--mlp-steps N]
//       measures R rounds and prints one JSON object with the medians;
//   binding_overhead --serve [--threads N]
//       reads commands from stdin ("tiny <iterations>", "mlp <steps>", "quit") and answers each with one line,
//       "<wall> <cpu>": ns per tiny op or us per MLP step, by the wall clock and by this process's CPU time, so
//       that the C# side can interleave its rounds with ours.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/optim/adamw.h>

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// The shapes of the benchmark; BindingOverheadBenchmark.cs uses the same ones.
constexpr int64_t kBatch = 64;
constexpr int64_t kIn = 256, kHidden1 = 512, kHidden2 = 256, kClasses = 10;
constexpr int64_t kTinyLength = 4;

}  // namespace

// OpenBLAS keeps its own thread pool, which at::set_num_threads does not reach. Debian's libtorch uses it for fp32
// matmul; the weak reference is null where libtorch links another BLAS. Same as ts_set_num_threads in the shim.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace {

void set_threads(int threads) {
  at::set_num_threads(threads);
  if (openblas_set_num_threads) openblas_set_num_threads(threads);
}

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Seconds per unit of work, by the wall clock and by this process's CPU time (which other processes on a busy
// machine inflate much less).
struct Sample {
  double wall, cpu;
};

template <typename Work>
Sample time_per_unit(int64_t units, Work work) {
  const auto wall_start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  for (int64_t i = 0; i < units; ++i) work();
  const double n = static_cast<double>(units);
  return {std::chrono::duration<double>(Clock::now() - wall_start).count() / n, (process_cpu_seconds() - cpu_start) / n};
}

// glibc gives freed memory at the top of the heap back to the system (and faults it in again on the next step)
// when nothing sits above it, which depends on what else the process has allocated. Both sides fix the same
// policy (ProcessClock.KeepFreedMemory on the C# side) so that this accident does not count for or against the binding.
void keep_freed_memory() {
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

// ns per x.add(y) on two [4] float tensors, the result freed each iteration.
class TinyOp {
 public:
  TinyOp() : x_(at::randn({kTinyLength})), y_(at::randn({kTinyLength})) {}

  Sample measure(int64_t iterations) {
    return time_per_unit(iterations, [this] { auto z = x_.add(y_); });
  }

 private:
  at::Tensor x_, y_;
};

// Linear weights initialised as PyTorch's nn.Linear does (uniform in +-1/sqrt(in_features)).
at::Tensor uniform_parameter(at::IntArrayRef shape, int64_t fan_in) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return at::empty(shape).uniform_(-bound, bound).requires_grad_(true);
}

// A 256 -> 512 -> 256 -> 10 GELU MLP trained with cross entropy and libtorch's AdamW on a fixed batch.
class MlpStep {
 public:
  MlpStep()
      : w1_(uniform_parameter({kHidden1, kIn}, kIn)),
        b1_(uniform_parameter({kHidden1}, kIn)),
        w2_(uniform_parameter({kHidden2, kHidden1}, kHidden1)),
        b2_(uniform_parameter({kHidden2}, kHidden1)),
        w3_(uniform_parameter({kClasses, kHidden2}, kHidden2)),
        b3_(uniform_parameter({kClasses}, kHidden2)),
        x_(at::randn({kBatch, kIn})),
        target_(at::randint(0, kClasses, {kBatch}, at::kLong)),
        optimizer_(std::vector<at::Tensor>{w1_, b1_, w2_, b2_, w3_, b3_}, torch::optim::AdamWOptions(1e-3)) {}

  Sample measure(int64_t steps) {
    return time_per_unit(steps, [this] { step(); });
  }

 private:
  void step() {
    auto h1 = at::gelu(at::linear(x_, w1_, b1_));
    auto h2 = at::gelu(at::linear(h1, w2_, b2_));
    auto logits = at::linear(h2, w3_, b3_);
    auto loss = at::cross_entropy_loss(logits, target_);
    loss.backward();
    {
      at::NoGradGuard no_grad;
      optimizer_.step();
    }
    optimizer_.zero_grad();
  }

  at::Tensor w1_, b1_, w2_, b2_, w3_, b3_, x_, target_;
  torch::optim::AdamW optimizer_;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

struct Options {
  bool serve = false;
  int threads = 1;
  int repeats = 7;
  int64_t tiny_iterations = 200000;
  int64_t mlp_steps = 200;
};

int64_t positive(const std::string& flag, const char* value) {
  char* end = nullptr;
  const long long parsed = value ? std::strtoll(value, &end, 10) : 0;
  if (!value || *end != '\0' || parsed <= 0) {
    std::cerr << flag << " needs a positive integer, got '" << (value ? value : "") << "'\n";
    std::exit(2);
  }
  return parsed;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (flag == "--serve") {
      o.serve = true;
      continue;
    }
    if (flag == "--threads") o.threads = static_cast<int>(positive(flag, value));
    else if (flag == "--repeats") o.repeats = static_cast<int>(positive(flag, value));
    else if (flag == "--tiny-iters") o.tiny_iterations = positive(flag, value);
    else if (flag == "--mlp-steps") o.mlp_steps = positive(flag, value);
    else {
      std::cerr << "unknown argument '" << flag
                << "'; usage: binding_overhead [--serve] [--threads N] [--repeats R] [--tiny-iters N] [--mlp-steps N]\n";
      std::exit(2);
    }
    ++i;
  }
  return o;
}

// Answers "tiny <iterations>" and "mlp <steps>" until "quit" or end of input.
int serve(TinyOp& tiny, MlpStep& mlp) {
  std::cout << "ready" << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string command;
    int64_t count = 0;
    words >> command >> count;
    if (command == "quit") return 0;
    if ((command != "tiny" && command != "mlp") || count <= 0) {
      std::cout << "error: expected 'tiny <iterations>', 'mlp <steps>' or 'quit', got '" << line << "'" << std::endl;
      continue;
    }
    const bool is_tiny = command == "tiny";
    const Sample s = is_tiny ? tiny.measure(count) : mlp.measure(count);
    const double unit = is_tiny ? 1e9 : 1e6;
    std::cout << s.wall * unit << ' ' << s.cpu * unit << std::endl;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  set_threads(options.threads);
  keep_freed_memory();
  at::manual_seed(0);
  TinyOp tiny;
  MlpStep mlp;
  // Warm-up: first-call dispatch caches, allocator pools and AdamW's state allocation.
  tiny.measure(options.tiny_iterations / 10 + 1);
  mlp.measure(options.mlp_steps / 10 + 1);
  if (options.serve) return serve(tiny, mlp);

  std::vector<double> tiny_ns, tiny_cpu_ns, mlp_us, mlp_cpu_us;
  for (int r = 0; r < options.repeats; ++r) {
    const Sample t = tiny.measure(options.tiny_iterations);
    const Sample m = mlp.measure(options.mlp_steps);
    tiny_ns.push_back(t.wall * 1e9);
    tiny_cpu_ns.push_back(t.cpu * 1e9);
    mlp_us.push_back(m.wall * 1e6);
    mlp_cpu_us.push_back(m.cpu * 1e6);
  }
  std::printf(
      "{\"threads\": %d, \"repeats\": %d, \"tiny_op_iterations\": %lld, \"mlp_steps\": %lld, "
      "\"tiny_op_ns\": %.1f, \"mlp_step_us\": %.1f, \"tiny_op_cpu_ns\": %.1f, \"mlp_step_cpu_us\": %.1f}\n",
      at::get_num_threads(), options.repeats, static_cast<long long>(options.tiny_iterations),
      static_cast<long long>(options.mlp_steps), median(tiny_ns), median(mlp_us), median(tiny_cpu_ns),
      median(mlp_cpu_us));
  return 0;
}
