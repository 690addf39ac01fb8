namespace TrainSage.Torch.Modules;

/// <summary>
/// A neural-network module as in PyTorch: named parameters, buffers and submodules (registered in order),
/// train/eval mode, device and dtype moves, and state dicts. Disposing a module frees its tensors.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<KeyValuePair<string, Tensor>> ownParameters = [];
    private readonly List<KeyValuePair<string, Tensor>> ownBuffers = [];
    private readonly List<KeyValuePair<string, Module>> children = [];
    private bool disposed;

    public bool training { get; private set; } = true;

    /// <summary>Takes ownership of <paramref name="value"/> as a trainable parameter.</summary>
    protected Tensor register_parameter(string name, Tensor value)
    {
        CheckNewName(name);
        value.DetachFromDisposeScope().requires_grad = true;
        ownParameters.Add(new(name, value));
        return value;
    }

    /// <summary>Takes ownership of a non-trainable tensor that belongs to the state dict.</summary>
    protected Tensor register_buffer(string name, Tensor value)
    {
        CheckNewName(name);
        ownBuffers.Add(new(name, value.DetachFromDisposeScope()));
        return value;
    }

    protected T register_module<T>(string name, T module) where T : Module
    {
        CheckNewName(name);
        children.Add(new(name, module));
        return module;
    }

    private void CheckNewName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"'{name}' is not a valid member name: it must be non-empty and contain no '.'");
        if (ownParameters.Any(p => p.Key == name) || ownBuffers.Any(b => b.Key == name) || children.Any(m => m.Key == name))
            throw new ArgumentException($"'{name}' is already registered in {GetType().Name}");
    }

    public IEnumerable<(string Name, Module Module)> named_modules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, module) in children)
            foreach (var item in module.named_modules(Join(prefix, name)))
                yield return item;
    }

    public IEnumerable<(string Name, Tensor Parameter)> named_parameters() =>
        named_modules().SelectMany(m => m.Module.ownParameters.Select(p => (Join(m.Name, p.Key), p.Value)));

    public IEnumerable<(string Name, Tensor Buffer)> named_buffers() =>
        named_modules().SelectMany(m => m.Module.ownBuffers.Select(b => (Join(m.Name, b.Key), b.Value)));

    public IEnumerable<Tensor> parameters() => named_parameters().Select(p => p.Parameter);

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    public Module train(bool mode = true)
    {
        foreach (var (_, module) in named_modules()) module.training = mode;
        return this;
    }

    public Module eval() => train(false);

    /// <summary>Moves every parameter and buffer in place (handles held elsewhere, e.g. by an optimizer, stay valid).</summary>
    public Module to(Device device, ScalarType? dtype = null)
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, tensor) in named_parameters().Concat(named_buffers()))
        {
            var target = dtype is { } d && tensor.dtype.IsFloatingPoint() ? d : tensor.dtype;
            using var moved = tensor.to(device, target);
            tensor.set_data(moved);
        }
        return this;
    }

    public Module to(ScalarType dtype) => to(parameters().FirstOrDefault()?.device ?? Device.CPU, dtype);

    /// <summary>Parameters and buffers by dotted name. The tensors are new handles (detached) to the same storage.</summary>
    public Dictionary<string, Tensor> state_dict()
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, tensor) in named_parameters().Concat(named_buffers())) result[name] = tensor.detach();
        return result;
    }

    /// <summary>
    /// Copies values into this module's parameters and buffers. With <paramref name="strict"/>, missing and
    /// unexpected names are errors; shape mismatches always are.
    /// </summary>
    public void load_state_dict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = named_parameters().Concat(named_buffers()).ToDictionary(p => p.Item1, p => p.Item2);
        if (strict)
        {
            var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
            var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new ArgumentException(
                    $"state dict does not match {GetType().Name}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]");
        }
        using var noGrad = torch.no_grad();
        foreach (var (name, target) in own)
        {
            if (!state.TryGetValue(name, out var source)) continue;
            if (!source.shape.SequenceEqual(target.shape))
                throw new ArgumentException(
                    $"state dict entry '{name}' has shape [{string.Join(", ", source.shape)}] but the module expects [{string.Join(", ", target.shape)}]");
            target.copy_(source);
        }
    }

    /// <summary>Clears every parameter's gradient (set to none, as PyTorch's default).</summary>
    public void zero_grad()
    {
        foreach (var p in parameters()) p.grad = null;
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var (_, p) in ownParameters) p.Dispose();
        foreach (var (_, b) in ownBuffers) b.Dispose();
        foreach (var (_, m) in children) m.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A module with one input and one output.</summary>
public abstract class Module<TInput, TOutput> : Module
{
    public abstract TOutput forward(TInput input);
}
