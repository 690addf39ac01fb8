using TrainSage.Data.Sampling;
using TrainSage.Torch;
using F = TrainSage.Torch.torch.nn.functional;

namespace TrainSage.Distributed.Worker;

/// <summary>
/// Data-parallel gradients equal single-process gradients: a two-layer MLP, each rank on its share of one global
/// batch, gradients averaged through small buckets (several per step), compared with the gradients this process
/// computes alone over the whole batch. Then the consistency check: identical after a step, a perturbation found.
/// </summary>
internal static class Gradients
{
    private const int GlobalBatch = 8;
    private const double Tolerance = 1e-5;

    public static void Run(IProcessGroup group)
    {
        using var scope = torch.NewDisposeScope();
        // Different weights on every rank, so the broadcast from rank 0 has something to do.
        torch.manual_seed(100 + (ulong)group.Rank);
        Tensor[] parameters =
        [
            (torch.randn([32, 16]) * 0.3).requires_grad_(), torch.zeros([32]).requires_grad_(),
            (torch.randn([4, 32]) * 0.3).requires_grad_(), torch.zeros([4]).requires_grad_(),
        ];
        string[] names = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"];
        using var parallel = new DataParallel(group, parameters, names, new DataParallelOptions(BucketBytes: 600));
        Expect.That(parallel.BucketSizes.Count > 2, $"600-byte buckets should split the model in 3, got {parallel.BucketSizes.Count}");
        parallel.BroadcastParameters();
        parallel.EnsureParametersConsistent();

        // The same global batch on every rank; each rank trains on its own rows.
        torch.manual_seed(7);
        var inputs = torch.randn([GlobalBatch, 16]);
        var targets = torch.randn([GlobalBatch, 4]);
        var slice = new RankSlice(GlobalBatch, group.Rank, group.WorldSize);
        Loss(parameters, inputs.narrow(0, slice.FirstRow, slice.Rows), targets.narrow(0, slice.FirstRow, slice.Rows)).backward();
        parallel.SynchronizeGradients();

        var reference = parameters.Select(p => p.detach().clone().requires_grad_()).ToArray();
        Loss(reference, inputs, targets).backward();
        for (var i = 0; i < parameters.Length; i++)
        {
            var error = (parameters[i].grad! - reference[i].grad!).abs().amax().item() / reference[i].grad!.abs().amax().item();
            Console.WriteLine($"rank {group.Rank}: {names[i]} gradient relative error {error:E2}");
            Expect.That(error <= Tolerance, $"{names[i]}: data-parallel gradient differs from the single-process one by {error:E2} (relative)");
        }

        using (torch.no_grad())
        {
            foreach (var p in parameters) p.add_(p.grad!, alpha: -0.1);  // one SGD step
        }
        parallel.EnsureParametersConsistent();

        if (group.Rank == group.WorldSize - 1)
        {
            using var noGrad = torch.no_grad();
            parameters[2].add_(torch.full([4, 32], 1e-3));
        }
        var check = parallel.CheckParameters();
        Console.WriteLine($"rank {group.Rank}: after perturbing rank {group.WorldSize - 1}, worst {check.WorstParameter} on rank {check.WorstRank}, max |diff| {check.MaxAbsDifference:E2}");
        Expect.That(check.RanksBeyond(0).SequenceEqual([group.WorldSize - 1]) && check.WorstParameter == "fc2.weight",
            "the consistency check should find the perturbed fc2.weight on the last rank");
    }

    private static Tensor Loss(Tensor[] p, Tensor x, Tensor y) =>
        F.mse_loss(F.linear(F.gelu(F.linear(x, p[0], p[1])), p[2], p[3]), y);
}
