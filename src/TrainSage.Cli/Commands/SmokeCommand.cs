using System.CommandLine;
using System.Diagnostics;
using TrainSage.Torch;
using TrainSage.Torch.Modules;
using TrainSage.Torch.Optim;

namespace TrainSage.Cli.Commands;

using F = torch.nn.functional;

/// <summary>`trainsage smoke`: checks the binding on a device (bf16 matmul, a backward, an AdamW step).</summary>
public static class SmokeCommand
{
    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var command = new Command("smoke", "Check the libtorch binding on a device: bf16 matmul, backward, AdamW step.") { device };
        command.SetAction(parse => Run(Device.Parse(parse.GetValue(device)!)));
        return command;
    }

    private static int Run(Device device)
    {
        using var logger = Logging.Create(Logging.RankFromEnvironment(), logFile: null);
        var (major, minor) = torch.libtorch_version();
        logger.Information("libtorch {Major}.{Minor}; CUDA available: {Cuda} ({Count} devices)", major, minor,
            torch.cuda.is_available(), torch.cuda.device_count());
        if (device.IsCuda && !torch.cuda.is_available())
        {
            logger.Error("--device {Device} asked for, but this libtorch sees no CUDA device: use --device cpu, or the CUDA build (scripts/gpu/run.sh)", device);
            return 2;
        }
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var sw = Stopwatch.StartNew();
        var a = torch.randn([256, 256], device: device).to(ScalarType.BFloat16);
        var b = torch.randn([256, 256], device: device).to(ScalarType.BFloat16);
        var product = a.matmul(b);
        var reference = a.to(ScalarType.Float32).matmul(b.to(ScalarType.Float32));
        var relError = ((product.to(ScalarType.Float32) - reference).norm() / reference.norm()).item();
        logger.Information("bf16 matmul 256x256 on {Device}: relative error vs fp32 {Error:E2} ({Dtype})", device, relError, product.dtype);

        using var model = new Linear(64, 8, device: device);
        using var optimizer = new AdamW(model.parameters(), lr: 1e-2);
        var x = torch.randn([32, 64], device: device);
        var y = torch.randint(0, 8, [32], device: device);
        var before = F.cross_entropy(model.forward(x), y).item();
        for (var i = 0; i < 20; i++)
        {
            using var step = torch.NewDisposeScope();
            optimizer.zero_grad();
            F.cross_entropy(model.forward(x), y).backward();
            optimizer.step();
        }
        var after = F.cross_entropy(model.forward(x), y).item();
        if (device.IsCuda) torch.cuda.synchronize();
        logger.Information("20 AdamW steps on {Device}: loss {Before:F4} -> {After:F4} in {Ms} ms", device, before, after, sw.ElapsedMilliseconds);
        var ok = relError < 2e-2 && after < before;
        logger.Information(ok ? "smoke test passed" : "smoke test FAILED");
        return ok ? 0 : 1;
    }
}
