using TrainSage.Data.Shards;

namespace TrainSage.Data.Sampling;

/// <summary>
/// Rows of (input, target) windows, row-major [Rows, SeqLen]: Targets[r, t] is the token after Inputs[r, t].
/// </summary>
public sealed record TokenBatch(int[] Inputs, int[] Targets, int Rows, int SeqLen)
{
    /// <summary>Reads row r's window of SeqLen + 1 tokens from <c>windowOfRow(r)</c> = (shard index, start).</summary>
    internal static TokenBatch Gather(IReadOnlyList<TokenShard> shards, int seqLen, int rows, Func<int, (int Shard, long Start)> windowOfRow)
    {
        var inputs = new int[rows * seqLen];
        var targets = new int[rows * seqLen];
        var window = new int[seqLen + 1];
        for (var r = 0; r < rows; r++)
        {
            var (shard, start) = windowOfRow(r);
            shards[shard].CopyTo(start, window);
            window.AsSpan(0, seqLen).CopyTo(inputs.AsSpan(r * seqLen));
            window.AsSpan(1, seqLen).CopyTo(targets.AsSpan(r * seqLen));
        }
        return new TokenBatch(inputs, targets, rows, seqLen);
    }
}
