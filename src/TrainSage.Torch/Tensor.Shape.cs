using N = TrainSage.Torch.Native.NativeMethods;

namespace TrainSage.Torch;

// Views, reshapes, joins, splits and indexing.
public sealed partial class Tensor
{
    public unsafe Tensor reshape(params long[] shape) { fixed (long* p = shape) return new(N.ts_reshape(Handle, p, shape.Length)); }
    public unsafe Tensor view(params long[] shape) { fixed (long* p = shape) return new(N.ts_view(Handle, p, shape.Length)); }
    public unsafe Tensor expand(params long[] shape) { fixed (long* p = shape) return new(N.ts_expand(Handle, p, shape.Length)); }
    public unsafe Tensor permute(params long[] dims) { fixed (long* p = dims) return new(N.ts_permute(Handle, p, dims.Length)); }
    public Tensor transpose(long dim0, long dim1) => new(N.ts_transpose(Handle, dim0, dim1));
    public Tensor unsqueeze(long dim) => new(N.ts_unsqueeze(Handle, dim));
    public Tensor squeeze(long dim) => new(N.ts_squeeze(Handle, dim));
    public Tensor flatten(long start_dim = 0, long end_dim = -1) => new(N.ts_flatten(Handle, start_dim, end_dim));
    public Tensor narrow(long dim, long start, long length) => new(N.ts_narrow(Handle, dim, start, length));
    public Tensor select(long dim, long index) => new(N.ts_select(Handle, dim, index));
    public Tensor slice(long dim, long start, long end, long step = 1) => new(N.ts_slice(Handle, dim, start, end, step));
    public Tensor index_select(long dim, Tensor index) => new(N.ts_index_select(Handle, dim, index.Handle));
    public Tensor gather(long dim, Tensor index) => new(N.ts_gather(Handle, dim, index.Handle));

    public Tensor[] split(long split_size, long dim = 0)
    {
        var count = N.ts_split(Handle, split_size, dim, out var array);
        return N.TakeArray(array, count);
    }

    public Tensor[] chunk(long chunks, long dim = 0)
    {
        var count = N.ts_chunk(Handle, chunks, dim, out var array);
        return N.TakeArray(array, count);
    }

    /// <summary>
    /// Indexing as in PyTorch: an integer selects (and drops the dimension), a range slices
    /// (<c>t[.., 1..3]</c>, <c>t[^1]</c>), <see cref="TensorIndex.Ellipsis"/> skips the dimensions it stands for.
    /// </summary>
    public Tensor this[params TensorIndex[] indices]
    {
        get
        {
            var dims = shape;
            var ellipsisAt = Array.FindIndex(indices, i => i.Kind == TensorIndex.IndexKind.Ellipsis);
            var explicitCount = indices.Length - (ellipsisAt >= 0 ? 1 : 0);
            if (explicitCount > dims.Length)
                throw new IndexOutOfRangeException($"too many indices ({explicitCount}) for a tensor of {dims.Length} dimensions");
            var result = alias();
            long dim = 0, source = 0;
            foreach (var index in indices)
            {
                if (index.Kind == TensorIndex.IndexKind.Ellipsis)
                {
                    var skipped = dims.Length - explicitCount;
                    dim += skipped;
                    source += skipped;
                    continue;
                }
                var size = dims[source];
                Tensor next;
                if (index.Kind == TensorIndex.IndexKind.Single)
                {
                    var i = index.Start.IsFromEnd ? size - index.Start.Value : index.Start.Value;
                    if (i < 0 || i >= size) throw new IndexOutOfRangeException($"index {index} is out of range for dimension {source} of size {size}");
                    next = result.select(dim, i);
                }
                else
                {
                    var (start, length) = index.Range.GetOffsetAndLength(checked((int)size));
                    next = result.slice(dim, start, start + length);
                    dim++;
                }
                result.Dispose();
                result = next;
                source++;
            }
            return result;
        }
    }
}

/// <summary>One index of <see cref="Tensor"/>'s indexer: an integer, a range, or the ellipsis.</summary>
public readonly struct TensorIndex
{
    internal enum IndexKind { Single, Range, Ellipsis }

    internal IndexKind Kind { get; }
    internal Index Start { get; }
    internal Range Range { get; }

    private TensorIndex(IndexKind kind, Index start, Range range)
    {
        Kind = kind;
        Start = start;
        Range = range;
    }

    public static readonly TensorIndex Ellipsis = new(IndexKind.Ellipsis, default, default);

    public static implicit operator TensorIndex(int index) => new(IndexKind.Single, index < 0 ? Index.FromEnd(-index) : index, default);
    public static implicit operator TensorIndex(long index) => (int)index;
    public static implicit operator TensorIndex(Index index) => new(IndexKind.Single, index, default);
    public static implicit operator TensorIndex(Range range) => new(IndexKind.Range, default, range);

    public override string ToString() => Kind switch
    {
        IndexKind.Single => Start.ToString(),
        IndexKind.Range => Range.ToString(),
        _ => "...",
    };
}
