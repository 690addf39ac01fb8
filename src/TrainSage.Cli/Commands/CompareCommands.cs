using System.CommandLine;
using TrainSage.Training;
using TrainSage.Training.Reports;

namespace TrainSage.Cli.Commands;

/// <summary>
/// `trainsage compare`: the same recipe once per attention backend (same seed and data order), then the loss
/// curves; `trainsage plot`: the curves of existing run folders.
/// </summary>
public static class CompareCommands
{
    public static Command Compare()
    {
        var recipe = new Argument<string>("recipe") { Description = "Path to the recipe YAML" };
        var backends = new Option<string[]>("--backends") { Description = "Attention backends to compare", DefaultValueFactory = _ => ["flash", "sage8"], AllowMultipleArgumentsPerToken = true };
        var set = TrainCommands.SetOption();
        var output = new Option<string?>("--output") { Description = "Report folder (default: the recipe's out_dir/<name>-compare)" };
        var command = new Command("compare", "Run a recipe with each attention backend and plot the loss curves against each other.") { recipe, backends, set, output };
        command.SetAction(parse =>
        {
            var recipePath = parse.GetValue(recipe)!;
            var sets = parse.GetValue(set)!;
            if (TrainCommands.TryLoad(recipePath, sets) is not { } baseLoaded) return TrainCommands.BadRecipeExitCode;
            var runs = new List<(string Label, string Folder)>();
            foreach (var backend in parse.GetValue(backends)!)
            {
                var overrides = sets.Concat([$"model.attention.default={backend}", $"name={baseLoaded.Recipe.Name}-{backend}"]).ToList();
                if (TrainCommands.TryLoad(recipePath, overrides) is not { } loaded) return TrainCommands.BadRecipeExitCode;
                var code = TrainCommands.RunLoaded(loaded, new TrainerOptions());
                if (code != 0) return code;
                runs.Add((backend, loaded.RunDirectory));
            }
            var folder = parse.GetValue(output) ?? baseLoaded.Resolve(Path.Combine(baseLoaded.Recipe.OutDir, baseLoaded.Recipe.Name + "-compare"));
            LossCurveReport.Write(folder, baseLoaded.Recipe.Name, runs, ReportFiles.CommandLine);
            Console.WriteLine($"loss curves: {Path.Combine(folder, LossCurveReport.ImageFile)}");
            return 0;
        });
        return command;
    }

    public static Command Plot()
    {
        var runs = new Argument<string[]>("runs") { Description = "Run folders (each with metrics.jsonl); the first is the baseline of the gap panel (compare runs flash first)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output") { Description = "Report folder", Required = true };
        var title = new Option<string>("--title") { DefaultValueFactory = _ => "loss curves" };
        var command = new Command("plot", "Plot train and validation loss of run folders against steps, tokens and wall time.") { runs, output, title };
        command.SetAction(parse =>
        {
            var folders = parse.GetValue(runs)!.Select(r => (Path.GetFileName(Path.GetFullPath(r)), r)).ToList();
            LossCurveReport.Write(parse.GetValue(output)!, parse.GetValue(title)!, folders, $"trainsage plot {string.Join(' ', parse.GetValue(runs)!)}");
            return 0;
        });
        return command;
    }
}
