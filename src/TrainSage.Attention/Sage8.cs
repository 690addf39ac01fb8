using TrainSage.Attention.Native;
using TrainSage.Torch;
using static TrainSage.Torch.Native.NativeInterop;

namespace TrainSage.Attention;

/// <summary>
/// The sage8 reference ops (native/sage8): INT8 attention forward and backward, on any device. Shapes as in
/// <see cref="IAttention.Forward"/>.
/// </summary>
public static class Sage8
{
    /// <summary>O = sage8 attention, recorded for autograd: backward() reaches query, key and value.</summary>
    public static Tensor Attention(Tensor query, Tensor key, Tensor value, Sage8Options options, bool causal = false) =>
        TakeTensor(Sage8Native.ts_sage8_attention(HandleOf(query), HandleOf(key), HandleOf(value), new(options, causal)));

    /// <summary>The forward without autograd: O and its log-sum-exp [batch, heads, tokens_q] (fp32, natural log).</summary>
    public static (Tensor Output, Tensor LogSumExp) Forward(Tensor query, Tensor key, Tensor value, Sage8Options options,
        bool causal = false)
    {
        Check(Sage8Native.ts_sage8_forward(HandleOf(query), HandleOf(key), HandleOf(value), new(options, causal),
            out var output, out var lse));
        return (TakeTensor(output), TakeTensor(lse));
    }

    /// <summary>
    /// The backward without autograd: the gradients of sum(O * gradOutput) with respect to query, key and value,
    /// from <see cref="Forward"/>'s results. dK and dV are summed over each group of query heads sharing a K/V head.
    /// </summary>
    public static (Tensor DQuery, Tensor DKey, Tensor DValue) Backward(Tensor query, Tensor key, Tensor value, Tensor output,
        Tensor logSumExp, Tensor gradOutput, Sage8Options options, bool causal = false)
    {
        Check(Sage8Native.ts_sage8_backward(HandleOf(query), HandleOf(key), HandleOf(value), HandleOf(output),
            HandleOf(logSumExp), HandleOf(gradOutput), new(options, causal), out var dq, out var dk, out var dv));
        return (TakeTensor(dq), TakeTensor(dk), TakeTensor(dv));
    }
}
