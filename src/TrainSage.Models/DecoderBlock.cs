using TrainSage.Torch.Modules;

namespace TrainSage.Models;

/// <summary>A pre-norm transformer block: x + attn(norm(x)), then + mlp(norm(x)), each branch with residual dropout.</summary>
internal sealed class DecoderBlock : Module
{
    private readonly Module<Tensor, Tensor> attentionNorm;
    private readonly Module<Tensor, Tensor> mlpNorm;
    private readonly Dropout residualDropout;

    public DecoderSublayer Attention { get; }
    public DecoderSublayer Mlp { get; }

    public DecoderBlock(ModelConfig config, ICausalAttention attention, Device? device)
    {
        var names = LayerNames.Of(config.Flavour);
        var gpt2 = config.Flavour == ModelFlavour.Gpt2;
        attentionNorm = register_module(names.AttentionNorm, Norm(config, device));
        Attention = register_module(names.Attention,
            gpt2 ? new Gpt2Attention(config, attention, device) : (DecoderSublayer)new LlamaAttention(config, attention, device));
        mlpNorm = register_module(names.MlpNorm, Norm(config, device));
        Mlp = register_module("mlp", gpt2 ? new Gpt2Mlp(config, device) : (DecoderSublayer)new SwiGluMlp(config, device));
        residualDropout = register_module("resid_dropout", new Dropout(config.Dropout));
    }

    /// <summary>LayerNorm (bias as configured) for GPT-2, RMSNorm for Llama; both normalise in fp32.</summary>
    public static Module<Tensor, Tensor> Norm(ModelConfig config, Device? device) => config.Flavour == ModelFlavour.Gpt2
        ? new LayerNorm(config.NEmbd, config.NormEps, config.Bias, device)
        : new RMSNorm(config.NEmbd, config.NormEps, device);

    public Tensor forward(Tensor x, ForwardContext context)
    {
        using var scope = torch.NewDisposeScope();
        var h = x + residualDropout.forward(Attention.forward(attentionNorm.forward(x), context));
        return (h + residualDropout.forward(Mlp.forward(mlpNorm.forward(h), context))).MoveToOuterScope();
    }
}
