using TrainSage.Attention;
using TrainSage.Torch.Modules;

namespace TrainSage.Models;

/// <summary>
/// Llama attention: separate q/k/v/o projections without biases, grouped-query attention (n_kv_head key/value
/// heads shared by n_head query heads), optional per-head RMSNorm of q and k (q_norm, k_norm), then RoPE.
/// </summary>
internal sealed class LlamaAttention : DecoderSublayer
{
    private readonly ICausalAttention attention;
    private readonly long heads;
    private readonly long kvHeads;

    public Linear q_proj { get; }
    public Linear k_proj { get; }
    public Linear v_proj { get; }
    public Linear o_proj { get; }
    public RMSNorm? q_norm { get; }
    public RMSNorm? k_norm { get; }

    public LlamaAttention(ModelConfig config, ICausalAttention attention, Device? device)
    {
        this.attention = attention;
        heads = config.NHead;
        kvHeads = config.KvHeads;
        long headDim = config.HeadDim;
        q_proj = register_module("q_proj", new Linear(config.NEmbd, heads * headDim, hasBias: false, device));
        k_proj = register_module("k_proj", new Linear(config.NEmbd, kvHeads * headDim, hasBias: false, device));
        v_proj = register_module("v_proj", new Linear(config.NEmbd, kvHeads * headDim, hasBias: false, device));
        o_proj = register_module("o_proj", new Linear(heads * headDim, config.NEmbd, hasBias: false, device));
        if (config.QkNorm)
        {
            q_norm = register_module("q_norm", new RMSNorm(headDim, config.NormEps, device));
            k_norm = register_module("k_norm", new RMSNorm(headDim, config.NormEps, device));
        }
    }

    public override Linear OutputProjection => o_proj;

    public override Tensor forward(Tensor x, ForwardContext context)
    {
        using var scope = torch.NewDisposeScope();
        var q = HeadLayout.Split(Project(q_proj, x, context), heads);
        var k = HeadLayout.Split(Project(k_proj, x, context), kvHeads);
        var v = HeadLayout.Split(Project(v_proj, x, context), kvHeads);
        if (q_norm is not null && k_norm is not null)
        {
            // RMSNorm returns fp32 (its weight is fp32); attention runs in the compute dtype.
            q = q_norm.forward(q).to(context.ComputeDtype);
            k = k_norm.forward(k).to(context.ComputeDtype);
        }
        var cos = context.RopeCos ?? throw new InvalidOperationException("the llama flavour needs RoPE tables in the forward context");
        var sin = context.RopeSin!;
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        var y = attention.forward(q, AttentionInputs.RepeatKvHeads(k, heads), AttentionInputs.RepeatKvHeads(v, heads));
        return Project(o_proj, HeadLayout.Merge(y), context).MoveToOuterScope();
    }
}
