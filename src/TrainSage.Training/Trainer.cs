using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TrainSage.Data.Datasets;
using TrainSage.Data.Sampling;
using TrainSage.Formats.Checkpoints;
using TrainSage.Models;
using TrainSage.Torch;
using TrainSage.Torch.Optim;
using TrainSage.Training.Checkpoints;
using TrainSage.Training.Metrics;
using TrainSage.Training.Recipes;
using TrainSage.Training.Schedules;

namespace TrainSage.Training;

/// <summary>How a run starts: fresh, resumed from its own latest checkpoint, or fine-tuned from another run's.</summary>
public sealed record TrainerOptions(bool Resume = false, string? FinetuneFrom = null, bool LoadOptimizerState = false);

/// <summary>Sees every optimizer step (the CLI draws a progress bar or logs lines).</summary>
public interface ITrainingObserver
{
    void OnStart(long firstStep, long maxSteps);
    void OnStep(MetricsRecord record);
}

public sealed record TrainingResult(long Steps, double LastTrainLoss, double? LastValLoss, string RunDirectory, bool StoppedEarly);

/// <summary>The loss became NaN or infinite; the run stopped without writing a checkpoint of the bad state.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>
/// The training loop: warmup+cosine LR, gradient accumulation, global-norm clipping, periodic evaluation and
/// checkpoints, metrics to metrics.jsonl and TensorBoard, a clean stop on cancellation.
/// </summary>
public sealed class Trainer(LoadedRecipe loaded, TrainerOptions options, AttentionFactory attention, ILogger logger, ITrainingObserver? observer = null)
{
    private readonly Recipe recipe = loaded.Recipe;

    public TrainingResult Run(CancellationToken stop)
    {
        var runDirectory = loaded.RunDirectory;
        Directory.CreateDirectory(runDirectory);
        var store = new CheckpointStore(Path.Combine(runDirectory, "checkpoints"), recipe.Checkpoint.KeepLast);
        foreach (var leftover in store.RecoverInterrupted()) logger.LogWarning("removed an interrupted checkpoint write: {Path}", leftover);

        var device = TrainingSetup.DeviceFor(recipe, localRank: 0);
        torch.manual_seed(recipe.Seed);
        using var dataset = TrainingSetup.OpenDataset(loaded, m => logger.LogInformation("{Message}", m));
        var seqLen = recipe.Training.SeqLen ?? recipe.Model.BlockSize;
        var sampler = new BatchSampler(dataset.Train, seqLen, recipe.Training.BatchSize, rank: 0, worldSize: 1, recipe.Seed);

        using var model = new GPT(recipe.Model, attention, device);
        if (device.IsCuda && recipe.Training.Precision == Precision.Bf16) model.compute_dtype = ScalarType.BFloat16;
        var groups = model.parameter_groups();
        using var optimizer = new AdamW(groups.ToParamGroups(recipe.Optimizer.WeightDecay), recipe.Optimizer.Lr,
            recipe.Optimizer.Beta1, recipe.Optimizer.Beta2, recipe.Optimizer.Eps, recipe.Optimizer.WeightDecay);
        var parameters = model.parameters().ToList();

        var state = Start(store, model, optimizer, sampler, device);
        logger.LogInformation("model: {Flavour}, {Params:N0} parameters, attention {Attention}; {Steps} steps of {Batch} x {SeqLen} tokens on {Device}",
            recipe.Model.Flavour, model.num_parameters(), recipe.Model.Attention.Default, recipe.Training.MaxSteps, recipe.Training.BatchSize, seqLen, device);

        var schedule = new CosineSchedule(recipe.Optimizer.Lr, recipe.Optimizer.MinLr, recipe.Optimizer.WarmupSteps,
            recipe.Optimizer.DecaySteps ?? recipe.Training.MaxSteps);
        using var metrics = new MetricsLog(runDirectory, state.Step > 0 || options.Resume ? state.Step : null);
        observer?.OnStart(state.Step, recipe.Training.MaxSteps);

        var clock = Stopwatch.StartNew();
        var sessionStartWall = state.WallSeconds;
        double lastLoss = double.NaN;
        double? lastVal = null;
        var tokensPerStep = (long)recipe.Training.BatchSize * seqLen;
        while (state.Step < recipe.Training.MaxSteps && !stop.IsCancellationRequested)
        {
            var stepClock = Stopwatch.StartNew();
            var lr = schedule.At((int)state.Step);
            optimizer.set_lr(lr);
            lastLoss = TrainStep(model, optimizer, sampler, device, out var gradNorm);
            var step = state.Step + 1;
            if (!double.IsFinite(lastLoss) || !double.IsFinite(gradNorm))
                throw new TrainingDivergedException(
                    $"the loss became {lastLoss} (gradient norm {gradNorm}) at step {step}; nothing was saved from this step. " +
                    $"The last good checkpoint is {store.Latest()?.Path ?? "none"}: lower optimizer.lr, raise warmup_steps or set training.grad_clip, then --resume");
            state = state with
            {
                Step = step,
                TokensSeen = state.TokensSeen + tokensPerStep,
                WallSeconds = sessionStartWall + clock.Elapsed.TotalSeconds,
                Sampler = sampler.State,
            };

            lastVal = null;
            var last = step == recipe.Training.MaxSteps;
            if (recipe.Eval.Interval > 0 && (step % recipe.Eval.Interval == 0 || last))
            {
                lastVal = Evaluate(model, dataset, seqLen, device);
                if (state.BestValLoss is null || lastVal < state.BestValLoss) state = state with { BestValLoss = lastVal, BestStep = step };
            }
            var record = new MetricsRecord(step, state.TokensSeen, state.WallSeconds, lastLoss, lastVal, lr, gradNorm,
                tokensPerStep / stepClock.Elapsed.TotalSeconds);
            if (step % recipe.Training.LogInterval == 0 || lastVal is not null || last) metrics.Write(record);
            observer?.OnStep(record);

            var checkpointDue = recipe.Checkpoint.Interval > 0 && step % recipe.Checkpoint.Interval == 0;
            if (checkpointDue || last || stop.IsCancellationRequested) Save(store, model, optimizer, state, device);
        }
        if (stop.IsCancellationRequested) logger.LogWarning("stopped at step {Step} on request; resume with --resume", state.Step);
        return new TrainingResult(state.Step, lastLoss, lastVal, runDirectory, stop.IsCancellationRequested);
    }

    /// <summary>One optimizer step over the global batch: forward/backward per micro-batch, clip, AdamW.</summary>
    private double TrainStep(GPT model, AdamW optimizer, BatchSampler sampler, Device device, out double gradNorm)
    {
        model.train();
        optimizer.zero_grad();
        var batch = sampler.Next();
        var accum = recipe.Training.GradAccum;
        var rows = batch.Rows / accum;
        double loss = 0;
        for (var micro = 0; micro < accum; micro++)
        {
            using var scope = torch.NewDisposeScope();
            var (x, y) = BatchTensors.Rows(batch, micro * rows, rows, device);
            var microLoss = model.loss(x, y) / accum;
            microLoss.backward();
            loss += microLoss.item();
        }
        var parameters = model.parameters().ToList();
        gradNorm = recipe.Training.GradClip > 0
            ? torch.nn.utils.clip_grad_norm_(parameters, recipe.Training.GradClip)
            : torch.nn.utils.clip_grad_norm_(parameters, double.PositiveInfinity);
        if (double.IsFinite(loss) && double.IsFinite(gradNorm)) optimizer.step();
        return loss;
    }

    private double Evaluate(GPT model, TokenDataset dataset, int seqLen, Device device)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        double total = 0;
        var count = 0;
        foreach (var batch in new EvaluationBatches(dataset.Validation, seqLen, recipe.Training.BatchSize, rank: 0, worldSize: 1, recipe.Eval.Batches))
        {
            using var scope = torch.NewDisposeScope();
            var (x, y) = BatchTensors.Rows(batch, 0, batch.Rows, device);
            total += model.loss(x, y).item();
            count++;
        }
        model.train();
        return count == 0 ? double.NaN : total / count;
    }

    private TrainerState Start(CheckpointStore store, GPT model, AdamW optimizer, BatchSampler sampler, Device device)
    {
        var fresh = new TrainerState
        {
            Sampler = sampler.State,
            RecipeHash = loaded.Hash,
            CpuRngState = RngState.Capture(Device.CPU),
            CudaRngState = device.IsCuda ? RngState.Capture(device) : null,
        };
        if (options.FinetuneFrom is { } from)
        {
            var folder = CheckpointLocator.Resolve(from);
            TrainingCheckpoint.Verify(folder);
            var source = RecipeLoader.Parse(TrainingCheckpoint.ReadRecipe(folder), folder).Recipe;
            TrainingSetup.CheckSameArchitecture(source.Model, recipe.Model);
            TrainingCheckpoint.LoadModel(folder, model);
            if (options.LoadOptimizerState) TrainingCheckpoint.LoadOptimizer(folder, model, optimizer);
            logger.LogInformation("fine-tuning from {Folder}{Optimizer}", folder, options.LoadOptimizerState ? " (with optimizer state)" : "");
            return fresh;
        }
        if (!options.Resume) return fresh;
        var latest = store.Latest() ?? throw new FileNotFoundException(
            $"--resume: no checkpoint under {store.Root}; start without --resume to begin a new run");
        TrainingCheckpoint.Verify(latest.Path);
        var state = TrainingCheckpoint.ReadState(latest.Path);
        if (state.RecipeHash != loaded.Hash)
            logger.LogWarning("the recipe changed since this run started (hash {Old} -> {New}); resuming with the new one", state.RecipeHash[..12], loaded.Hash[..12]);
        TrainingCheckpoint.LoadModel(latest.Path, model);
        TrainingCheckpoint.LoadOptimizer(latest.Path, model, optimizer);
        sampler.Restore(state.Sampler);
        RngState.Restore(Device.CPU, state.CpuRngState);
        if (device.IsCuda && state.CudaRngState is { } cuda) RngState.Restore(device, cuda);
        logger.LogInformation("resumed from {Folder} at step {Step}", latest.Path, state.Step);
        return state;
    }

    private void Save(CheckpointStore store, GPT model, AdamW optimizer, TrainerState state, Device device)
    {
        var withRng = state with
        {
            CpuRngState = RngState.Capture(Device.CPU),
            CudaRngState = device.IsCuda ? RngState.Capture(device) : null,
        };
        var saved = store.Save(state.Step, folder => TrainingCheckpoint.Write(folder, model, optimizer, withRng, loaded.ResolvedYaml), state.BestStep);
        logger.LogInformation("checkpoint {Path}", saved.Path);
    }
}
