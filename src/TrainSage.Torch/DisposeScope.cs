namespace TrainSage.Torch;

/// <summary>
/// Frees every tensor created on this thread while it is the innermost scope, unless the tensor was moved out
/// (<see cref="Tensor.MoveToOuterScope"/>) or detached from scopes (<see cref="Tensor.DetachFromDisposeScope"/>).
/// Create one with <c>torch.NewDisposeScope()</c> in a using statement.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? current;

    // Made on the first tensor: many scopes (one per op or step) are cheap when nothing is allocated up front.
    private HashSet<Tensor>? tensors;
    private readonly DisposeScope? outer;
    private bool disposed;

    internal DisposeScope()
    {
        outer = current;
        current = this;
    }

    internal static DisposeScope? Current => current;

    internal DisposeScope? Outer => outer;

    /// <summary>Tensors this scope will free.</summary>
    public int Count => tensors?.Count ?? 0;

    internal void Add(Tensor tensor) => (tensors ??= new HashSet<Tensor>(ReferenceEqualityComparer.Instance)).Add(tensor);

    internal void Remove(Tensor tensor) => tensors?.Remove(tensor);

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (current != this)
            throw new InvalidOperationException("dispose scopes must be disposed innermost first, on the thread that made them");
        current = outer;
        if (tensors is null) return;
        foreach (var tensor in tensors) tensor.DisposeFromScope();
        tensors = null;
    }
}
