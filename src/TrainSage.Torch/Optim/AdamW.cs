using TrainSage.Torch.Native;
using N = TrainSage.Torch.Native.NativeMethods;

namespace TrainSage.Torch.Optim;

/// <summary>A group of parameters sharing a learning rate and weight decay (null: the optimizer's defaults).</summary>
public sealed record ParamGroup(IReadOnlyList<Tensor> Parameters, double? LearningRate = null, double? WeightDecay = null);

/// <summary>One parameter's AdamW state, as checkpoints store it.</summary>
public sealed record AdamWParamState(long Step, Tensor ExpAvg, Tensor ExpAvgSq);

/// <summary>libtorch's AdamW (decoupled weight decay), with parameter groups and per-step learning rates.</summary>
public sealed class AdamW : IDisposable
{
    private readonly OptimizerHandle handle;
    private readonly List<ParamGroup> groups = [];

    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 1e-2)
    {
        handle = new OptimizerHandle(N.Check(N.ts_adamw_new(lr, beta1, beta2, eps, weight_decay)));
        foreach (var group in groups) add_param_group(group, lr, weight_decay);
    }

    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 1e-2)
        : this([new ParamGroup(parameters.ToList())], lr, beta1, beta2, eps, weight_decay)
    {
    }

    public IReadOnlyList<ParamGroup> param_groups => groups;

    private unsafe void add_param_group(ParamGroup group, double lr, double weightDecay)
    {
        using var handles = new HandleArray(group.Parameters);
        fixed (IntPtr* p = handles.Pointers)
            N.Check(N.ts_adamw_add_param_group(handle, p, handles.Length, group.LearningRate ?? lr, group.WeightDecay ?? weightDecay));
        groups.Add(group);
    }

    public void step() => N.Check(N.ts_optimizer_step(handle));

    public void zero_grad() => N.Check(N.ts_optimizer_zero_grad(handle));

    /// <summary>Sets the learning rate of every group (what an LR schedule does each step).</summary>
    public void set_lr(double lr)
    {
        for (var g = 0; g < groups.Count; g++) N.Check(N.ts_adamw_set_lr(handle, g, lr));
    }

    public void set_lr(int group, double lr) => N.Check(N.ts_adamw_set_lr(handle, group, lr));

    public double get_lr(int group = 0)
    {
        N.Check(N.ts_adamw_get_lr(handle, group, out var lr));
        return lr;
    }

    /// <summary>The state of a parameter, or null before its first step. The tensors are new handles the caller owns.</summary>
    public AdamWParamState? get_state(Tensor parameter)
    {
        var found = N.ts_adamw_get_state(handle, parameter.Handle, out var step, out var expAvg, out var expAvgSq);
        N.Check(found);
        return found == 0 ? null : new AdamWParamState(step, new Tensor(expAvg), new Tensor(expAvgSq));
    }

    public void set_state(Tensor parameter, AdamWParamState state) =>
        N.Check(N.ts_adamw_set_state(handle, parameter.Handle, state.Step, state.ExpAvg.Handle, state.ExpAvgSq.Handle));

    public void Dispose() => handle.Dispose();
}
