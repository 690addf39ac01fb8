using Microsoft.Extensions.Logging.Abstractions;
using TrainSage.Distributed;
using TrainSage.Training.Metrics;
using TrainSage.Training.Recipes;

namespace TrainSage.Training.Tests;

/// <summary>End-to-end training on CPU with a tiny GPT on a slice of tinyshakespeare.</summary>
public sealed class TrainerTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("trainsage-trainer-").FullName;

    public TrainerTests()
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "corpora", "tinyshakespeare.txt"));
        File.WriteAllText(Path.Combine(root, "corpus.txt"), text[..200_000]);
        File.WriteAllText(Path.Combine(root, "shouting.txt"), text[..50_000].ToUpperInvariant());
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Recipe(string name) => $$"""
        name: {{name}}
        seed: 7
        out_dir: runs
        model: {flavour: gpt2, vocab_size: 96, n_layer: 2, n_head: 2, n_embd: 32, block_size: 32, attention: {default: math} }
        data: {dataset: data/chars, inputs: [corpus.txt], tokenizer: char}
        training: {max_steps: 20, batch_size: 8, log_interval: 1}
        optimizer: {lr: 3.0e-3, min_lr: 3.0e-4, warmup_steps: 2}
        eval: {interval: 10, batches: 2}
        checkpoint: {interval: 10, keep_last: 2}
        """;

    private LoadedRecipe Load(string name, params string[] overrides) => RecipeLoader.Parse(Recipe(name), root, overrides);

    private static TrainingResult Train(LoadedRecipe recipe, TrainerOptions? options = null, ITrainingObserver? observer = null, CancellationToken stop = default) =>
        new Trainer(recipe, options ?? new TrainerOptions(), ModelAttention.Factory(recipe.Recipe.Model.Attention.Sage8), new SingleProcessGroup(), NullLogger.Instance, observer).Run(stop);

    private sealed class StopAt(long step, CancellationTokenSource source) : ITrainingObserver
    {
        public void OnStart(long firstStep, long maxSteps) { }

        public void OnStep(MetricsRecord record)
        {
            if (record.Step == step) source.Cancel();
        }
    }

    [Fact]
    public void Loss_falls_and_metrics_tensorboard_and_checkpoints_are_written()
    {
        var recipe = Load("falls", "training.max_steps=200", "eval.interval=100", "model.n_embd=64", "training.batch_size=16", "optimizer.warmup_steps=10");
        var result = Train(recipe);
        var metrics = MetricsLog.Read(recipe.RunDirectory);
        Assert.Equal(200, metrics.Count);
        Assert.True(metrics[0].TrainLoss > 3.5, $"first loss {metrics[0].TrainLoss}");
        Assert.True(result.LastTrainLoss < 2.8, $"loss after 200 steps {result.LastTrainLoss}");
        Assert.NotNull(result.LastValLoss);
        Assert.Single(Directory.GetFiles(Path.Combine(recipe.RunDirectory, "tensorboard"), "events.out.tfevents.*"));
        Assert.True(Directory.Exists(Path.Combine(recipe.RunDirectory, "checkpoints", "step-000200")));
    }

    [Fact]
    public void A_model_trained_with_sage8_attention_ends_within_two_percent_of_exact_attention()
    {
        double FinalLoss(string backend)
        {
            var recipe = Load($"attn-{backend}", "training.max_steps=200", "model.n_embd=64", "training.batch_size=16",
                "optimizer.warmup_steps=10", "eval.interval=200", "eval.batches=8", $"model.attention.default={backend}");
            return Train(recipe).LastValLoss!.Value;
        }
        var exact = FinalLoss("math");
        var sage8 = FinalLoss("sage8");
        Assert.True(exact < 2.8, $"the exact-attention model did not learn: {exact}");
        Assert.True(Math.Abs(sage8 - exact) <= 0.02 * exact, $"sage8 {sage8} vs exact {exact}");
    }

    [Fact]
    public void Stopping_and_resuming_reproduces_the_uninterrupted_loss_sequence_exactly()
    {
        var straight = Load("straight");
        Train(straight);
        var expected = MetricsLog.Read(straight.RunDirectory).Select(r => r.TrainLoss).ToList();

        var interrupted = Load("interrupted");
        using (var stop = new CancellationTokenSource())
        {
            var first = Train(interrupted, observer: new StopAt(7, stop), stop: stop.Token);
            Assert.True(first.StoppedEarly);
            Assert.Equal(7, first.Steps);
        }
        Train(interrupted, new TrainerOptions(Resume: true));
        var actual = MetricsLog.Read(interrupted.RunDirectory).Select(r => r.TrainLoss).ToList();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Finetune_starts_from_the_checkpoint_and_refuses_another_architecture()
    {
        var pretrain = Load("base");
        Train(pretrain);
        var baseLoss = MetricsLog.Read(pretrain.RunDirectory).Last().TrainLoss;

        var tuned = Load("tuned", "training.max_steps=3", "optimizer.lr=1e-4", "optimizer.min_lr=1e-5", "optimizer.warmup_steps=0");
        Train(tuned, new TrainerOptions(FinetuneFrom: pretrain.RunDirectory));
        var first = MetricsLog.Read(tuned.RunDirectory)[0].TrainLoss;
        Assert.True(first < baseLoss + 0.3, $"fine-tuning started at loss {first}, the base model ended at {baseLoss}");

        var other = Load("other", "model.n_layer=3");
        var ex = Assert.Throws<RecipeException>(() => Train(other, new TrainerOptions(FinetuneFrom: pretrain.RunDirectory)));
        Assert.Equal("model.n_layer", ex.Key);

        // New data must be tokenized as the checkpoint was: a character set of its own is refused, with the fix named ...
        var shouting = Load("shouting", "data.dataset=data/shouting", "data.inputs=[shouting.txt]", "training.max_steps=2");
        ex = Assert.Throws<RecipeException>(() => Train(shouting, new TrainerOptions(FinetuneFrom: pretrain.RunDirectory)));
        Assert.Equal("data.dataset", ex.Key);
        Assert.Contains("tokenizer_file", ex.Message);
        // ... and data prepared with the checkpoint's tokenizer is accepted.
        var checkpointTokenizer = Path.Combine(pretrain.RunDirectory, "checkpoints", "step-000020", "tokenizer.json");
        var retokenized = Load("retokenized", "data.dataset=data/retokenized",
            $"data.tokenizer_file={checkpointTokenizer}", "training.max_steps=2");
        Train(retokenized, new TrainerOptions(FinetuneFrom: pretrain.RunDirectory));
    }

    [Fact]
    public void A_diverging_loss_stops_the_run_and_keeps_the_last_good_checkpoint()
    {
        var recipe = Load("nan", "training.max_steps=40", "checkpoint.interval=5", "training.grad_clip=0");
        var stop = new CancellationTokenSource();
        Train(recipe, observer: new StopAt(5, stop), stop: stop.Token);
        var blowUp = Load("nan", "training.max_steps=40", "checkpoint.interval=5", "training.grad_clip=0", "optimizer.lr=1e30", "optimizer.min_lr=1e29");
        var ex = Assert.Throws<TrainingDivergedException>(() => Train(blowUp, new TrainerOptions(Resume: true)));
        Assert.Contains("step-000005", ex.Message);
        Assert.Contains("lower optimizer.lr", ex.Message);
        // Nothing of the diverged state was saved: step 5's checkpoint is the only one.
        var checkpoints = Directory.GetDirectories(Path.Combine(recipe.RunDirectory, "checkpoints")).Select(Path.GetFileName).ToList();
        Assert.Contains("step-000005", checkpoints);
        Assert.Equal(["step-000005"], checkpoints);
        Train(recipe, new TrainerOptions(Resume: true)); // the kept checkpoint still resumes
    }

    [Fact]
    public void A_corrupt_checkpoint_is_refused_with_the_file_named()
    {
        var recipe = Load("corrupt", "training.max_steps=10");
        Train(recipe);
        var file = Path.Combine(recipe.RunDirectory, "checkpoints", "step-000010", "model.safetensors");
        var bytes = File.ReadAllBytes(file);
        bytes[^5] ^= 0xFF;
        File.WriteAllBytes(file, bytes);
        var ex = Assert.ThrowsAny<Exception>(() => Train(recipe, new TrainerOptions(Resume: true)));
        Assert.Contains("model.safetensors", ex.Message);
    }

    [Fact]
    public void A_missing_dataset_without_inputs_says_how_to_make_one()
    {
        var recipe = Load("nodata", "data.dataset=data/none", "data.inputs=[]");
        var ex = Assert.Throws<FileNotFoundException>(() => Train(recipe));
        Assert.Contains("trainsage data prepare", ex.Message);
    }

    [Fact]
    public void An_unwritable_checkpoint_folder_is_a_clear_error()
    {
        var recipe = Load("unwritable", "training.max_steps=2");
        Directory.CreateDirectory(recipe.RunDirectory);
        File.WriteAllText(Path.Combine(recipe.RunDirectory, "checkpoints"), "a file where the checkpoint folder should be");
        var ex = Assert.ThrowsAny<IOException>(() => Train(recipe));
        Assert.Contains("checkpoints", ex.Message);
    }
}
