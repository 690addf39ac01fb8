using System.Diagnostics;
using TrainSage.Torch.Modules;
using TrainSage.Torch.Optim;

namespace TrainSage.Torch.Tests;

using F = torch.nn.functional;

public class MemoryTests
{
    [Fact]
    public void Ten_thousand_training_steps_in_dispose_scopes_leave_no_tensors_and_bounded_memory()
    {
        using var model = new Linear(16, 4);
        using var opt = new AdamW(model.parameters(), lr: 1e-3);
        // Tensors that other tests left to the GC must be finalized before the count is meaningful.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baseline = torch.live_tensors();
        long rssAfterWarmup = 0;
        for (var i = 0; i < 10_000; i++)
        {
            using (var scope = torch.NewDisposeScope())
            {
                var x = torch.randn([8, 16]);
                var loss = F.cross_entropy(model.forward(x), torch.randint(0, 4, [8]));
                opt.zero_grad();
                loss.backward();
                opt.step();
            }
            if (i == 999)
            {
                GC.Collect();
                rssAfterWarmup = Process.GetCurrentProcess().WorkingSet64;
            }
        }
        Assert.Equal(baseline, torch.live_tensors());
        GC.Collect();
        var growthMb = (Process.GetCurrentProcess().WorkingSet64 - rssAfterWarmup) / (1024.0 * 1024.0);
        Assert.True(growthMb < 32, $"resident memory grew by {growthMb:F1} MB over 9,000 steps");
    }

    [Fact]
    public void A_scope_frees_what_it_made_and_keeps_what_was_moved_out()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = torch.live_tensors();
        Tensor kept;
        using (var outer = torch.NewDisposeScope())
        {
            using (var inner = torch.NewDisposeScope())
            {
                var a = torch.ones([2]);
                kept = (a + 1).MoveToOuterScope();
                Assert.Equal(1, inner.Count); // a stays, the sum moved out
            }
            Assert.False(kept.IsDisposed);
            Assert.Equal(before + 1, torch.live_tensors());
            kept.DetachFromDisposeScope();
        }
        Assert.False(kept.IsDisposed);
        Assert.Equal(new[] { 2f, 2f }, kept.ToArray<float>());
        kept.Dispose();
        Assert.Equal(before, torch.live_tensors());
    }
}
