using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TrainSage.Distributed;
using TrainSage.Models;
using TrainSage.Torch;
using TrainSage.Training;
using TrainSage.Training.Recipes;

namespace TrainSage.Cli.Commands;

/// <summary>`trainsage pretrain` and `trainsage finetune`: run a recipe under the Generic Host.</summary>
public static class TrainCommands
{
    public static Option<string[]> SetOption() => new("--set")
    {
        Description = "Override a recipe field: --set training.max_steps=200 (repeatable)",
        AllowMultipleArgumentsPerToken = false,
        DefaultValueFactory = _ => [],
    };

    public static Command Pretrain()
    {
        var recipe = new Argument<string>("recipe") { Description = "Path to the recipe YAML" };
        var set = SetOption();
        var resume = new Option<bool>("--resume") { Description = "Continue the run from its latest checkpoint" };
        var command = new Command("pretrain", "Train a model from scratch as the recipe says.") { recipe, set, resume };
        command.SetAction(parse => Run(parse.GetValue(recipe)!, parse.GetValue(set)!, new TrainerOptions(Resume: parse.GetValue(resume))));
        return command;
    }

    public static Command Finetune()
    {
        var recipe = new Argument<string>("recipe") { Description = "Path to the fine-tuning recipe YAML" };
        var from = new Option<string>("--from") { Description = "Checkpoint folder (or run folder) to start from", Required = true };
        var loadOptimizer = new Option<bool>("--load-optimizer") { Description = "Also restore the AdamW moments" };
        var set = SetOption();
        var resume = new Option<bool>("--resume") { Description = "Continue this fine-tuning run from its latest checkpoint" };
        var command = new Command("finetune", "Fine-tune a checkpoint with the recipe's data, LR and schedule.") { recipe, from, loadOptimizer, set, resume };
        command.SetAction(parse => Run(parse.GetValue(recipe)!, parse.GetValue(set)!, parse.GetValue(resume)
            ? new TrainerOptions(Resume: true)
            : new TrainerOptions(FinetuneFrom: parse.GetValue(from), LoadOptimizerState: parse.GetValue(loadOptimizer))));
        return command;
    }

    /// <summary>Loads the recipe, builds the host and runs the trainer; returns the process exit code.</summary>
    public static int Run(string recipePath, IReadOnlyList<string> overrides, TrainerOptions options) =>
        TryLoad(recipePath, overrides) is { } loaded ? RunLoaded(loaded, options) : BadRecipeExitCode;

    /// <summary>The exit code of a recipe that does not load.</summary>
    public const int BadRecipeExitCode = 2;

    /// <summary>The loaded recipe, or null after logging why it does not load (a bad key or value, a missing file).</summary>
    public static LoadedRecipe? TryLoad(string recipePath, IReadOnlyList<string> overrides)
    {
        try
        {
            return RecipeLoader.Load(recipePath, overrides);
        }
        catch (Exception e) when (e is RecipeException or FileNotFoundException)
        {
            using var console = Logging.Create(Logging.RankFromEnvironment(), logFile: null);
            console.Error("{Message}", e.Message);
            return null;
        }
    }

    public static int RunLoaded(LoadedRecipe loaded, TrainerOptions options)
    {
        var rank = Logging.RankFromEnvironment();
        Directory.CreateDirectory(loaded.RunDirectory);
        using var logger = Logging.Create(rank, Path.Combine(loaded.RunDirectory, $"train-rank{rank}.log"));
        var builder = Logging.HostBuilder(logger);
        builder.Services.AddSingleton(loaded);
        builder.Services.AddSingleton(Options.Create(loaded.Recipe));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(_ => ModelAttention.Factory(loaded.Recipe.Model.Attention.Sage8));
        builder.Services.AddSingleton<ITrainingObserver>(sp => ProgressObserver.Create(sp.GetRequiredService<ILogger<Trainer>>(), loaded.Recipe.Training.LogInterval));
        builder.Services.AddSingleton(_ => ProcessGroupFactory.Create(loaded.Recipe.Device == "cuda" ? DeviceType.CUDA : DeviceType.CPU,
            loaded.Recipe.Parallel.Backend));
        builder.Services.AddSingleton(sp => new Trainer(loaded, options, sp.GetRequiredService<AttentionFactory>(),
            sp.GetRequiredService<IProcessGroup>(), sp.GetRequiredService<ILogger<Trainer>>(), sp.GetRequiredService<ITrainingObserver>()));
        using var host = builder.Build();

        using var stop = new CancellationTokenSource();
        // Ctrl-C or SIGTERM: finish the current step, write a checkpoint, exit cleanly.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var log = host.Services.GetRequiredService<ILogger<Trainer>>();
        try
        {
            var result = host.Services.GetRequiredService<Trainer>().Run(stop.Token);
            log.LogInformation("done: {Steps} steps, train loss {Loss:F4}, val loss {Val:F4}; run folder {Run}",
                result.Steps, result.LastTrainLoss, result.LastValLoss ?? double.NaN, result.RunDirectory);
            return 0;
        }
        catch (Exception e) when (e is TrainingDivergedException or RecipeException or FileNotFoundException or InvalidDataException
                                       or InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            log.LogError("{Message}", e.Message);
            return 1;
        }
    }
}
