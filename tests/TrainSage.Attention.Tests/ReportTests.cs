using System.Text.Json;

namespace TrainSage.Attention.Tests;

public class ReportTests
{
    [Fact]
    public void The_report_has_one_row_per_case_head_dim_length_and_tensor()
    {
        var options = new AccuracyOptions { HeadDims = [64], SeqLens = [64, 100], Heads = 1 };
        var progress = new List<string>();
        var report = AccuracyRunner.Run(options, "trainsage attention accuracy --test", progress.Add);

        Assert.Equal(AccuracyCase.Standard.Count * 2 * 4, report.Rows.Count);
        Assert.Equal(4 * 2, progress.Count); // one line per family and length
        Assert.Contains(report.Rows, r => r is { Family: "outlier-channels", Variant: "int8-dov", SeqLen: 100, Tensor: "dQ" });
        Assert.All(report.Rows, r => Assert.InRange(r.Cosine, 0.9, 1.0));

        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal("trainsage attention accuracy --test", json.RootElement.GetProperty("command").GetString());
        Assert.StartsWith("cpu", json.RootElement.GetProperty("device").GetString());
        var row = json.RootElement.GetProperty("rows")[0];
        Assert.Equal(["family", "variant", "head_dim", "seq_len", "tensor", "cosine", "rel_l1", "rel_l2"],
            row.EnumerateObject().Select(p => p.Name));
        Assert.Equal("gaussian", row.GetProperty("family").GetString());

        var markdown = report.ToMarkdown();
        Assert.Contains("`trainsage attention accuracy --test`", markdown);
        Assert.Contains("| 64 | 100 | 0.9", markdown); // the targets and ablation summaries have a line per size
        Assert.Equal(report.Rows.Count, markdown.Split('\n').Count(l => l.StartsWith("| gaussian") || l.StartsWith("| k-offset") ||
                                                                         l.StartsWith("| causal") || l.StartsWith("| outlier")));
    }
}
