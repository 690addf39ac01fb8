using System.Globalization;
using System.Text;

namespace TrainSage.Attention.Accuracy;

/// <summary>The accuracy report as Markdown: header, the issue's targets and ablations at a glance, every row.</summary>
internal static class AccuracyMarkdown
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private static readonly string[] DefaultFamilies = ["gaussian", "k-offset", "causal", "outlier-channels"];

    public static string Write(AccuracyReport report)
    {
        var md = new StringBuilder();
        var o = report.Sage8;
        md.AppendLine("# sage8 accuracy against exact fp32 attention").AppendLine();
        md.AppendLine(C, $"- command: `{report.Command}`");
        md.AppendLine(C, $"- device: {report.Device}; libtorch {report.Libtorch}");
        md.AppendLine(C, $"- batch {report.Batch}, heads {report.Heads}, seed {report.Seed}; " +
                         $"created {report.CreatedUtc:u} in {report.Seconds:F0} s");
        md.AppendLine(C, $"- sage8 options of variant \"default\": block {o.BlockSize}, K smoothing {o.SmoothK}, " +
                         $"Q smoothing {o.SmoothQ}, V/dO scales {o.VdoScaling}, dO*V^T {o.DoVPrecision}");

        var sizes = report.Rows.Select(r => (r.HeadDim, r.SeqLen)).Distinct().ToList();
        md.AppendLine().AppendLine("## Targets (families a-d, variant default)").AppendLine();
        md.AppendLine("Targets: O cosine >= 0.9995 and relative L1 <= 0.03; dQ, dK, dV cosine >= 0.996.").AppendLine();
        md.AppendLine("| head_dim | seq_len | min O cosine | max O rel L1 | min dQ/dK/dV cosine |");
        md.AppendLine("|---:|---:|---:|---:|---:|");
        foreach (var (d, n) in sizes)
        {
            var rows = report.Rows.Where(r => r.HeadDim == d && r.SeqLen == n && r.Variant == "default" &&
                                              DefaultFamilies.Contains(r.Family)).ToList();
            if (rows.Count == 0) continue;
            var outputs = rows.Where(r => r.Tensor == "O").ToList();
            md.AppendLine(C, $"| {d} | {n} | {outputs.Min(r => r.Cosine):F6} | {outputs.Max(r => r.RelL1):F4} | " +
                             $"{rows.Where(r => r.Tensor != "O").Min(r => r.Cosine):F6} |");
        }

        md.AppendLine().AppendLine("## Ablations").AppendLine();
        md.AppendLine("Targets: dQ cosine < 0.95 without K smoothing on (b); dQ's (1 - cosine) >= 2x with INT8 dO*V^T " +
                      "on (d); O's relative L1 >= 2x with per-block V/dO scales on (d).").AppendLine();
        md.AppendLine("| head_dim | seq_len | (b) dQ cosine, no K smoothing | (d) dQ (1 - cos) ratio, INT8 dO*V^T | " +
                      "(d) O rel L1 ratio, per-block V/dO |");
        md.AppendLine("|---:|---:|---:|---:|---:|");
        foreach (var (d, n) in sizes)
        {
            AccuracyRow? Find(string family, string variant, string tensor) => report.Rows.FirstOrDefault(r =>
                r.HeadDim == d && r.SeqLen == n && r.Family == family && r.Variant == variant && r.Tensor == tensor);
            string Ratio(AccuracyRow? a, AccuracyRow? b, Func<AccuracyRow, double> f) =>
                a is null || b is null ? "-" : (f(a) / f(b)).ToString("F2", C) + "x";
            var unsmoothed = Find("k-offset", "no-k-smoothing", "dQ")?.Cosine.ToString("F4", C) ?? "-";
            var int8 = Ratio(Find("outlier-channels", "int8-dov", "dQ"), Find("outlier-channels", "default", "dQ"),
                r => 1 - r.Cosine);
            var perBlock = Ratio(Find("outlier-channels", "per-block-vdo", "O"), Find("outlier-channels", "default", "O"),
                r => r.RelL1);
            md.AppendLine(C, $"| {d} | {n} | {unsmoothed} | {int8} | {perBlock} |");
        }

        md.AppendLine().AppendLine("## All rows").AppendLine();
        md.AppendLine("| family | variant | head_dim | seq_len | tensor | cosine | 1 - cosine | rel L1 | rel L2 |");
        md.AppendLine("|---|---|---:|---:|---|---:|---:|---:|---:|");
        foreach (var r in report.Rows)
            md.AppendLine(C, $"| {r.Family} | {r.Variant} | {r.HeadDim} | {r.SeqLen} | {r.Tensor} | {r.Cosine:F6} | " +
                             $"{(1 - r.Cosine).ToString("0.00e+00", C)} | {r.RelL1:F4} | {r.RelL2:F4} |");
        return md.ToString();
    }
}
