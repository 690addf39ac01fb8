namespace TrainSage.Models.Tests;

public class ParameterTests
{
    private static IEnumerable<string> Layered(int layers, params string[] names) =>
        Enumerable.Range(0, layers).SelectMany(i => names.Select(n => string.Format(System.Globalization.CultureInfo.InvariantCulture, n, i)));

    [Fact]
    public void Gpt2_names_are_hugging_faces_and_the_tied_head_is_the_embedding()
    {
        using var model = new GPT(TinyModels.Gpt2);
        string[] expected =
        [
            "transformer.wte.weight", "transformer.wpe.weight",
            .. Layered(2, "transformer.h.{0}.ln_1.weight", "transformer.h.{0}.ln_1.bias",
                "transformer.h.{0}.attn.c_attn.weight", "transformer.h.{0}.attn.c_attn.bias",
                "transformer.h.{0}.attn.c_proj.weight", "transformer.h.{0}.attn.c_proj.bias",
                "transformer.h.{0}.ln_2.weight", "transformer.h.{0}.ln_2.bias",
                "transformer.h.{0}.mlp.c_fc.weight", "transformer.h.{0}.mlp.c_fc.bias",
                "transformer.h.{0}.mlp.c_proj.weight", "transformer.h.{0}.mlp.c_proj.bias"),
            "transformer.ln_f.weight", "transformer.ln_f.bias",
        ];
        Assert.Equal(expected, model.named_parameters().Select(p => p.Name));
        Assert.Same(TinyModels.Parameters(model)["transformer.wte.weight"], model.lm_head_weight);
    }

    [Fact]
    public void Llama_names_are_hugging_faces_with_an_untied_head()
    {
        using var model = new GPT(TinyModels.Llama);
        string[] expected =
        [
            "model.embed_tokens.weight",
            .. Layered(2, "model.layers.{0}.input_layernorm.weight",
                "model.layers.{0}.self_attn.q_proj.weight", "model.layers.{0}.self_attn.k_proj.weight",
                "model.layers.{0}.self_attn.v_proj.weight", "model.layers.{0}.self_attn.o_proj.weight",
                "model.layers.{0}.self_attn.q_norm.weight", "model.layers.{0}.self_attn.k_norm.weight",
                "model.layers.{0}.post_attention_layernorm.weight",
                "model.layers.{0}.mlp.gate_proj.weight", "model.layers.{0}.mlp.up_proj.weight", "model.layers.{0}.mlp.down_proj.weight"),
            "model.norm.weight", "lm_head.weight",
        ];
        Assert.Equal(expected, model.named_parameters().Select(p => p.Name));
        Assert.Same(TinyModels.Parameters(model)["lm_head.weight"], model.lm_head_weight);
        Assert.All(model.named_parameters(), p => Assert.True(HuggingFaceNames.IsModelParameter(p.Name), p.Name));
    }

    // With a tied head, the output layer trains the embedding rows of tokens that never appear in the input.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_tied_head_shares_the_embedding_storage(bool tied)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        using var model = new GPT(TinyModels.Gpt2 with { TieEmbeddings = tied });
        Assert.Equal(tied, !TinyModels.Parameters(model).ContainsKey("lm_head.weight"));
        var idx = TinyModels.Tokens(TinyModels.RandomIds(12, 10, seed: 8), 1); // tokens 0..9 only
        model.loss(idx, idx).backward();
        var wte = TinyModels.Parameters(model)["transformer.wte.weight"];
        var unusedRows = wte.grad!.narrow(0, 10, 27).abs().sum().item();
        if (tied) Assert.True(unusedRows > 0);
        else Assert.Equal(0, unusedRows);
    }

    private static (double Mean, double Std) Statistics(Tensor t)
    {
        var values = t.ToArray<float>();
        var mean = values.Average(v => (double)v);
        return (mean, Math.Sqrt(values.Average(v => (v - mean) * (v - mean))));
    }

    [Theory]
    [InlineData(ModelFlavour.Gpt2)]
    [InlineData(ModelFlavour.Llama)]
    public void Init_follows_gpt2_with_residual_projections_scaled_by_depth(ModelFlavour flavour)
    {
        torch.manual_seed(8);
        var config = new ModelConfig { Flavour = flavour, VocabSize = 512, NLayer = 4, NHead = 4, NEmbd = 128, BlockSize = 64, Bias = flavour == ModelFlavour.Gpt2 };
        using var model = new GPT(config);
        var residualStd = 0.02 / Math.Sqrt(2 * 4);
        string[] residual = ["attn.c_proj.weight", "mlp.c_proj.weight", "o_proj.weight", "down_proj.weight"];
        foreach (var (name, p) in model.named_parameters())
        {
            var (mean, std) = Statistics(p);
            if (p.dim() == 2)
            {
                var expected = residual.Any(name.EndsWith) ? residualStd : 0.02;
                Assert.True(Math.Abs(std / expected - 1) < 0.05, $"{name}: std {std}, expected {expected}");
                Assert.True(Math.Abs(mean) < expected / 10, $"{name}: mean {mean}");
            }
            else
            {
                // Biases start at zero, norm weights at one.
                Assert.Equal(name.EndsWith(".bias") ? (0.0, 0.0) : (1.0, 0.0), (mean, std));
            }
        }
    }

    [Fact]
    public void Hugging_face_mapping_transposes_conv1d_weights_and_round_trips()
    {
        using var scope = torch.NewDisposeScope();
        foreach (var config in new[] { TinyModels.Gpt2, TinyModels.Llama })
        {
            using var model = new GPT(config);
            foreach (var (name, tensor) in model.state_dict())
            {
                var hf = HuggingFaceNames.ToHuggingFace(name, tensor);
                Assert.Equal(name, hf.Name);
                var back = HuggingFaceNames.FromHuggingFace(hf.Name, hf.Tensor)!.Value;
                Assert.Equal(name, back.Name);
                Assert.True(back.Tensor.allclose(tensor, rtol: 0, atol: 0), name);
            }
        }

        using var gpt2 = new GPT(TinyModels.Gpt2);
        var cAttn = TinyModels.Parameters(gpt2)["transformer.h.0.attn.c_attn.weight"];
        var conv1D = HuggingFaceNames.ToHuggingFace("transformer.h.0.attn.c_attn.weight", cAttn).Tensor;
        Assert.Equal([16L, 48L], conv1D.shape);
        // HF's Conv1D computes x @ W: the same product as our Linear's x W^T.
        var x = torch.randn([3, 16]);
        Assert.True(x.matmul(conv1D).allclose(torch.nn.functional.linear(x, cAttn), atol: 1e-6));
    }

    [Fact]
    public void Hugging_face_files_with_unprefixed_names_and_mask_buffers_are_understood()
    {
        using var scope = torch.NewDisposeScope();
        var weight = torch.zeros([4]);
        Assert.Equal("transformer.h.3.ln_1.weight", HuggingFaceNames.FromHuggingFace("h.3.ln_1.weight", weight)!.Value.Name);
        Assert.Equal("transformer.wte.weight", HuggingFaceNames.FromHuggingFace("wte.weight", torch.zeros([5, 4]))!.Value.Name);
        Assert.Null(HuggingFaceNames.FromHuggingFace("h.0.attn.bias", weight));
        Assert.Null(HuggingFaceNames.FromHuggingFace("model.layers.0.self_attn.rotary_emb.inv_freq", weight));
        Assert.Contains("transformer.h.0.attn.c_attn.scale",
            Assert.Throws<ArgumentException>(() => HuggingFaceNames.FromHuggingFace("transformer.h.0.attn.c_attn.scale", weight)).Message);
        Assert.Contains("'lm_head.bias'", Assert.Throws<ArgumentException>(() => HuggingFaceNames.ToHuggingFace("lm_head.bias", weight)).Message);
    }

    [Fact]
    public void Weight_decay_goes_to_linear_weights_only()
    {
        using var model = new GPT(TinyModels.Gpt2 with { TieEmbeddings = false });
        var groups = model.parameter_groups();
        string[] decayed = [.. Layered(2, "transformer.h.{0}.attn.c_attn.weight", "transformer.h.{0}.attn.c_proj.weight",
            "transformer.h.{0}.mlp.c_fc.weight", "transformer.h.{0}.mlp.c_proj.weight"), "lm_head.weight"];
        Assert.Equal(decayed.Order(), groups.Decay.Select(p => p.Name).Order());
        Assert.Equal(model.named_parameters().Select(p => p.Name).Except(decayed).Order(), groups.NoDecay.Select(p => p.Name).Order());
        Assert.Contains("transformer.wte.weight", groups.NoDecay.Select(p => p.Name));
        var adamGroups = groups.ToParamGroups(0.1);
        Assert.Equal((0.1, 0.0), (adamGroups[0].WeightDecay!.Value, adamGroups[1].WeightDecay!.Value));
    }

    [Fact]
    public void Parameter_counts_and_flops_follow_the_architecture()
    {
        using var gpt2 = new GPT(TinyModels.Gpt2); // V 37, C 16, T 12, L 2, biases, tied
        const long c = 16;
        var perLayer = 2 * c + (3 * c * c + 3 * c) + (c * c + c) + 2 * c + (4 * c * c + 4 * c) + (4 * c * c + c);
        var all = 37 * c + 12 * c + 2 * perLayer + 2 * c;
        Assert.Equal(all, gpt2.num_parameters(non_embedding: false));
        Assert.Equal(all - 12 * c, gpt2.num_parameters());
        Assert.Equal(6.0 * (all - 12 * c) + 12.0 * 2 * 2 * 8 * 12, gpt2.estimate_flops_per_token());

        using var llama = new GPT(TinyModels.Llama); // C 32, 4 heads of 8, 2 kv heads, MLP 8/3*32 -> 128, untied
        Assert.Equal(128, llama.config.MlpHiddenSize);
        const long w = 32, kv = 2 * 8, hidden = 128;
        var llamaLayer = 2 * w + (w * w + 2 * w * kv + w * w) + 2 * 8 + 3 * w * hidden;
        Assert.Equal(37 * w + 2 * llamaLayer + w + 37 * w, llama.num_parameters(non_embedding: false));
        Assert.Equal(2 * llamaLayer + w + 37 * w, llama.num_parameters());
    }
}
