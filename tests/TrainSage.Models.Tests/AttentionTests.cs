namespace TrainSage.Models.Tests;

public class AttentionTests
{
    [Fact]
    public void Exact_attention_matches_a_hand_computed_causal_softmax()
    {
        using var scope = torch.NewDisposeScope();
        float[] q = [1, 0, 0.5f, 2, -1, 1], k = [0.3f, 1, 2, -1, 0, 1], v = [1, 2, 3, 4, 5, 6];
        var output = ExactCausalAttention.Instance.forward(torch.tensor(q, 1, 1, 3, 2), torch.tensor(k, 1, 1, 3, 2), torch.tensor(v, 1, 1, 3, 2));
        var actual = output.ToArray<float>();
        for (var i = 0; i < 3; i++)
        {
            // Query i sees keys 0..i only.
            var weights = Enumerable.Range(0, i + 1).Select(j => Math.Exp((q[2 * i] * k[2 * j] + q[2 * i + 1] * k[2 * j + 1]) / Math.Sqrt(2))).ToArray();
            for (var d = 0; d < 2; d++)
            {
                var expected = Enumerable.Range(0, i + 1).Sum(j => weights[j] * v[2 * j + d]) / weights.Sum();
                Assert.Equal(expected, actual[2 * i + d], tolerance: 1e-5);
            }
        }
    }

    [Fact]
    public void Grouped_query_attention_equals_multi_head_attention_with_duplicated_kv_heads()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(5);
        using var grouped = new GPT(TinyModels.Llama); // 4 query heads share 2 kv heads
        using var full = new GPT(TinyModels.Llama with { NKvHead = 4 });
        var (heads, kvHeads, headDim, width) = (4L, 2L, 8L, 32L);
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, tensor) in grouped.state_dict())
        {
            // Query head h reads kv head h / 2: repeat each kv head's rows of k_proj and v_proj.
            state[name] = name.EndsWith("k_proj.weight") || name.EndsWith("v_proj.weight")
                ? tensor.view(kvHeads, 1, headDim, width).expand(kvHeads, heads / kvHeads, headDim, width).reshape(heads * headDim, width)
                : tensor;
        }
        full.load_state_dict(state);
        var idx = TinyModels.Tokens(TinyModels.RandomIds(2 * 12, 37, seed: 7), 2);
        Assert.True(grouped.forward(idx).allclose(full.forward(idx), rtol: 1e-5, atol: 1e-5));
    }

    private static double RotatedDot(Tensor q, long queryPosition, Tensor k, long keyPosition, Tensor cos, Tensor sin)
    {
        using var scope = torch.NewDisposeScope();
        var rq = RotaryEmbedding.Apply(q, cos.narrow(0, queryPosition, 1), sin.narrow(0, queryPosition, 1));
        var rk = RotaryEmbedding.Apply(k, cos.narrow(0, keyPosition, 1), sin.narrow(0, keyPosition, 1));
        return (rq * rk).sum().item();
    }

    [Fact]
    public void Rope_scores_depend_only_on_the_distance_between_positions()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(6);
        var (cos, sin) = RotaryEmbedding.Tables(32, 16, 10000, Device.CPU);
        var q = torch.randn([1, 1, 1, 16]);
        var k = torch.randn([1, 1, 1, 16]);
        var distance3 = RotatedDot(q, 5, k, 2, cos, sin);
        Assert.Equal(distance3, RotatedDot(q, 9, k, 6, cos, sin), tolerance: 1e-4);
        Assert.Equal(distance3, RotatedDot(q, 30, k, 27, cos, sin), tolerance: 1e-4);
        Assert.True(Math.Abs(distance3 - RotatedDot(q, 5, k, 3, cos, sin)) > 1e-2);
    }

    [Fact]
    public void Rope_pairs_channel_i_with_i_plus_half_as_hugging_face_llama()
    {
        using var scope = torch.NewDisposeScope();
        const double theta = 100;
        const int position = 3;
        var (cos, sin) = RotaryEmbedding.Tables(4, 4, theta, Device.CPU);
        float[] x = [0.5f, -1, 2, 0.25f];
        var rotated = RotaryEmbedding.Apply(torch.tensor(x, 1, 1, 1, 4), cos.narrow(0, position, 1), sin.narrow(0, position, 1)).ToArray<float>();
        double a0 = position * 1.0, a1 = position * Math.Pow(theta, -2.0 / 4);
        double[] expected =
        [
            x[0] * Math.Cos(a0) - x[2] * Math.Sin(a0),
            x[1] * Math.Cos(a1) - x[3] * Math.Sin(a1),
            x[2] * Math.Cos(a0) + x[0] * Math.Sin(a0),
            x[3] * Math.Cos(a1) + x[1] * Math.Sin(a1),
        ];
        for (var i = 0; i < 4; i++) Assert.Equal(expected[i], rotated[i], tolerance: 1e-5);
    }

    private sealed class CountingAttention : ICausalAttention
    {
        public int Calls;

        public Tensor forward(Tensor q, Tensor k, Tensor v)
        {
            Calls++;
            return ExactCausalAttention.Instance.forward(q, k, v);
        }
    }

    [Fact]
    public void Each_layer_gets_the_backend_its_configuration_names_and_uses_it()
    {
        using var scope = torch.NewDisposeScope();
        var config = TinyModels.Gpt2 with
        {
            NLayer = 3,
            Attention = new AttentionBackends { Default = "sage8", Layers = new Dictionary<int, string> { [0] = "flash" } },
        };
        var requests = new List<(int Layer, string Backend)>();
        var built = new List<CountingAttention>();
        using var model = new GPT(config, (layer, backend) =>
        {
            requests.Add((layer, backend));
            built.Add(new CountingAttention());
            return built[^1];
        });
        Assert.Equal([(0, "flash"), (1, "sage8"), (2, "sage8")], requests);
        model.forward(torch.zeros([1, 4], ScalarType.Int64));
        Assert.All(built, a => Assert.Equal(1, a.Calls));
    }

    [Fact]
    public void Without_a_factory_only_math_attention_is_available()
    {
        var config = TinyModels.Gpt2 with { Attention = new AttentionBackends { Layers = new Dictionary<int, string> { [1] = "sage8" } } };
        var error = Assert.Throws<ArgumentException>(() => new GPT(config));
        Assert.Contains("layer 1", error.Message);
        Assert.Contains("'sage8'", error.Message);
    }

    [Fact]
    public void Exact_attention_rejects_unexpanded_kv_heads()
    {
        using var scope = torch.NewDisposeScope();
        var q = torch.zeros([1, 4, 3, 8]);
        var kv = torch.zeros([1, 2, 3, 8]);
        Assert.Contains("one shape", Assert.Throws<ArgumentException>(() => ExactCausalAttention.Instance.forward(q, kv, kv)).Message);
    }
}
