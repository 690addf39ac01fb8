using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TrainSage.Data.Datasets;
using TrainSage.Data.Sampling;
using TrainSage.Distributed;
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
public sealed class Trainer(LoadedRecipe loaded, TrainerOptions options, AttentionFactory attention, IProcessGroup group, ILogger logger,
    ITrainingObserver? observer = null)
{
    private readonly Recipe recipe = loaded.Recipe;
    private readonly bool main = group.IsMain();

    public TrainingResult Run(CancellationToken stop)
    {
        group.EnsureSameOnAllRanks(loaded.Hash, "recipe hash");
        var runDirectory = loaded.RunDirectory;
        var store = new CheckpointStore(Path.Combine(runDirectory, "checkpoints"), recipe.Checkpoint.KeepLast);
        if (main)
        {
            Directory.CreateDirectory(runDirectory);
            foreach (var leftover in store.RecoverInterrupted()) logger.LogWarning("removed an interrupted checkpoint write: {Path}", leftover);
        }

        var device = TrainingSetup.DeviceFor(recipe, group.LocalRank);
        torch.manual_seed(recipe.Seed);
        using var dataset = OpenDatasetOnce();
        var seqLen = recipe.Training.SeqLen ?? recipe.Model.BlockSize;
        var sampler = new BatchSampler(dataset.Train, seqLen, recipe.Training.BatchSize, group.Rank, group.WorldSize, recipe.Seed);

        using var model = new GPT(recipe.Model, attention, device);
        if (device.IsCuda && recipe.Training.Precision == Precision.Bf16) model.compute_dtype = ScalarType.BFloat16;
        var groups = model.parameter_groups();
        using var optimizer = new AdamW(groups.ToParamGroups(recipe.Optimizer.WeightDecay), recipe.Optimizer.Lr,
            recipe.Optimizer.Beta1, recipe.Optimizer.Beta2, recipe.Optimizer.Eps, recipe.Optimizer.WeightDecay);
        var named = model.named_parameters().ToList();
        var parameters = named.Select(p => p.Parameter).ToList();
        using var dataParallel = new DataParallel(group, parameters, named.Select(p => p.Name).ToList(),
            new DataParallelOptions((long)(recipe.Parallel.BucketMb * 1024 * 1024)));

        var state = Start(store, model, optimizer, sampler, dataset, device);
        dataParallel.BroadcastParameters();
        logger.LogInformation("model: {Flavour}, {Params:N0} parameters, attention {Attention}; {Steps} steps of {Batch} x {SeqLen} tokens on {Device} x {World} ranks ({Backend})",
            recipe.Model.Flavour, model.num_parameters(), recipe.Model.Attention.Default, recipe.Training.MaxSteps, recipe.Training.BatchSize, seqLen,
            device, group.WorldSize, group.Backend);

        var schedule = new CosineSchedule(recipe.Optimizer.Lr, recipe.Optimizer.MinLr, recipe.Optimizer.WarmupSteps,
            recipe.Optimizer.DecaySteps ?? recipe.Training.MaxSteps);
        using var metrics = main ? new MetricsLog(runDirectory, state.Step > 0 || options.Resume ? state.Step : null) : null;
        observer?.OnStart(state.Step, recipe.Training.MaxSteps);

        var clock = Stopwatch.StartNew();
        var sessionStartWall = state.WallSeconds;
        double lastLoss = double.NaN;
        double? lastVal = null;
        var tokensPerStep = (long)recipe.Training.BatchSize * seqLen;
        var stopping = StopRequested(stop, device);
        while (state.Step < recipe.Training.MaxSteps && !stopping)
        {
            var stepClock = Stopwatch.StartNew();
            var lr = schedule.At((int)state.Step);
            optimizer.set_lr(lr);
            lastLoss = TrainStep(model, parameters, optimizer, dataParallel, sampler, device, out var gradNorm);
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
            if (step % recipe.Training.LogInterval == 0 || lastVal is not null || last) metrics?.Write(record);
            observer?.OnStep(record);

            // Decided together: a rank that alone saw the stop must not enter the checkpoint's collectives alone.
            stopping = StopRequested(stop, device);
            var checkpointDue = recipe.Checkpoint.Interval > 0 && step % recipe.Checkpoint.Interval == 0;
            if (checkpointDue || last || stopping) Save(store, model, optimizer, dataParallel, state, dataset, device);
        }
        if (state.Step < recipe.Training.MaxSteps) logger.LogWarning("stopped at step {Step} on request; resume with --resume", state.Step);
        return new TrainingResult(state.Step, lastLoss, lastVal, runDirectory, state.Step < recipe.Training.MaxSteps);
    }

    /// <summary>One optimizer step over the global batch: forward/backward per micro-batch, clip, AdamW.</summary>
    private double TrainStep(GPT model, IReadOnlyList<Tensor> parameters, AdamW optimizer, DataParallel dataParallel, BatchSampler sampler,
        Device device, out double gradNorm)
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
        // Every rank then holds the gradient of the global batch, so clipping and the step agree across ranks.
        if (group.WorldSize > 1)
        {
            dataParallel.SynchronizeGradients();
            loss = Average(loss, device);
        }
        // With clipping off (0), an infinite limit still measures the norm, which the divergence check needs.
        gradNorm = torch.nn.utils.clip_grad_norm_(parameters, recipe.Training.GradClip > 0 ? recipe.Training.GradClip : double.PositiveInfinity);
        if (double.IsFinite(loss) && double.IsFinite(gradNorm)) optimizer.step();
        return loss;
    }

    private double Evaluate(GPT model, TokenDataset dataset, int seqLen, Device device)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        double total = 0;
        var count = 0;
        foreach (var batch in new EvaluationBatches(dataset.Validation, seqLen, recipe.Training.BatchSize, group.Rank, group.WorldSize, recipe.Eval.Batches))
        {
            using var scope = torch.NewDisposeScope();
            var (x, y) = BatchTensors.Rows(batch, 0, batch.Rows, device);
            total += model.loss(x, y).item();
            count++;
        }
        model.train();
        return count == 0 ? double.NaN : Average(total / count, device);
    }

    /// <summary>The mean of a per-rank value over all ranks (every rank holds the same number of rows).</summary>
    private double Average(double value, Device device)
    {
        if (group.WorldSize == 1) return value;
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(new[] { value }).to(group.Backend == "nccl" ? device : Device.CPU);
        group.AllReduceAverage(t);
        return t.item();
    }

    /// <summary>A stop asked of any rank stops all of them at the same step.</summary>
    private bool StopRequested(CancellationToken stop, Device device)
    {
        if (group.WorldSize == 1) return stop.IsCancellationRequested;
        using var scope = torch.NewDisposeScope();
        var flag = torch.tensor(new[] { stop.IsCancellationRequested ? 1.0 : 0.0 }).to(group.Backend == "nccl" ? device : Device.CPU);
        group.AllReduce(flag, ReduceOp.Max);
        return flag.item() > 0;
    }

    /// <summary>Rank 0 opens the dataset (preparing it when missing) while the others wait; then they open it too.</summary>
    private TokenDataset OpenDatasetOnce()
    {
        void Log(string m) => logger.LogInformation("{Message}", m);
        var dataset = main ? TrainingSetup.OpenDataset(loaded, Log) : null;
        group.Barrier();
        return dataset ?? TrainingSetup.OpenDataset(loaded, Log);
    }

    private TrainerState Start(CheckpointStore store, GPT model, AdamW optimizer, BatchSampler sampler, TokenDataset dataset, Device device)
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
            TrainingCheckpoint.CheckSameTokenizer(folder, dataset.Tokenizer);
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
        TrainingCheckpoint.CheckSameTokenizer(latest.Path, dataset.Tokenizer);
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

    /// <summary>Checks that all ranks hold the same weights, then rank 0 writes the checkpoint while the others wait.</summary>
    private void Save(CheckpointStore store, GPT model, AdamW optimizer, DataParallel dataParallel, TrainerState state, TokenDataset dataset, Device device)
    {
        if (group.WorldSize > 1) dataParallel.EnsureParametersConsistent();
        if (!main)
        {
            group.Barrier();
            return;
        }
        var withRng = state with
        {
            CpuRngState = RngState.Capture(Device.CPU),
            CudaRngState = device.IsCuda ? RngState.Capture(device) : null,
        };
        try
        {
            var saved = store.Save(state.Step, folder => TrainingCheckpoint.Write(folder, model, optimizer, withRng with { WorldSize = group.WorldSize },
                loaded.ResolvedYaml, dataset.Tokenizer), state.BestStep);
            logger.LogInformation("checkpoint {Path}", saved.Path);
        }
        finally
        {
            group.Barrier();
        }
    }
}
