namespace TrainSage.Models;

/// <summary>
/// Rotary position embeddings in Hugging Face Llama's "rotate_half" layout: channel i is paired with channel
/// i + head_dim/2 (not with its neighbour, as Meta's original code does), so HF Llama q/k projection weights load
/// unchanged. Pair i turns by angle position * theta^(-2i / head_dim).
/// </summary>
public static class RotaryEmbedding
{
    /// <summary>cos and sin of every position's angles, each [tokens, head_dim] in fp32, with both halves repeated.</summary>
    public static (Tensor Cos, Tensor Sin) Tables(long tokens, long headDim, double theta, Device device)
    {
        if (headDim % 2 != 0) throw new ArgumentException($"RoPE needs an even head size, got {headDim}", nameof(headDim));
        using var scope = torch.NewDisposeScope();
        var inverseFrequencies = new float[headDim / 2];
        for (var i = 0; i < inverseFrequencies.Length; i++) inverseFrequencies[i] = (float)Math.Pow(theta, -2.0 * i / headDim);
        var positions = torch.arange(0, tokens, dtype: ScalarType.Float32, device: device);
        var angles = positions.unsqueeze(1) * torch.tensor(inverseFrequencies).to(device).unsqueeze(0);
        var both = torch.cat([angles, angles], -1);
        return (both.cos().MoveToOuterScope(), both.sin().MoveToOuterScope());
    }

    /// <summary>Rotates x [batch, heads, tokens, head_dim] by the tables of its positions; computed in fp32, returned in x's dtype.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = torch.NewDisposeScope();
        var x32 = x.to(ScalarType.Float32);
        var half = x32.size(-1) / 2;
        var rotated = torch.cat([-x32.narrow(-1, half, half), x32.narrow(-1, 0, half)], -1);
        return (x32 * cos + rotated * sin).to(x.dtype).MoveToOuterScope();
    }
}
