using System.Text;
using System.Text.Json;
using TrainSage.Torch;

namespace TrainSage.Attention.Accuracy;

/// <summary>One comparison of the fused CUDA kernels against the reference, for one tensor.</summary>
public sealed record FusedAgreementRow(string Family, int HeadDim, int SeqLen, string Tensor, double RelL2);

/// <summary>
/// The fused sage8 kernels (what <see cref="Sage8.Attention"/> runs on CUDA) against the reference forward and
/// backward (<see cref="Sage8.Forward"/>, <see cref="Sage8.Backward"/>) on the same bf16-representable inputs:
/// they implement the same numerics, so only fp32 summation order may differ.
/// </summary>
public static class FusedAgreement
{
    public static IReadOnlyList<FusedAgreementRow> Run(Device device, IReadOnlyList<int> headDims, IReadOnlyList<int> seqLens, Action<string>? progress = null)
    {
        if (!device.IsCuda) throw new ArgumentException("the fused kernels run on CUDA only; pass --device cuda");
        var options = new Sage8Options();
        var rows = new List<FusedAgreementRow>();
        foreach (var headDim in headDims)
        foreach (var seqLen in seqLens)
        foreach (var family in new[] { InputFamily.Gaussian, InputFamily.KOffset, InputFamily.Causal })
        {
            progress?.Invoke($"head_dim {headDim}, seq_len {seqLen}, {AttentionSample.NameOf(family)}");
            using var scope = torch.NewDisposeScope();
            using var sample = AttentionSample.Create(family, 1, 4, seqLen, headDim, 7, device);
            // The kernels read bf16: give both paths the same bf16-representable values.
            Tensor Bf16(Tensor t) => t.to(ScalarType.BFloat16).to(ScalarType.Float32);
            var bf16 = new AttentionSample(Bf16(sample.Query), Bf16(sample.Key), Bf16(sample.Value), Bf16(sample.GradOutput), sample.Causal);

            var (refO, refLse) = Sage8.Forward(bf16.Query, bf16.Key, bf16.Value, options, bf16.Causal);
            var (refDq, refDk, refDv) = Sage8.Backward(bf16.Query, bf16.Key, bf16.Value, refO, refLse, bf16.GradOutput, options, bf16.Causal);
            var reference = new AttentionResult(refO, refDq, refDk, refDv);

            var metrics = AttentionResult.Compute(new Sage8Attention(options), bf16).CompareTo(reference);
            for (var t = 0; t < metrics.Length; t++)
                rows.Add(new FusedAgreementRow(AttentionSample.NameOf(family), headDim, seqLen, AttentionResult.TensorNames[t], metrics[t].RelL2));
        }
        return rows;
    }

    public static string ToJson(IReadOnlyList<FusedAgreementRow> rows, string command, string device) =>
        JsonSerializer.Serialize(new { command, device, target_rel_l2 = 1e-2, rows },
            new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });

    public static string ToMarkdown(IReadOnlyList<FusedAgreementRow> rows, string command, string device)
    {
        var md = new StringBuilder($"# sage8: fused CUDA kernels against the reference\n\n- command: `{command}`\n- device: {device}\n");
        md.Append($"- target: relative L2 <= 1e-2 for O, dQ, dK, dV; worst measured: {rows.Max(r => r.RelL2):E2}\n\n");
        md.Append("| family | head_dim | seq_len | O | dQ | dK | dV |\n|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var g in rows.GroupBy(r => (r.Family, r.HeadDim, r.SeqLen)))
            md.Append($"| {g.Key.Family} | {g.Key.HeadDim} | {g.Key.SeqLen} | {string.Join(" | ", g.Select(r => r.RelL2.ToString("E2")))} |\n");
        return md.ToString();
    }
}
