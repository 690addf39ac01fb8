using System.CommandLine;
using TrainSage.Cli.Commands;
using TrainSage.Distributed;

namespace TrainSage.Cli;

public static class Program
{
    // Under mpiexec, a failure on any rank must end the whole job (MPI_Abort), never leave the others waiting.
    public static Task<int> Main(string[] args) => RankFailureGuard.RunAsync(() => Run(args));

    private static async Task<int> Run(string[] args)
    {
        var root = new RootCommand("TrainSage: train transformers with 8-bit attention (sage8), data-parallel over MPI and NCCL.");
        foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
        return await root.Parse(args).InvokeAsync();
    }
}
