namespace TrainSage.Torch.Tests;

using F = torch.nn.functional;

public class AutogradTests
{
    // f(x, w) = sum(tanh(x @ w) * softplus-like exp term), a small composite function in float64.
    private static Tensor Composite(Tensor x, Tensor w) => (x.matmul(w).tanh() * (w.sum(0) * 0.5).exp()).sum() + F.gelu(x).pow(2).mean();

    [Fact]
    public void Gradients_match_finite_differences()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        var x = torch.randn([3, 4], ScalarType.Float64).requires_grad_();
        var w = torch.randn([4, 2], ScalarType.Float64).requires_grad_();
        Composite(x, w).backward();
        var analytic = x.grad!.ToArray<double>().Concat(w.grad!.ToArray<double>()).ToArray();

        var numeric = new List<double>();
        const double h = 1e-6;
        foreach (var t in new[] { x, w })
        {
            for (var i = 0; i < t.numel(); i++)
            {
                double Eval(double delta)
                {
                    using var inner = torch.NewDisposeScope();
                    using var _ = torch.no_grad();
                    var flat = t.detach().clone().view(-1);
                    flat[i].add_(torch.scalar_tensor(delta, ScalarType.Float64));
                    var shifted = flat.view(t.shape);
                    return (t == x ? Composite(shifted, w) : Composite(x, shifted)).item();
                }
                numeric.Add((Eval(h) - Eval(-h)) / (2 * h));
            }
        }
        for (var i = 0; i < analytic.Length; i++)
            Assert.True(Math.Abs(analytic[i] - numeric[i]) <= 1e-6 * Math.Max(1, Math.Abs(numeric[i])),
                $"gradient {i}: analytic {analytic[i]}, numeric {numeric[i]}");
    }

    [Fact]
    public void Backward_with_a_gradient_argument_and_accumulation()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new[] { 1f, 2f, 3f }).requires_grad_();
        var y = x * x; // dy/dx = 2x
        y.backward(torch.tensor(new[] { 1f, 0.5f, 2f }), retain_graph: true);
        Assert.Equal(new[] { 2f, 2f, 12f }, x.grad!.ToArray<float>());
        y.backward(torch.ones([3]));  // accumulates
        Assert.Equal(new[] { 4f, 6f, 18f }, x.grad!.ToArray<float>());
        x.grad = null;
        Assert.Null(x.grad);
    }

    [Fact]
    public void No_grad_and_detach_stop_recording()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.ones([2]).requires_grad_();
        using (torch.no_grad())
        {
            Assert.False(torch.is_grad_enabled());
            Assert.False((x * 2).requires_grad);
        }
        Assert.True(torch.is_grad_enabled());
        Assert.True((x * 2).requires_grad);
        var d = (x * 2).detach();
        Assert.False(d.requires_grad);
        Assert.True(x.is_leaf);
        Assert.False((x * 2).is_leaf);
    }
}
