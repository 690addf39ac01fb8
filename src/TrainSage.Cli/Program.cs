using System.CommandLine;
using TrainSage.Cli.Commands;

namespace TrainSage.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("TrainSage: train transformers with 8-bit attention (sage8), data-parallel over MPI and NCCL.");
        foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
        return await root.Parse(args).InvokeAsync();
    }
}
