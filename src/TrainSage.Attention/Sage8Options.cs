namespace TrainSage.Attention;

/// <summary>How V (in P V) and dO (in P^T dO) get their INT8 scales.</summary>
public enum VdoScaling
{
    /// <summary>One scale per token block and channel (default): outlier channels keep their own range.</summary>
    PerBlockAndChannel = 0,

    /// <summary>One scale per token block (SageBwd's choice; the ablation).</summary>
    PerBlock = 1,
}

/// <summary>The precision of dP = dO V^T in the backward, the one matmul the design keeps out of INT8.</summary>
public enum DoVPrecision
{
    /// <summary>bf16 inputs, fp32 accumulation (default).</summary>
    BFloat16 = 0,

    /// <summary>INT8 with per-block scales (the ablation).</summary>
    Int8 = 1,
}

/// <summary>
/// The numerics choices of sage8 attention (native/sage8/NUMERICS.md). Causality is an argument of each call,
/// like the other backends', not an option.
/// </summary>
public sealed record Sage8Options
{
    /// <summary>Tokens per query block and per key block: 64 or 128.</summary>
    public int BlockSize { get; init; } = 128;

    /// <summary>Subtract K's per-channel mean over tokens before quantizing (softmax is invariant to it).</summary>
    public bool SmoothK { get; init; } = true;

    /// <summary>SageAttention2's Q smoothing: subtract each query block's mean and add it back as an fp32 bias.</summary>
    public bool SmoothQ { get; init; }

    public VdoScaling VdoScaling { get; init; } = VdoScaling.PerBlockAndChannel;

    public DoVPrecision DoVPrecision { get; init; } = DoVPrecision.BFloat16;
}
