using TrainSage.Data.Tokenizers;
using TrainSage.Distributed;
using TrainSage.Models;

namespace TrainSage.Training.Recipes;

/// <summary>A training recipe (one YAML file): what to train, on what data, how, and where results go.</summary>
public sealed record Recipe
{
    /// <summary>The run's name: the run folder is {out_dir}/{name}.</summary>
    public string Name { get; init; } = "run";

    public ulong Seed { get; init; } = 1337;

    /// <summary>cpu or cuda (each rank then binds cuda:local_rank).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Where run folders are made, relative to the recipe file.</summary>
    public string OutDir { get; init; } = "runs";

    public ModelConfig Model { get; init; } = new();
    public DataSection Data { get; init; } = new();
    public TrainingSection Training { get; init; } = new();
    public OptimizerSection Optimizer { get; init; } = new();
    public EvalSection Eval { get; init; } = new();
    public CheckpointSection Checkpoint { get; init; } = new();
    public ParallelSection Parallel { get; init; } = new();
}

/// <summary>The token shards to train on, and how to make them when they are missing.</summary>
public sealed record DataSection
{
    /// <summary>Folder with train/val shards and tokenizer.json (made by `trainsage data prepare`), relative to the recipe.</summary>
    public string Dataset { get; init; } = "";

    /// <summary>Text files (globs, relative to the recipe) to prepare the dataset from when it does not exist yet.</summary>
    public IReadOnlyList<string> Inputs { get; init; } = [];

    public TokenizerKind Tokenizer { get; init; } = TokenizerKind.Byte;

    /// <summary>Vocabulary size for the BPE tokenizer (byte: 256; char: the characters of the corpus).</summary>
    public int? VocabSize { get; init; }

    public double ValFraction { get; init; } = 0.1;

    /// <summary>Prepare the dataset with this existing tokenizer.json (fine-tuning data must use the pretraining tokenizer).</summary>
    public string? TokenizerFile { get; init; }

    /// <summary>The JSON field holding the text in .jsonl inputs.</summary>
    public string JsonlField { get; init; } = "text";
}

public enum Precision { Fp32, Bf16 }

public sealed record TrainingSection
{
    public int MaxSteps { get; init; } = 1000;

    /// <summary>Sequences per optimizer step, over all ranks and accumulation steps.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Tokens per sequence; null: the model's block_size.</summary>
    public int? SeqLen { get; init; }

    public int GradAccum { get; init; } = 1;

    /// <summary>Global gradient-norm clip; 0 turns clipping off.</summary>
    public double GradClip { get; init; } = 1.0;

    /// <summary>bf16 autocast-style compute with fp32 master weights (CUDA); fp32 everywhere on CPU.</summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>Log a metrics line every this many steps.</summary>
    public int LogInterval { get; init; } = 10;
}

public sealed record OptimizerSection
{
    public double Lr { get; init; } = 6e-4;
    public double MinLr { get; init; } = 6e-5;
    public int WarmupSteps { get; init; } = 100;

    /// <summary>Steps of cosine decay to min_lr; null: max_steps.</summary>
    public int? DecaySteps { get; init; }

    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double Eps { get; init; } = 1e-8;
    public double WeightDecay { get; init; } = 0.1;
}

public sealed record EvalSection
{
    /// <summary>Evaluate on the validation split every this many steps (and at the end); 0: never.</summary>
    public int Interval { get; init; } = 250;

    /// <summary>Validation batches per evaluation.</summary>
    public int Batches { get; init; } = 20;
}

public sealed record CheckpointSection
{
    /// <summary>Write a checkpoint every this many steps (and at the end); 0: only at the end.</summary>
    public int Interval { get; init; } = 500;

    /// <summary>Checkpoints kept besides the best one by validation loss.</summary>
    public int KeepLast { get; init; } = 2;
}

public sealed record ParallelSection
{
    public DistributedBackend Backend { get; init; } = DistributedBackend.Auto;
    public double BucketMb { get; init; } = 25;
}
