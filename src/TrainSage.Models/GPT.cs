using TrainSage.Torch.Modules;

namespace TrainSage.Models;

/// <summary>
/// A decoder-only transformer language model in the GPT-2 or Llama flavour (<see cref="ModelConfig.Flavour"/>).
/// Parameter names are Hugging Face's (see <see cref="HuggingFaceNames"/>); a tied output head is the token
/// embedding itself and appears once in named_parameters, as in PyTorch.
/// </summary>
public sealed class GPT : Module
{
    private readonly DecoderBody body;
    private readonly Linear? lmHead;
    private ScalarType computeDtype = ScalarType.Float32;

    /// <param name="config">Validated here; an invalid one throws <see cref="InvalidModelConfigException"/>.</param>
    /// <param name="attention">Makes each layer's attention from its backend name; null gives every layer
    /// <see cref="ExactCausalAttention"/> (and accepts only the backend "math").</param>
    /// <param name="device">Where the parameters are created (CPU when null).</param>
    public GPT(ModelConfig config, AttentionFactory? attention = null, Device? device = null)
    {
        this.config = config.Validate();
        var factory = attention ?? ExactCausalAttention.Factory;
        // Resolve every layer's backend before allocating parameters, so that a bad name fails fast.
        var attentionPerLayer = Enumerable.Range(0, config.NLayer).Select(layer => factory(layer, config.Attention.For(layer))).ToList();
        body = register_module(LayerNames.Of(config.Flavour).Body, new DecoderBody(config, attentionPerLayer, device));
        if (!config.TiedEmbeddings)
            lmHead = register_module("lm_head", new Linear(config.NEmbd, config.VocabSize, hasBias: false, device));
        InitializeWeights();
    }

    public ModelConfig config { get; }

    /// <summary>The output projection [vocab_size, n_embd]: the token embedding's own tensor when tied.</summary>
    public Tensor lm_head_weight => lmHead?.weight ?? body.TokenEmbedding.weight;

    /// <summary>
    /// The dtype of matmuls and attention (Float32 or BFloat16). Parameters stay fp32 (master weights); linear
    /// inputs and weights are cast per forward, while the residual stream, norms, softmax, logits and loss stay fp32.
    /// </summary>
    public ScalarType compute_dtype
    {
        get => computeDtype;
        set => computeDtype = value is ScalarType.Float32 or ScalarType.BFloat16
            ? value
            : throw new ArgumentException(
                $"compute_dtype {value} is not supported; use Float32, or BFloat16 on CUDA (Float16 would need loss scaling)", nameof(compute_dtype));
    }

    /// <summary>Logits [batch, tokens, vocab_size] in fp32 for token ids [batch, tokens] (int64).</summary>
    public Tensor forward(Tensor idx)
    {
        if (idx.dim() != 2 || idx.dtype != ScalarType.Int64)
            throw new ArgumentException($"idx must hold int64 token ids of shape [batch, tokens]; got {idx}", nameof(idx));
        var tokens = idx.size(1);
        if (tokens > config.BlockSize)
            throw new ArgumentException($"the sequence has {tokens} tokens but the model's block_size is {config.BlockSize}; crop it", nameof(idx));
        using var scope = torch.NewDisposeScope();
        var context = new ForwardContext(computeDtype);
        if (config.Flavour == ModelFlavour.Llama)
        {
            var (cos, sin) = RotaryEmbedding.Tables(tokens, config.HeadDim, config.RopeTheta, idx.device);
            context = context with { RopeCos = cos, RopeSin = sin };
        }
        var hidden = body.forward(idx, context);
        return Precision.Linear(hidden, lm_head_weight, null, computeDtype).to(ScalarType.Float32).MoveToOuterScope();
    }

    /// <summary>Mean cross entropy of the next-token predictions; targets [batch, tokens] equal to -1 are ignored.</summary>
    public Tensor loss(Tensor idx, Tensor targets)
    {
        if (!targets.shape.SequenceEqual(idx.shape))
            throw new ArgumentException($"targets {targets} must have the shape of idx {idx}", nameof(targets));
        using var scope = torch.NewDisposeScope();
        var logits = forward(idx);
        return torch.nn.functional.cross_entropy(logits.view(-1, config.VocabSize), targets.reshape(-1), ignore_index: -1)
            .MoveToOuterScope();
    }

    /// <summary>
    /// Parameter count. With <paramref name="non_embedding"/> (nanoGPT's default) the lookup tables that do no
    /// matmul are left out: the position embedding, and the token embedding unless it doubles as the output head.
    /// </summary>
    public long num_parameters(bool non_embedding = true)
    {
        var total = parameters().Sum(p => p.numel());
        if (!non_embedding) return total;
        if (body.PositionEmbedding is not null) total -= body.PositionEmbedding.weight.numel();
        if (lmHead is not null) total -= body.TokenEmbedding.weight.numel();
        return total;
    }

    /// <summary>
    /// Training FLOPs per token as nanoGPT's MFU counts them (PaLM appendix B): 6N for the matmuls of the forward
    /// and backward passes plus 12 * n_layer * n_head * head_dim * T for attention (causal masking not discounted).
    /// T defaults to block_size.
    /// </summary>
    public double estimate_flops_per_token(long? sequence_length = null) =>
        6.0 * num_parameters() + 12.0 * config.NLayer * config.NHead * config.HeadDim * (sequence_length ?? config.BlockSize);

    /// <summary>
    /// AdamW groups: weight decay for the weights of Linear layers, none for norms, biases and embeddings (the
    /// tied output head is the token embedding, so it is not decayed).
    /// </summary>
    public ParameterGroups parameter_groups()
    {
        var linearWeights = named_modules().Select(m => m.Module).OfType<Linear>().Select(l => l.weight).ToHashSet(ReferenceEqualityComparer.Instance);
        var all = named_parameters().ToList();
        return new ParameterGroups(
            all.Where(p => linearWeights.Contains(p.Parameter)).ToList(),
            all.Where(p => !linearWeights.Contains(p.Parameter)).ToList());
    }

    // GPT-2 / nanoGPT: N(0, 0.02) for Linear and Embedding weights, zero biases, and N(0, 0.02 / sqrt(2 n_layer)) for
    // the projections that write into the residual stream, so that its variance does not grow with depth. Norms
    // start at weight 1, bias 0 (their constructors).
    private void InitializeWeights()
    {
        const double std = 0.02;
        foreach (var (_, module) in named_modules())
        {
            if (module is Linear linear)
            {
                torch.nn.init.normal_(linear.weight, 0, std);
                if (linear.bias is not null) torch.nn.init.zeros_(linear.bias);
            }
            else if (module is Embedding embedding)
            {
                torch.nn.init.normal_(embedding.weight, 0, std);
            }
        }
        var residualStd = std / Math.Sqrt(2.0 * config.NLayer);
        foreach (var block in body.Blocks.Items)
        {
            torch.nn.init.normal_(block.Attention.OutputProjection.weight, 0, residualStd);
            torch.nn.init.normal_(block.Mlp.OutputProjection.weight, 0, residualStd);
        }
    }
}
