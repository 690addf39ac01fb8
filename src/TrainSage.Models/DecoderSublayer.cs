using TrainSage.Torch.Modules;

namespace TrainSage.Models;

/// <summary>What every layer of one forward pass shares: the compute dtype and, for RoPE, the position tables.</summary>
internal sealed record ForwardContext(ScalarType ComputeDtype, Tensor? RopeCos = null, Tensor? RopeSin = null);

/// <summary>The attention or MLP half of a decoder block: maps [batch, tokens, n_embd] to the same shape.</summary>
internal abstract class DecoderSublayer : Module
{
    /// <summary>The projection back into the residual stream, whose init GPT-2 scales down by depth.</summary>
    public abstract Linear OutputProjection { get; }

    public abstract Tensor forward(Tensor x, ForwardContext context);

    /// <summary>
    /// x W^T + b with input, weight and bias cast to the compute dtype: the parameters themselves stay fp32
    /// (master weights), as under PyTorch's autocast.
    /// </summary>
    protected static Tensor Project(Linear layer, Tensor x, ForwardContext context) =>
        Precision.Linear(x, layer.weight, layer.bias, context.ComputeDtype);
}

internal static class Precision
{
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias, ScalarType dtype)
    {
        using var input = x.to(dtype);
        using var w = weight.to(dtype);
        using var b = bias?.to(dtype);
        return torch.nn.functional.linear(input, w, b);
    }
}
