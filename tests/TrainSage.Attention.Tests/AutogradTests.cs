namespace TrainSage.Attention.Tests;

/// <summary>sage8 is an autograd node: backward() from C# reaches its inputs and whatever produced them.</summary>
public class AutogradTests
{
    private static readonly Sage8Options Block64 = new() { BlockSize = 64 };

    // Gradcheck-style: the gradients autograd computes through sage8 for a loss behind further ops agree with
    // the exact gradients of the same loss (sage8's are quantized, so within a tolerance, not to the last bit).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_through_sage8_match_exact_attention(bool causal)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(11);
        var x = Run.Randn(1, 2, 96, 64).requires_grad_();
        var k = Run.Randn(1, 2, 96, 64).requires_grad_();
        var v = Run.Randn(1, 2, 96, 64).requires_grad_();
        var weight = Run.Randn(1, 2, 96, 64);

        Tensor[] Gradients(IAttention backend)
        {
            foreach (var t in new[] { x, k, v }) t.grad = null;
            var loss = (backend.Forward(x * 1.5, k, v, causal) * weight).sum();
            loss.backward();
            return [x.grad!, k.grad!, v.grad!];
        }

        var sage8 = Gradients(new Sage8Attention(Block64));
        var exact = Gradients(new MathAttention());
        for (var i = 0; i < 3; i++)
        {
            var e = ErrorMetrics.Of(sage8[i], exact[i]);
            Assert.True(e.Cosine >= 0.996 && e.RelL2 <= 0.1, $"gradient {i}: cosine {e.Cosine:F6}, relative L2 {e.RelL2:F4}");
        }
    }

    [Fact]
    public void Autograd_runs_exactly_the_exported_forward_and_backward()
    {
        using var scope = torch.NewDisposeScope();
        var s = AttentionSample.Create(InputFamily.OutlierChannels, 1, 2, 150, 64, 3, Device.CPU);
        var options = new Sage8Options { BlockSize = 64, SmoothQ = true };
        var q = s.Query.detach().requires_grad_();
        var k = s.Key.detach().requires_grad_();
        var v = s.Value.detach().requires_grad_();
        var output = Sage8.Attention(q, k, v, options, causal: true);
        output.backward(s.GradOutput);

        var (o, lse) = Sage8.Forward(s.Query, s.Key, s.Value, options, causal: true);
        var (dq, dk, dv) = Sage8.Backward(s.Query, s.Key, s.Value, o, lse, s.GradOutput, options, causal: true);
        Assert.Equal(0, (output - o).abs().amax().item());
        Assert.Equal(0, (q.grad! - dq).abs().amax().item());
        Assert.Equal(0, (k.grad! - dk).abs().amax().item());
        Assert.Equal(0, (v.grad! - dv).abs().amax().item());
        Assert.False(o.requires_grad);
    }

    [Fact]
    public void Forward_returns_the_log_sum_exp_of_the_scaled_scores()
    {
        using var scope = torch.NewDisposeScope();
        var s = AttentionSample.Create(InputFamily.KOffset, 1, 2, 200, 64, 5, Device.CPU);
        var (_, lse) = Sage8.Forward(s.Query, s.Key, s.Value, new Sage8Options());
        Assert.Equal([1L, 2, 200], lse.shape);
        Assert.Equal(ScalarType.Float32, lse.dtype);
        // K smoothing shifts each row's scores by q . mean(K) / sqrt(d), and LSE with them (NUMERICS.md).
        var mean = s.Key.mean(2, keepdim: true);
        var scores = s.Query.matmul((s.Key - mean).transpose(-2, -1)) / 8.0;
        var expected = (scores - scores.amax(-1, keepdim: true)).exp().sum(-1).log() + scores.amax(-1);
        Assert.True(Run.MaxRelativeDifference(lse, expected) < 0.01, $"LSE differs by {Run.MaxRelativeDifference(lse, expected):F4}");
    }
}
