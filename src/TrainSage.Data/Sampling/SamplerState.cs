namespace TrainSage.Data.Sampling;

/// <summary>
/// The sampler's cursor as checkpoints store it. Step is the next batch to draw; the other fields pin what the
/// batches depend on, so restoring into a sampler that would draw different batches is an error, not a silent
/// change of data order. The world size is deliberately absent: batches do not depend on it.
/// </summary>
public sealed record SamplerState(long Step, ulong Seed, int SeqLen, int GlobalBatch, long DatasetTokens);
