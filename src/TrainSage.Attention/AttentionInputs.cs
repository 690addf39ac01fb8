using TrainSage.Attention.Native;
using TrainSage.Torch;
using TrainSage.Torch.Native;

namespace TrainSage.Attention;

/// <summary>What every attention backend requires of its inputs, and grouped-query head expansion.</summary>
public static class AttentionInputs
{
    /// <summary>
    /// The checks every backend applies (native/sage8/inputs.cpp): 4-D, nothing empty, one dtype and device,
    /// matching batch and head_dim, key and value of one shape, query heads a multiple of key/value heads.
    /// Throws <see cref="TorchException"/> naming the problem.
    /// </summary>
    public static void Check(Tensor query, Tensor key, Tensor value) =>
        NativeInterop.Check(Sage8Native.ts_attention_check_inputs(
            NativeInterop.HandleOf(query), NativeInterop.HandleOf(key), NativeInterop.HandleOf(value)));

    /// <summary>key or value [batch, kv_heads, tokens, head_dim] repeated to [batch, heads, tokens, head_dim]:
    /// query head h uses K/V head h / (heads / kv_heads), as in repeat_interleave.</summary>
    public static Tensor RepeatKvHeads(Tensor x, long heads)
    {
        var s = x.shape;
        if (s[1] == heads) return x.alias();
        using var scope = torch.NewDisposeScope();
        return x.unsqueeze(2).expand(s[0], s[1], heads / s[1], s[2], s[3]).reshape(s[0], heads, s[2], s[3])
            .MoveToOuterScope();
    }
}
