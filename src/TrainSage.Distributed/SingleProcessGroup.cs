using System.Diagnostics.CodeAnalysis;
using TrainSage.Torch;

namespace TrainSage.Distributed;

/// <summary>A job of one process: collectives leave tensors as they are, but check their arguments as the others do.</summary>
public sealed class SingleProcessGroup : IProcessGroup
{
    public string Backend => "single";
    public int Rank => 0;
    public int WorldSize => 1;
    public int LocalRank => 0;

    public void Barrier() { }

    public void AllReduce(Tensor tensor, ReduceOp op)
    {
        if (op == ReduceOp.Average && !tensor.dtype.IsFloatingPoint())
            throw new ArgumentException($"an average needs a floating-point tensor, got {tensor}", nameof(tensor));
    }

    public void AllReduce(IReadOnlyList<Tensor> tensors, ReduceOp op)
    {
        foreach (var tensor in tensors) AllReduce(tensor, op);
    }

    public void Broadcast(Tensor tensor, int root = 0) => RootCheck.Validate(root, WorldSize);

    public byte[] Broadcast(byte[] data, int root = 0)
    {
        RootCheck.Validate(root, WorldSize);
        return data;
    }

    public Tensor AllGather(Tensor tensor)
    {
        using var scope = torch.NewDisposeScope();
        return tensor.unsqueeze(0).clone().MoveToOuterScope();
    }

    [DoesNotReturn]
    public void Abort(string message, int exitCode = 1)
    {
        Console.Error.WriteLine(message);
        Environment.Exit(exitCode);
    }

    public void Dispose() { }
}

internal static class RootCheck
{
    public static void Validate(int root, int worldSize)
    {
        if (root < 0 || root >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(root), root, $"the broadcast root must be a rank of this job, 0..{worldSize - 1}");
    }
}
