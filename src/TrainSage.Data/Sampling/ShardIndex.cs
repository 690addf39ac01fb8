namespace TrainSage.Data.Sampling;

/// <summary>Numbers items (window starts) across shards consecutively and maps a global number back.</summary>
internal sealed class ShardIndex
{
    private readonly long[] _ends; // _ends[i]: items in shards 0..i

    public ShardIndex(IEnumerable<long> itemsPerShard)
    {
        var total = 0L;
        _ends = itemsPerShard.Select(count => total += count).ToArray();
        Total = total;
    }

    public long Total { get; }

    public (int Shard, long Local) Locate(long item)
    {
        if (item < 0 || item >= Total) throw new ArgumentOutOfRangeException(nameof(item), item, $"Items are numbered [0, {Total}).");
        // The first shard whose end is past the item (shards without items end where the previous one does).
        int low = 0, high = _ends.Length;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (_ends[middle] > item) high = middle;
            else low = middle + 1;
        }
        var shard = low;
        return (shard, item - (shard == 0 ? 0 : _ends[shard - 1]));
    }
}
