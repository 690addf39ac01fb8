using TrainSage.Torch.Modules;

namespace TrainSage.Models;

/// <summary>GPT-2 multi-head attention: one fused q|k|v projection (c_attn) and an output projection (c_proj).</summary>
internal sealed class Gpt2Attention : DecoderSublayer
{
    private readonly ICausalAttention attention;
    private readonly long heads;
    private readonly long width;

    public Linear c_attn { get; }
    public Linear c_proj { get; }

    public Gpt2Attention(ModelConfig config, ICausalAttention attention, Device? device)
    {
        this.attention = attention;
        heads = config.NHead;
        width = config.NEmbd;
        c_attn = register_module("c_attn", new Linear(width, 3 * width, config.Bias, device));
        c_proj = register_module("c_proj", new Linear(width, width, config.Bias, device));
    }

    public override Linear OutputProjection => c_proj;

    public override Tensor forward(Tensor x, ForwardContext context)
    {
        using var scope = torch.NewDisposeScope();
        var qkv = Project(c_attn, x, context).split(width, 2);
        var y = attention.forward(HeadLayout.Split(qkv[0], heads), HeadLayout.Split(qkv[1], heads), HeadLayout.Split(qkv[2], heads));
        return Project(c_proj, HeadLayout.Merge(y), context).MoveToOuterScope();
    }
}
