using TrainSage.Torch;
using Xunit;

namespace TrainSage.Distributed.Tests;

/// <summary>NCCL is opened at run time: where it is missing, the error says where it looked and how to fix it.</summary>
public class NcclLoadingTests
{
    [Fact]
    public void Nccl_opens_or_the_error_lists_the_places_searched_and_the_fix()
    {
        try
        {
            Assert.True(NcclProcessGroup.LoadNccl() >= 21000, "TrainSage needs NCCL 2.10 or newer");
        }
        catch (TorchException e)
        {
            Assert.Contains("libnccl.so.2", e.Message);
            Assert.Contains("TRAINSAGE_NCCL_LIB", e.Message);
        }
    }

    [Fact]
    public void An_explicit_nccl_path_that_does_not_exist_is_reported_without_falling_back()
    {
        const string path = "/nonexistent/nccl/libnccl.so.2";
        var result = WorkerProcess.RunAlone("nccl-load", TimeSpan.FromSeconds(60), new Dictionary<string, string> { ["TRAINSAGE_NCCL_LIB"] = path });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"tried:\n  {path}: ", result.Output);
        Assert.DoesNotContain("  libnccl.so.2:", result.Output);
        Assert.Contains("TrainSage rank 0 of 1", result.Output);
    }
}
