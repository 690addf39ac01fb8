using TrainSage.Torch;

namespace TrainSage.Attention;

/// <summary>Attention computed exactly (the full score matrix, softmax, no quantization) in one dtype.</summary>
internal static class ExactAttention
{
    public static Tensor Compute(Tensor query, Tensor key, Tensor value, bool causal, ScalarType computeType)
    {
        AttentionInputs.Check(query, key, value);
        using var scope = torch.NewDisposeScope();
        var heads = query.size(1);
        var q = query.to(computeType);
        var k = AttentionInputs.RepeatKvHeads(key.to(computeType), heads);
        var v = AttentionInputs.RepeatKvHeads(value.to(computeType), heads);
        var scores = q.matmul(k.transpose(-2, -1)) * (1.0 / Math.Sqrt(query.size(3)));
        if (causal)
        {
            // Top-left aligned, as scaled_dot_product_attention and sage8: query t sees keys 0..t.
            var rows = torch.arange(query.size(2), ScalarType.Int64, query.device).unsqueeze(1);
            var cols = torch.arange(key.size(2), ScalarType.Int64, query.device).unsqueeze(0);
            scores = scores.masked_fill(cols.gt(rows), double.NegativeInfinity);
        }
        return torch.nn.functional.softmax(scores, -1).matmul(v).to(query.dtype).MoveToOuterScope();
    }
}
