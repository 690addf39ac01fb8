using TrainSage.Torch.Optim;

namespace TrainSage.Torch.Tests;

public class AdamWTests
{
    // AdamW as published (Loshchilov & Hutter), in doubles: decoupled decay, then the bias-corrected Adam step.
    private static double[] HandStep(double[] p, double[] g, double[] m, double[] v, int t, double lr, double wd,
        double b1 = 0.9, double b2 = 0.999, double eps = 1e-8)
    {
        var next = new double[p.Length];
        for (var i = 0; i < p.Length; i++)
        {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            var mHat = m[i] / (1 - Math.Pow(b1, t));
            var vHat = v[i] / (1 - Math.Pow(b2, t));
            next[i] = p[i] * (1 - lr * wd) - lr * mHat / (Math.Sqrt(vHat) + eps);
        }
        return next;
    }

    [Fact]
    public void Steps_match_a_hand_computed_update_with_two_groups()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new[] { 1.0, -2.0 }).requires_grad_();
        var b = torch.tensor(new[] { 0.5 }).requires_grad_();
        using var opt = new AdamW([new ParamGroup([a]), new ParamGroup([b], LearningRate: 0.01, WeightDecay: 0)], lr: 0.1, weight_decay: 0.1);
        double[] pa = [1.0, -2.0], pb = [0.5];
        double[] ma = [0, 0], va = [0, 0], mb = [0], vb = [0];
        for (var t = 1; t <= 3; t++)
        {
            opt.zero_grad();
            // loss = sum(a^2) + 3 b  -> grads 2a and 3
            ((a * a).sum() + (b * 3).sum()).backward();
            var ga = pa.Select(x => 2 * x).ToArray();
            pa = HandStep(pa, ga, ma, va, t, 0.1, 0.1);
            pb = HandStep(pb, [3.0], mb, vb, t, 0.01, 0);
            opt.step();
            var actualA = a.ToArray<double>();
            for (var i = 0; i < 2; i++) Assert.Equal(pa[i], actualA[i], 12);
            Assert.Equal(pb[0], b.ToArray<double>()[0], 12);
        }
        Assert.Equal(0.1, opt.get_lr(0), 12);
        Assert.Equal(0.01, opt.get_lr(1), 12);
    }

    [Fact]
    public void Learning_rate_is_settable_per_step_and_state_round_trips()
    {
        using var scope = torch.NewDisposeScope();
        var p = torch.tensor(new[] { 1.0, 2.0 }).requires_grad_();
        using var opt = new AdamW([p], lr: 0.1, weight_decay: 0);
        Assert.Null(opt.get_state(p));
        (p * p).sum().backward();
        opt.step();
        var state = opt.get_state(p)!;
        Assert.Equal(1, state.Step);
        Assert.Equal(new[] { 0.2, 0.4 }, state.ExpAvg.ToArray<double>().Select(x => Math.Round(x, 12)));

        // A fresh optimizer given the saved state continues exactly as the original.
        var q = p.detach().clone().requires_grad_();
        using var restored = new AdamW([q], lr: 0.1, weight_decay: 0);
        restored.set_state(q, state);
        opt.set_lr(0.05);
        restored.set_lr(0.05);
        foreach (var (param, o) in new[] { (p, opt), (q, restored) })
        {
            o.zero_grad();
            (param * param).sum().backward();
            o.step();
        }
        Assert.Equal(p.ToArray<double>(), q.ToArray<double>());
        Assert.Equal(2, restored.get_state(q)!.Step);
    }

    [Fact]
    public void Clip_grad_norm_scales_to_the_max_norm()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new[] { 3f }).requires_grad_();
        var b = torch.tensor(new[] { 4f }).requires_grad_();
        (a * a / 2 + b * b / 2).sum().backward(); // grads 3 and 4: norm 5
        var norm = torch.nn.utils.clip_grad_norm_([a, b], 1.0);
        Assert.Equal(5, norm, 4);
        Assert.Equal(0.6, a.grad!.item(), 4);
        Assert.Equal(0.8, b.grad!.item(), 4);
    }
}
