using TrainSage.Torch;

namespace TrainSage.Distributed;

/// <summary>
/// Averages gradients across ranks in fused buckets: after backward, each bucket's gradients are copied into one
/// flat buffer, all buffers are all-reduced (averaged) in one call, and the results are copied back. Fewer, larger
/// messages reach the network's bandwidth; the buffers are allocated once.
/// Parameters that do not require grad are left out. A parameter without a gradient on this rank counts as zeros,
/// and receives the averaged gradient, so every rank ends the step with the same gradients.
/// The synchronisation runs after backward, not overlapped with it: the binding has no autograd hooks yet.
/// </summary>
public sealed class GradientBucketer : IDisposable
{
    public const long DefaultBucketBytes = 25L * 1024 * 1024;

    private readonly IProcessGroup group;
    private readonly List<Bucket> buckets = [];

    public GradientBucketer(IProcessGroup group, IReadOnlyList<Tensor> parameters, long bucketBytes = DefaultBucketBytes)
    {
        if (bucketBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(bucketBytes), bucketBytes, "the bucket size must be a positive number of bytes");
        this.group = group;
        // Buckets hold one element type on one device; within those, parameters keep their order.
        foreach (var kind in parameters.Where(p => p.requires_grad).GroupBy(p => (p.device, p.dtype)))
        {
            var capacity = Math.Max(1, bucketBytes / kind.Key.dtype.ElementSize());
            var pending = new List<Tensor>();
            long elements = 0;
            foreach (var parameter in kind)
            {
                var count = parameter.numel();
                if (pending.Count > 0 && elements + count > capacity)
                {
                    buckets.Add(new Bucket(pending, kind.Key.device, kind.Key.dtype));
                    pending = [];
                    elements = 0;
                }
                pending.Add(parameter);
                elements += count;
            }
            if (pending.Count > 0) buckets.Add(new Bucket(pending, kind.Key.device, kind.Key.dtype));
        }
    }

    /// <summary>The number of elements in each bucket, in the order they are reduced.</summary>
    public IReadOnlyList<long> BucketSizes => buckets.Select(b => b.Flat.numel()).ToArray();

    /// <summary>Replaces every gradient with its average over all ranks. Call it on every rank after backward.</summary>
    public void AllReduceGradients()
    {
        if (group.WorldSize == 1 || buckets.Count == 0) return;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var bucket in buckets) bucket.Pack();
        group.AllReduce(buckets.Select(b => b.Flat).ToArray(), ReduceOp.Average);
        foreach (var bucket in buckets) bucket.Unpack();
    }

    public void Dispose()
    {
        foreach (var bucket in buckets) bucket.Flat.Dispose();
        buckets.Clear();
    }

    private sealed class Bucket
    {
        private readonly Tensor[] parameters;
        private readonly long[] offsets;

        public Bucket(List<Tensor> parameters, Device device, ScalarType dtype)
        {
            this.parameters = [.. parameters];
            offsets = new long[parameters.Count];
            long total = 0;
            for (var i = 0; i < parameters.Count; i++)
            {
                offsets[i] = total;
                total += parameters[i].numel();
            }
            Flat = torch.empty([total], dtype, device).DetachFromDisposeScope();
        }

        public Tensor Flat { get; }

        private Tensor Slot(int i) => Flat.narrow(0, offsets[i], parameters[i].numel());

        public void Pack()
        {
            for (var i = 0; i < parameters.Length; i++)
            {
                var grad = parameters[i].grad;
                if (grad is null) Slot(i).zero_();
                else Slot(i).copy_(grad.reshape(-1));
            }
        }

        public void Unpack()
        {
            for (var i = 0; i < parameters.Length; i++)
            {
                var averaged = Slot(i).view(parameters[i].shape);
                var grad = parameters[i].grad;
                if (grad is null) parameters[i].grad = averaged.clone();
                else grad.copy_(averaged);
            }
        }
    }
}
