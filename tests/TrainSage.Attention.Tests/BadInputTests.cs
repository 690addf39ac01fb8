namespace TrainSage.Attention.Tests;

/// <summary>Bad input raises a .NET exception that names the problem, and the next call works.</summary>
public class BadInputTests
{
    private static readonly Sage8Options Defaults = new();

    private static Tensor Ones(long tokens = 64, long headDim = 64, long heads = 2, long batch = 1,
        ScalarType dtype = ScalarType.Float32) => torch.ones([batch, heads, tokens, headDim], dtype);

    // case name -> (query, key, value, what the message must say)
    private static (Tensor Q, Tensor K, Tensor V, string Message) Case(string name) => name switch
    {
        "3-D query" => (torch.ones([2, 64, 64]), Ones(), Ones(), "4-D tensor"),
        "dtypes differ" => (Ones(), Ones(dtype: ScalarType.BFloat16), Ones(), "query is Float but key is BFloat16"),
        "key and value lengths differ" => (Ones(), Ones(), Ones(tokens: 32), "same shape"),
        "head dims differ" => (Ones(headDim: 32), Ones(), Ones(), "head_dim 32"),
        "batches differ" => (Ones(batch: 2), Ones(), Ones(), "batch 2"),
        "heads not a multiple" => (Ones(heads: 3), Ones(), Ones(), "multiple of the key/value heads"),
        "empty sequence" => (Ones(tokens: 0), Ones(), Ones(), "empty"),
        "head dim too large" => (Ones(headDim: 320), Ones(headDim: 320), Ones(headDim: 320), "head_dim up to 256"),
        "float64" => (Ones(dtype: ScalarType.Float64), Ones(dtype: ScalarType.Float64), Ones(dtype: ScalarType.Float64),
            "float32, float16 or bfloat16"),
        "NaN in query" => (Ones().masked_fill(Ones().gt(0), double.NaN), Ones(), Ones(), "query contains 8192 NaN or Inf"),
        "Inf in value" => (Ones(), Ones(), Ones() / torch.zeros([1]), "value contains 8192 NaN or Inf"),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    // The shape checks are shared by every backend; dtype support, head dims and finiteness are sage8's own.
    private static readonly string[] SharedCases =
        ["3-D query", "dtypes differ", "key and value lengths differ", "head dims differ", "batches differ", "heads not a multiple", "empty sequence"];

    private static readonly string[] Sage8OnlyCases = ["head dim too large", "float64", "NaN in query", "Inf in value"];

    public static TheoryData<string> Sage8Cases => new(SharedCases.Concat(Sage8OnlyCases));

    public static TheoryData<string> ShapeCases => new(SharedCases);

    [Theory]
    [MemberData(nameof(Sage8Cases))]
    public void Sage8_rejects(string name)
    {
        using var scope = torch.NewDisposeScope();
        var (q, k, v, message) = Case(name);
        var ex = Assert.Throws<TorchException>(() => Sage8.Attention(q, k, v, Defaults));
        Assert.Contains(message, ex.Message);
        Assert.Equal([1L, 2, 64, 64], Sage8.Attention(Ones(), Ones(), Ones(), Defaults).shape); // the next call works
    }

    [Theory]
    [MemberData(nameof(ShapeCases))]
    public void Math_and_flash_reject(string name)
    {
        using var scope = torch.NewDisposeScope();
        var (q, k, v, message) = Case(name);
        foreach (var backend in new IAttention[] { new MathAttention(), new FlashAttention() })
            Assert.Contains(message, Assert.Throws<TorchException>(() => backend.Forward(q, k, v)).Message);
    }

    [Fact]
    public void Sage8_rejects_an_unsupported_block_size()
    {
        using var scope = torch.NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => Sage8.Attention(Ones(), Ones(), Ones(), new Sage8Options { BlockSize = 96 }));
        Assert.Contains("block size must be 64 or 128", ex.Message);
    }

    [Fact]
    public void A_NaN_output_gradient_fails_the_backward()
    {
        using var scope = torch.NewDisposeScope();
        var q = Ones().requires_grad_();
        var output = Sage8.Attention(q, Ones(), Ones(), Defaults);
        var ex = Assert.Throws<TorchException>(() => output.backward(Ones() * double.NaN));
        Assert.Contains("the output gradient contains", ex.Message);
        Sage8.Attention(q, Ones(), Ones(), Defaults).sum().backward();
        Assert.NotNull(q.grad);
    }

    [Fact]
    public void Backward_checks_its_extra_arguments()
    {
        using var scope = torch.NewDisposeScope();
        var (o, lse) = Sage8.Forward(Ones(), Ones(), Ones(), Defaults);
        var ex = Assert.Throws<TorchException>(() => Sage8.Backward(Ones(), Ones(), Ones(), o, lse.narrow(2, 0, 10), Ones(), Defaults));
        Assert.Contains("log-sum-exp must have shape [1, 2, 64]", ex.Message);
        ex = Assert.Throws<TorchException>(() => Sage8.Backward(Ones(), Ones(), Ones(), o, lse, Ones(tokens: 63), Defaults));
        Assert.Contains("output gradient must have query's shape", ex.Message);
    }

    [Fact]
    public void Inputs_on_different_devices_are_rejected()
    {
        using var scope = torch.NewDisposeScope();
        if (!torch.cuda.is_available()) return; // needs a second device; the GPU run covers it
        var ex = Assert.Throws<TorchException>(() => Sage8.Attention(Ones(), Ones().cuda(), Ones(), Defaults));
        Assert.Contains("move them to one device", ex.Message);
    }

    [Fact]
    public void Unknown_backend_names_list_the_known_ones()
    {
        var ex = Assert.Throws<ArgumentException>(() => AttentionRegistry.Create("sage4"));
        Assert.Contains("'sage4'", ex.Message);
        Assert.Contains("sage8, flash, math", ex.Message);
    }
}
