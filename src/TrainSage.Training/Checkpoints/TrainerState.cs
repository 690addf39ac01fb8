using TrainSage.Data.Sampling;

namespace TrainSage.Training.Checkpoints;

/// <summary>Everything besides weights and optimizer moments that a resumed run needs (trainer.json).</summary>
public sealed record TrainerState
{
    /// <summary>Optimizer steps completed.</summary>
    public long Step { get; init; }

    public long TokensSeen { get; init; }

    /// <summary>Training wall time so far, over all sessions of the run.</summary>
    public double WallSeconds { get; init; }

    public required SamplerState Sampler { get; init; }

    public double? BestValLoss { get; init; }
    public long? BestStep { get; init; }

    /// <summary>SHA-256 of the resolved recipe the run was started with.</summary>
    public required string RecipeHash { get; init; }

    public int WorldSize { get; init; } = 1;

    /// <summary>Generator states (base64) of the CPU and of this rank's CUDA device, for dropout.</summary>
    public required string CpuRngState { get; init; }

    public string? CudaRngState { get; init; }
}
