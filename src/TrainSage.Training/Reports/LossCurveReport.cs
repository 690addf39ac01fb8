using System.Globalization;
using System.Text;
using System.Text.Json;
using TrainSage.Training.Metrics;

namespace TrainSage.Training.Reports;

/// <summary>
/// Loss curves of several runs of one recipe: loss-curves.svg (train and validation loss against steps, tokens
/// and wall time, and the gap of each run to the first), summary.json and summary.md with the final numbers.
/// </summary>
public static class LossCurveReport
{
    public const string ImageFile = "loss-curves.svg";
    private static readonly string[] Colors = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"];

    public static void Write(string folder, string title, IReadOnlyList<(string Label, string RunFolder)> runs, string command)
    {
        Directory.CreateDirectory(folder);
        var data = runs.Select(r => (r.Label, Records: MetricsLog.Read(r.RunFolder))).ToList();
        ChartSeries Line(int i, Func<MetricsRecord, double> x, Func<MetricsRecord, double?> y) =>
            new(data[i].Label, data[i].Records.Where(r => y(r) is not null).Select(r => (x(r), y(r)!.Value)).ToList(), Colors[i % Colors.Length]);
        List<ChartSeries> All(Func<MetricsRecord, double> x, Func<MetricsRecord, double?> y) => data.Select((_, i) => Line(i, x, y)).ToList();

        var panels = new List<ChartPanel>
        {
            new("train loss", "step", "loss", All(r => r.Step, r => r.TrainLoss)),
            new("validation loss", "step", "loss", All(r => r.Step, r => r.ValLoss)),
            new("train loss vs tokens", "tokens", "loss", All(r => r.Tokens, r => r.TrainLoss)),
            new("train loss vs wall time", "seconds", "loss", All(r => r.WallTimeS, r => r.TrainLoss)),
            new($"gap to {data[0].Label} (validation loss)", "step", "loss difference", Gaps(data)),
        };
        File.WriteAllText(Path.Combine(folder, ImageFile), SvgChart.Render(title, panels));

        var summary = data.Select(d => new
        {
            run = d.Label,
            steps = d.Records.LastOrDefault()?.Step,
            final_train_loss = d.Records.LastOrDefault()?.TrainLoss,
            final_val_loss = d.Records.LastOrDefault(r => r.ValLoss is not null)?.ValLoss,
            wall_time_s = d.Records.LastOrDefault()?.WallTimeS,
        }).ToList();
        File.WriteAllText(Path.Combine(folder, "summary.json"), JsonSerializer.Serialize(new { title, command, runs = summary }, new JsonSerializerOptions { WriteIndented = true }));
        var md = new StringBuilder($"# {title}\n\nCommand: `{command}`\n\n![loss curves]({ImageFile})\n\n| run | steps | final train loss | final val loss | wall time (s) |\n|---|---|---|---|---|\n");
        foreach (var s in summary)
            md.Append(CultureInfo.InvariantCulture, $"| {s.run} | {s.steps} | {s.final_train_loss:F4} | {s.final_val_loss:F4} | {s.wall_time_s:F1} |\n");
        File.WriteAllText(Path.Combine(folder, "summary.md"), md.ToString());
    }

    private static List<ChartSeries> Gaps(IReadOnlyList<(string Label, IReadOnlyList<MetricsRecord> Records)> data)
    {
        var baseline = data[0].Records.Where(r => r.ValLoss is not null).ToDictionary(r => r.Step, r => r.ValLoss!.Value);
        return data.Skip(1).Select((d, i) => new ChartSeries($"{d.Label} - {data[0].Label}",
            d.Records.Where(r => r.ValLoss is not null && baseline.ContainsKey(r.Step)).Select(r => ((double)r.Step, r.ValLoss!.Value - baseline[r.Step])).ToList(),
            Colors[(i + 1) % Colors.Length])).ToList();
    }
}
