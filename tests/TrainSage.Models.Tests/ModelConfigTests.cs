namespace TrainSage.Models.Tests;

public class ModelConfigTests
{
    private static readonly Dictionary<int, string> NoOverrides = [];

    public static TheoryData<string, ModelConfig> Invalid => new()
    {
        { "vocab_size", TinyModels.Gpt2 with { VocabSize = 0 } },
        { "n_layer", TinyModels.Gpt2 with { NLayer = 0 } },
        { "n_head", TinyModels.Gpt2 with { NHead = 0 } },
        { "block_size", TinyModels.Gpt2 with { BlockSize = 0 } },
        { "n_embd", TinyModels.Gpt2 with { NEmbd = 30, NHead = 4 } },
        { "n_embd", TinyModels.Llama with { NEmbd = 12, NHead = 4, NKvHead = 4 } }, // odd head size for RoPE
        { "n_kv_head", TinyModels.Llama with { NKvHead = 3 } },
        { "n_kv_head", TinyModels.Llama with { NKvHead = 8 } },
        { "n_kv_head", TinyModels.Gpt2 with { NKvHead = 1 } },
        { "qk_norm", TinyModels.Gpt2 with { QkNorm = true } },
        { "bias", TinyModels.Llama with { Bias = true } },
        { "dropout", TinyModels.Gpt2 with { Dropout = 1 } },
        { "mlp_hidden", TinyModels.Llama with { MlpHidden = 0 } },
        { "rope_theta", TinyModels.Llama with { RopeTheta = 0 } },
        { "flavour", TinyModels.Gpt2 with { Flavour = (ModelFlavour)7 } },
        { "attention.default", TinyModels.Gpt2 with { Attention = new AttentionBackends { Default = "sage9" } } },
        { "attention.layers", TinyModels.Gpt2 with { Attention = new AttentionBackends { Layers = new Dictionary<int, string> { [2] = "flash" } } } },
        { "attention.layers.1", TinyModels.Gpt2 with { Attention = new AttentionBackends { Layers = new Dictionary<int, string> { [1] = "flsh" } } } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_invalid_field_is_named_in_the_error(string field, ModelConfig config)
    {
        var error = Assert.Throws<InvalidModelConfigException>(() => config.Validate());
        Assert.Equal(field, error.Field);
        Assert.StartsWith($"model.{field}: ", error.Message);
        Assert.Throws<InvalidModelConfigException>(() => new GPT(config));
    }

    [Fact]
    public void Errors_list_the_allowed_values()
    {
        var error = Assert.Throws<InvalidModelConfigException>(() =>
            (TinyModels.Gpt2 with { Attention = new AttentionBackends { Default = "sage9" } }).Validate());
        Assert.Contains("allowed: sage8, flash, math", error.Message);
        Assert.Contains("divisible by n_head = 4", Assert.Throws<InvalidModelConfigException>(() =>
            (TinyModels.Gpt2 with { NEmbd = 30, NHead = 4 }).Validate()).Message);
    }

    [Fact]
    public void Flavour_defaults_resolve()
    {
        Assert.True(TinyModels.Gpt2.TiedEmbeddings);
        Assert.False(TinyModels.Llama.TiedEmbeddings);
        Assert.Equal(4 * 16, TinyModels.Gpt2.MlpHiddenSize);
        Assert.Equal(1024, (TinyModels.Llama with { NEmbd = 384, NHead = 6, NKvHead = null }).MlpHiddenSize);
        Assert.Equal(2048, (TinyModels.Llama with { NEmbd = 768, NHead = 12, NKvHead = null }).MlpHiddenSize);
        Assert.Equal(4, (TinyModels.Llama with { NKvHead = null }).KvHeads);
    }

    [Fact]
    public void Configurations_with_the_same_overrides_are_equal()
    {
        var a = TinyModels.Gpt2 with { Attention = new AttentionBackends { Default = "sage8", Layers = new Dictionary<int, string> { [0] = "flash" } } };
        var b = TinyModels.Gpt2 with { Attention = new AttentionBackends { Default = "sage8", Layers = new Dictionary<int, string> { [0] = "flash" } } };
        Assert.Equal(a, b);
        Assert.NotEqual(a, b with { Attention = b.Attention with { Layers = NoOverrides } });
        Assert.Contains("Layers = { 0: flash }", a.ToString());
        Assert.Equal("flash", a.Attention.For(0));
        Assert.Equal("sage8", a.Attention.For(1));
    }
}
