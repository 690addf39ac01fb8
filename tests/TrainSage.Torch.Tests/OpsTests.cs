namespace TrainSage.Torch.Tests;

using F = torch.nn.functional;

/// <summary>Op results against values computed by hand.</summary>
public class OpsTests
{
    private static Tensor T(float[] data, params long[] shape) => torch.tensor(data, shape);

    private static void Close(float[] expected, Tensor actual, double tol = 1e-5)
    {
        var values = actual.ToArray<float>();
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < values.Length; i++) Assert.True(Math.Abs(expected[i] - values[i]) <= tol, $"element {i}: expected {expected[i]}, got {values[i]}");
    }

    [Fact]
    public void Arithmetic_and_operators()
    {
        using var scope = torch.NewDisposeScope();
        var a = T([1, 2, 3, 4], 2, 2);
        var b = T([10, 20, 30, 40], 2, 2);
        Close([11, 22, 33, 44], a + b);
        Close([-9, -18, -27, -36], a - b);
        Close([10, 40, 90, 160], a * b);
        Close([0.1f, 0.1f, 0.1f, 0.1f], a / b);
        Close([3, 4, 5, 6], a + 2);
        Close([1, 0, -1, -2], 2 - a);
        Close([2, 1, 2f / 3, 0.5f], 2 / a);
        Close([-1, -2, -3, -4], -a);
        Close([1, 4, 9, 16], a.pow(2));
        Close([1, 1.4142135f, 1.7320508f, 2], a.sqrt());
        Close([1, 0.70710677f, 0.57735026f, 0.5f], a.rsqrt());
        Close([2.7182817f, 7.389056f, 20.085537f, 54.59815f], a.exp(), 1e-4);
        Close([0, 0.6931472f, 1.0986123f, 1.3862944f], a.log());
        Close([0.7615942f, 0.9640276f, 0.9950548f, 0.9993293f], a.tanh());
    }

    [Fact]
    public void Matrix_products()
    {
        using var scope = torch.NewDisposeScope();
        var a = T([1, 2, 3, 4, 5, 6], 2, 3);
        var b = T([7, 8, 9, 10, 11, 12], 3, 2);
        Close([58, 64, 139, 154], a.matmul(b));
        Close([58, 64, 139, 154, 58, 64, 139, 154], torch.stack([a, a]).bmm(torch.stack([b, b])));
        // linear: x W^T + b with W = b^T
        var w = b.transpose(0, 1).contiguous();
        Close([59, 66, 140, 156], F.linear(a, w, T([1, 2])));
    }

    [Fact]
    public void Reductions_and_rounding()
    {
        using var scope = torch.NewDisposeScope();
        var a = T([1, -5, 3, 2.5f, 0, -1], 2, 3);
        Assert.Equal(0.5, a.sum().item(), 5);
        Assert.Equal(0.5 / 6, a.mean().item(), 5);
        Assert.Equal(3, a.amax().item());
        Close([-1, 1.5f], a.sum(1));
        Close([1.75f, -2.5f, 1], a.mean(0));
        Close([3, 2.5f], a.amax(1));
        Assert.Equal([2L, 0L], a.argmax(1).ToArray<long>());
        Close([1, 5, 3, 2.5f, 0, 1], a.abs());
        Close([1, -5, 3, 2, 0, -1], a.round()); // round half to even, as PyTorch
        Close([1, -2, 2, 2, 0, -1], a.clamp(-2, 2));
        Close([1, 0, 3, 2.5f, 0, 0], a.clamp(min: 0));
    }

    [Fact]
    public void Selection_and_masks()
    {
        using var scope = torch.NewDisposeScope();
        var a = T([1, 2, 3, 4], 2, 2);
        Close([1, 2, 0, 4], a.triu());
        Close([1, 0, 3, 4], a.tril());
        var mask = a.gt(2);
        Assert.Equal([false, false, true, true], mask.ToArray<bool>());
        Close([1, 2, -1, -1], a.masked_fill(mask, -1));
        Close([1, 2, 30, 40], torch.where(mask, a * 10, a));
        Close([3, 4, 1, 2], a.index_select(0, torch.tensor(new long[] { 1, 0 })));
    }

    [Fact]
    public void Shape_ops()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.arange(0, 6, 1, ScalarType.Float32).reshape(2, 3);
        Assert.Equal([3L, 2L], a.transpose(0, 1).shape);
        Close([0, 3, 1, 4, 2, 5], a.permute(1, 0).contiguous());
        Close([0, 1, 2, 3, 4, 5], a.view(6));
        Close([1, 2, 4, 5], a.narrow(1, 1, 2));
        Close([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5], torch.cat([a, a], 0));
        var parts = a.split(2, 1);
        Assert.Equal(2, parts.Length);
        Close([0, 1, 3, 4], parts[0]);
        Close([2, 5], parts[1]);
        var chunks = a.chunk(2, 0);
        Close([3, 4, 5], chunks[1]);
        Assert.Equal([1L, 2L, 3L], a.unsqueeze(0).shape);
        Assert.Equal([6L], a.flatten().shape);
    }

    [Fact]
    public void Indexing_and_slicing()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.arange(0, 24, 1, ScalarType.Float32).reshape(2, 3, 4);
        Close([4, 5, 6, 7], a[0, 1]);
        Close([20, 21, 22, 23], a[^1, ^1]);
        Close([5, 6, 9, 10], a[0, 1..3, 1..3].contiguous());
        Close([3, 7, 11, 15, 19, 23], a[TensorIndex.Ellipsis, 3].contiguous());
        Assert.Equal([2L, 2L, 4L], a[.., 1..].shape);
        Assert.Throws<IndexOutOfRangeException>(() => a[2]);
    }

    [Fact]
    public void Creation_and_conversion()
    {
        using var scope = torch.NewDisposeScope();
        Close([0, 0, 0], torch.zeros([3]));
        Close([1, 1], torch.ones([2]));
        Close([7, 7], torch.full([2], 7));
        Assert.Equal([2L, 4L, 6L], torch.arange(2, 8, 2).ToArray<long>());
        var bf = torch.tensor(new[] { 1.5f, -2.25f }).to(ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, bf.dtype);
        Close([1.5f, -2.25f], bf);
        var half = torch.tensor(new[] { 0.5f }).to(ScalarType.Float16);
        Assert.Equal(ScalarType.Float16, half.dtype);
        Assert.Equal(new sbyte[] { 3, -4 }, torch.tensor(new[] { 3.2f, -4.4f }).to(ScalarType.Int8).ToArray<sbyte>());
        Assert.Equal(new[] { 9 }, torch.tensor(new[] { 9 }).ToArray<int>());
        // AsSpan is a view on the tensor's own memory.
        var t = torch.zeros([3]);
        t.AsSpan<float>()[1] = 5;
        Assert.Equal(5, t[1].item());
        Assert.Equal(Device.CPU, t.device);
    }

    [Fact]
    public void Random_numbers_follow_the_seed_and_rng_state()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(42);
        var first = torch.randn([1000]).ToArray<float>();
        torch.manual_seed(42);
        var second = torch.randn([1000]).ToArray<float>();
        Assert.Equal(first, second);
        Assert.InRange(first.Average(), -0.15, 0.15);
        var state = torch.random.get_rng_state();
        var a = torch.rand([5]).ToArray<float>();
        torch.random.set_rng_state(state);
        Assert.Equal(a, torch.rand([5]).ToArray<float>());
        Assert.All(a, x => Assert.InRange(x, 0f, 1f));
        Assert.All(torch.randint(3, 7, [100]).ToArray<long>(), x => Assert.InRange(x, 3L, 6L));
    }

    [Fact]
    public void Neural_network_functions()
    {
        using var scope = torch.NewDisposeScope();
        var x = T([1, 2, 3], 1, 3);
        // softmax([1,2,3]) = e^i / (e + e^2 + e^3)
        Close([0.09003057f, 0.24472847f, 0.66524096f], F.softmax(x, -1));
        Close([-2.407606f, -1.4076059f, -0.40760595f], F.log_softmax(x, -1));
        // cross entropy of class 2 = -log_softmax[2]
        Assert.Equal(0.40760595, F.cross_entropy(x, torch.tensor(new long[] { 2 })).item(), 5);
        Close([0.8413447f, 1.9544997f, 2.9959502f], F.gelu(x));
        Close([0.7310586f, 1.7615942f, 2.8577223f], F.silu(x));
        // layer norm of [1,2,3]: mean 2, var 2/3
        Close([-1.2247357f, 0, 1.2247357f], F.layer_norm(x, [3]), 1e-4);
        // rms norm: rms = sqrt(14/3)
        Close([0.46291006f, 0.9258201f, 1.3887302f], F.rms_norm(x, eps: 0), 1e-5);
        var weight = T([0, 0, 1, 1, 2, 2], 3, 2);
        Close([2, 2, 0, 0], F.embedding(torch.tensor(new long[] { 2, 0 }), weight));
        var dropped = F.dropout(torch.ones([1000]), 0.5, training: true).ToArray<float>();
        Assert.All(dropped, v => Assert.True(v == 0 || v == 2));
        Assert.InRange(dropped.Count(v => v == 0), 400, 600);
        Close([1, 2, 3], F.dropout(x, 0.5, training: false));
    }

    [Fact]
    public void Scaled_dot_product_attention_matches_the_formula_where_available()
    {
        if (!F.has_scaled_dot_product_attention)
        {
            Assert.Throws<TorchException>(() => F.scaled_dot_product_attention(torch.ones([1, 1, 2, 2]), torch.ones([1, 1, 2, 2]), torch.ones([1, 1, 2, 2])));
            return;
        }
        using var scope = torch.NewDisposeScope();
        var q = torch.randn([1, 2, 4, 8]);
        var k = torch.randn([1, 2, 4, 8]);
        var v = torch.randn([1, 2, 4, 8]);
        var expected = F.softmax(q.matmul(k.transpose(-2, -1)) / Math.Sqrt(8), -1).matmul(v);
        Assert.True(F.scaled_dot_product_attention(q, k, v).allclose(expected, 1e-4, 1e-5));
    }
}
