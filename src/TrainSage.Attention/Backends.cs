using TrainSage.Torch;

namespace TrainSage.Attention;

/// <summary>INT8 attention forward and backward (native/sage8/NUMERICS.md).</summary>
public sealed class Sage8Attention(Sage8Options options) : IAttention
{
    public Sage8Options Options { get; } = options;

    public string Name => AttentionRegistry.Sage8;

    public Tensor Forward(Tensor query, Tensor key, Tensor value, bool causal = false) =>
        Sage8.Attention(query, key, value, Options, causal);
}

/// <summary>
/// The BF16 baseline: libtorch's scaled_dot_product_attention on bf16 inputs (FlashAttention or cuDNN on CUDA,
/// as libtorch picks), the result cast back to the input dtype. Where libtorch has no SDPA (1.13), exact
/// attention in the input dtype (fp16 on a CPU, which 1.13 cannot multiply, in fp32 rounded back to fp16).
/// </summary>
public sealed class FlashAttention : IAttention
{
    public string Name => AttentionRegistry.Flash;

    public Tensor Forward(Tensor query, Tensor key, Tensor value, bool causal = false)
    {
        if (!torch.nn.functional.has_scaled_dot_product_attention)
            return ExactAttention.Compute(query, key, value, causal,
                query.dtype == ScalarType.Float16 && !query.device.IsCuda ? ScalarType.Float32 : query.dtype);
        AttentionInputs.Check(query, key, value);
        using var scope = torch.NewDisposeScope();
        var heads = query.size(1);
        var q = query.to(ScalarType.BFloat16);
        var k = AttentionInputs.RepeatKvHeads(key.to(ScalarType.BFloat16), heads);
        var v = AttentionInputs.RepeatKvHeads(value.to(ScalarType.BFloat16), heads);
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal: causal).to(query.dtype).MoveToOuterScope();
    }
}

/// <summary>Exact attention in fp32 whatever the input dtype: the accuracy reference.</summary>
public sealed class MathAttention : IAttention
{
    public string Name => AttentionRegistry.Math;

    public Tensor Forward(Tensor query, Tensor key, Tensor value, bool causal = false) =>
        ExactAttention.Compute(query, key, value, causal, ScalarType.Float32);
}

/// <summary>The attention backends by name.</summary>
public static class AttentionRegistry
{
    public const string Sage8 = "sage8";
    public const string Flash = "flash";
    public const string Math = "math";

    public static IReadOnlyList<string> Names { get; } = [Sage8, Flash, Math];

    /// <param name="name">"sage8", "flash" or "math" (case-insensitive).</param>
    /// <param name="sage8Options">sage8's numerics; the defaults when null. Ignored by the other backends.</param>
    public static IAttention Create(string name, Sage8Options? sage8Options = null) =>
        name.Trim().ToLowerInvariant() switch
        {
            Sage8 => new Sage8Attention(sage8Options ?? new Sage8Options()),
            Flash => new FlashAttention(),
            Math => new MathAttention(),
            _ => throw new ArgumentException(
                $"unknown attention backend '{name}'; the backends are: {string.Join(", ", Names)}", nameof(name)),
        };
}
