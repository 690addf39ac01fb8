using TrainSage.Torch;
using TrainSage.Torch.Modules;
using TrainSage.Torch.Optim;
using F = TrainSage.Torch.torch.nn.functional;

namespace TrainSage.Benchmarks;

/// <summary>
/// The C# half of the binding-overhead benchmark: the same work as native/bench/binding_overhead.cpp, written
/// with the binding's public API the way a user writes it (dispose scopes, modules, AdamW).
/// </summary>
internal static class BindingShapes
{
    // Keep in step with the constants at the top of native/bench/binding_overhead.cpp.
    public const long Batch = 64, In = 256, Hidden1 = 512, Hidden2 = 256, Classes = 10;
    public const long TinyLength = 4;
}

/// <summary>x.add(y) on two [4] float tensors, each result owned and freed by a dispose scope.</summary>
internal sealed class TinyOpWorkload : IDisposable
{
    private readonly Tensor x = torch.randn([BindingShapes.TinyLength]).DetachFromDisposeScope();
    private readonly Tensor y = torch.randn([BindingShapes.TinyLength]).DetachFromDisposeScope();

    /// <summary>Seconds per op over <paramref name="iterations"/> ops.</summary>
    public TimingSample Measure(long iterations) => ProcessClock.TimePerUnit(iterations, n =>
    {
        for (long i = 0; i < n; i++)
        {
            using var scope = torch.NewDisposeScope();
            x.add(y);
        }
    });

    public void Dispose()
    {
        x.Dispose();
        y.Dispose();
    }
}

/// <summary>The 256 -> 512 -> 256 -> 10 GELU MLP of the benchmark.</summary>
internal sealed class BenchmarkMlp : Module<Tensor, Tensor>
{
    private readonly Linear fc1, fc2, fc3;

    public BenchmarkMlp()
    {
        fc1 = register_module("fc1", new Linear(BindingShapes.In, BindingShapes.Hidden1));
        fc2 = register_module("fc2", new Linear(BindingShapes.Hidden1, BindingShapes.Hidden2));
        fc3 = register_module("fc3", new Linear(BindingShapes.Hidden2, BindingShapes.Classes));
    }

    public override Tensor forward(Tensor input) =>
        fc3.forward(F.gelu(fc2.forward(F.gelu(fc1.forward(input)))));
}

/// <summary>One training step of <see cref="BenchmarkMlp"/> on a fixed batch: forward, cross entropy, backward, AdamW.</summary>
internal sealed class MlpStepWorkload : IDisposable
{
    private readonly BenchmarkMlp model = new();
    private readonly Tensor input = torch.randn([BindingShapes.Batch, BindingShapes.In]).DetachFromDisposeScope();
    private readonly Tensor target = torch.randint(0, BindingShapes.Classes, [BindingShapes.Batch]).DetachFromDisposeScope();
    private readonly AdamW optimizer;

    public MlpStepWorkload() => optimizer = new AdamW(model.parameters(), lr: 1e-3);

    /// <summary>Seconds per step over <paramref name="steps"/> steps.</summary>
    public TimingSample Measure(long steps) => ProcessClock.TimePerUnit(steps, n =>
    {
        for (long i = 0; i < n; i++) Step();
    });

    private void Step()
    {
        using var scope = torch.NewDisposeScope();
        var loss = F.cross_entropy(model.forward(input), target);
        loss.backward();
        optimizer.step();
        optimizer.zero_grad();
    }

    public void Dispose()
    {
        optimizer.Dispose();
        model.Dispose();
        input.Dispose();
        target.Dispose();
    }
}
