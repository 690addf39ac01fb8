using TrainSage.Torch;

namespace TrainSage.Attention.Accuracy;

/// <summary>The input families of the accuracy report (issue 3): what each stresses.</summary>
public enum InputFamily
{
    /// <summary>(a) Q, K, V, dO all N(0, 1).</summary>
    Gaussian,

    /// <summary>(b) K with a large per-channel offset 8 N(0, 1) shared by all tokens: what K smoothing is for.</summary>
    KOffset,

    /// <summary>(c) Gaussian, causal.</summary>
    Causal,

    /// <summary>(d) V and dO scaled per channel by exp(1.5 N(0, 1)): outlier channels, what per-channel scales are for.</summary>
    OutlierChannels,
}

/// <summary>Q, K, V and the output gradient dO of one accuracy case, fp32, [batch, heads, tokens, head_dim].</summary>
public sealed record AttentionSample(Tensor Query, Tensor Key, Tensor Value, Tensor GradOutput, bool Causal) : IDisposable
{
    public static string NameOf(InputFamily family) => family switch
    {
        InputFamily.Gaussian => "gaussian",
        InputFamily.KOffset => "k-offset",
        InputFamily.Causal => "causal",
        InputFamily.OutlierChannels => "outlier-channels",
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    /// <summary>
    /// Draws a sample from the CPU generator seeded with <paramref name="seed"/> (so every device gets the same
    /// numbers; the generator's previous state is restored afterwards) and moves it to <paramref name="device"/>.
    /// The tensors belong to the caller's dispose scope, if any.
    /// </summary>
    public static AttentionSample Create(InputFamily family, long batch, long heads, long tokens, long headDim, ulong seed,
        Device device)
    {
        using var scope = torch.NewDisposeScope();
        var callersRng = torch.random.get_rng_state();
        try
        {
            torch.manual_seed(seed);
            return Draw(family, [batch, heads, tokens, headDim], device).MoveToOuterScope();
        }
        finally
        {
            torch.random.set_rng_state(callersRng);
        }
    }

    private static AttentionSample Draw(InputFamily family, long[] shape, Device device)
    {
        long[] perChannel = [shape[0], shape[1], 1, shape[3]];
        var q = torch.randn(shape);
        var k = torch.randn(shape);
        var v = torch.randn(shape);
        var dO = torch.randn(shape);
        switch (family)
        {
            case InputFamily.KOffset:
                k = k + torch.randn(perChannel) * 8.0;
                break;
            case InputFamily.OutlierChannels:
                v = v * (torch.randn(perChannel) * 1.5).exp();
                dO = dO * (torch.randn(perChannel) * 1.5).exp();
                break;
        }
        return new AttentionSample(q.to(device), k.to(device), v.to(device), dO.to(device), family == InputFamily.Causal);
    }

    private AttentionSample MoveToOuterScope()
    {
        foreach (var t in new[] { Query, Key, Value, GradOutput }) t.MoveToOuterScope();
        return this;
    }

    public void Dispose()
    {
        Query.Dispose();
        Key.Dispose();
        Value.Dispose();
        GradOutput.Dispose();
    }
}
