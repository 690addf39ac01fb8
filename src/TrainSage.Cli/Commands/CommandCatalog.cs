using System.CommandLine;

namespace TrainSage.Cli.Commands;

/// <summary>Every verb of the trainsage executable.</summary>
public static class CommandCatalog
{
    public static IEnumerable<Command> All() =>
    [
        TrainCommands.Pretrain(),
        TrainCommands.Finetune(),
        CompareCommands.Compare(),
        CompareCommands.Plot(),
        DataCommands.Create(),
        AttentionCommands.Create(),
        SmokeCommand.Create(),
    ];
}
