using System.CommandLine;
using TrainSage.Attention.Accuracy;
using TrainSage.Torch;

namespace TrainSage.Cli.Commands;

/// <summary>`trainsage attention accuracy`: sage8 against exact fp32 attention, as JSON and Markdown.</summary>
public static class AttentionCommands
{
    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var headDims = new Option<int[]>("--head-dims") { DefaultValueFactory = _ => [64, 128], AllowMultipleArgumentsPerToken = true };
        var seqLens = new Option<int[]>("--seq-lens") { DefaultValueFactory = _ => [256, 1024, 4096], AllowMultipleArgumentsPerToken = true };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 1 };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => 2 };
        var output = new Option<string>("--output") { Description = "Path without extension; .json and .md are written", Required = true };
        var accuracy = new Command("accuracy", "Measure sage8's O, dQ, dK, dV against exact fp32 attention on the standard input families.")
            { device, headDims, seqLens, batch, heads, output };
        accuracy.SetAction(parse =>
        {
            using var logger = Logging.Create(Logging.RankFromEnvironment(), logFile: null);
            var options = new AccuracyOptions
            {
                Device = Device.Parse(parse.GetValue(device)!),
                HeadDims = parse.GetValue(headDims)!,
                SeqLens = parse.GetValue(seqLens)!,
                Batch = parse.GetValue(batch),
                Heads = parse.GetValue(heads),
            };
            var report = AccuracyRunner.Run(options, ReportFiles.CommandLine, m => logger.Information("{Message}", m));
            var path = parse.GetValue(output)!;
            ReportFiles.WriteJsonAndMarkdown(path, report.ToJson(), report.ToMarkdown());
            logger.Information("wrote {Json} and {Md}", path + ".json", path + ".md");
            return 0;
        });
        var fusedDevice = new Option<string>("--device") { Description = "cuda or cuda:N", DefaultValueFactory = _ => "cuda" };
        var fusedHeadDims = new Option<int[]>("--head-dims") { DefaultValueFactory = _ => [64, 128], AllowMultipleArgumentsPerToken = true };
        var fusedSeqLens = new Option<int[]>("--seq-lens") { DefaultValueFactory = _ => [256, 1024, 8192], AllowMultipleArgumentsPerToken = true };
        var fusedOutput = new Option<string>("--output") { Description = "Path without extension; .json and .md are written", Required = true };
        var fused = new Command("fused-check", "Compare the fused CUDA kernels with the reference (O, dQ, dK, dV relative L2).")
            { fusedDevice, fusedHeadDims, fusedSeqLens, fusedOutput };
        fused.SetAction(parse =>
        {
            using var logger = Logging.Create(Logging.RankFromEnvironment(), logFile: null);
            var device = Device.Parse(parse.GetValue(fusedDevice)!);
            IReadOnlyList<FusedAgreementRow> rows;
            try
            {
                rows = FusedAgreement.Run(device, parse.GetValue(fusedHeadDims)!, parse.GetValue(fusedSeqLens)!, m => logger.Information("{Message}", m));
            }
            catch (Exception e) when (e is ArgumentException or TorchException)
            {
                logger.Error("{Message}", e.Message);
                return 2;
            }
            var command = ReportFiles.CommandLine;
            ReportFiles.WriteJsonAndMarkdown(parse.GetValue(fusedOutput)!,
                FusedAgreement.ToJson(rows, command, device.ToString()), FusedAgreement.ToMarkdown(rows, command, device.ToString()));
            var worst = rows.Max(r => r.RelL2);
            logger.Information("worst relative L2 {Worst:E2} (target 1e-2)", worst);
            return worst <= 1e-2 ? 0 : 1;
        });
        return new Command("attention", "Attention tools.") { accuracy, fused };
    }
}
