namespace TrainSage.Training.Metrics;

/// <summary>One line of metrics.jsonl. Validation loss is present on evaluation steps only.</summary>
public sealed record MetricsRecord(
    long Step,
    long Tokens,
    double WallTimeS,
    double TrainLoss,
    double? ValLoss,
    double Lr,
    double GradNorm,
    double TokensPerS);
