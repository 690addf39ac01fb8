namespace TrainSage.Attention.Tests;

/// <summary>Runs sage8 and the exact reference on one sample (CPU, batch 1).</summary>
internal static class Run
{
    /// <summary>O, dQ, dK and dV of sage8 against exact attention.</summary>
    public static ErrorMetrics[] Errors(InputFamily family, int headDim, int tokens, Sage8Options? options = null,
        int heads = 2, ulong seed = 7)
    {
        var sample = AttentionSample.Create(family, 1, heads, tokens, headDim, seed, Device.CPU);
        var sage8 = AttentionResult.Compute(new Sage8Attention(options ?? new Sage8Options()), sample);
        return sage8.CompareTo(AttentionResult.Compute(new MathAttention(), sample));
    }

    public static Tensor Randn(params long[] shape) => torch.randn(shape);

    /// <summary>The largest |a - b| relative to the largest |b|.</summary>
    public static double MaxRelativeDifference(Tensor a, Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        return (a - b).abs().amax().item() / b.abs().amax().item();
    }
}
