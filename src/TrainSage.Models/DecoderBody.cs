using TrainSage.Torch.Modules;

namespace TrainSage.Models;

/// <summary>Embeddings, the blocks and the final norm: HF's GPT2Model ("transformer") or LlamaModel ("model").</summary>
internal sealed class DecoderBody : Module
{
    private readonly Dropout embeddingDropout;

    public Embedding TokenEmbedding { get; }

    /// <summary>GPT-2's learned positions (wpe); null for Llama, which rotates q and k instead.</summary>
    public Embedding? PositionEmbedding { get; }

    public ModuleList<DecoderBlock> Blocks { get; }
    public Module<Tensor, Tensor> FinalNorm { get; }

    public DecoderBody(ModelConfig config, IReadOnlyList<ICausalAttention> attentionPerLayer, Device? device)
    {
        var names = LayerNames.Of(config.Flavour);
        TokenEmbedding = register_module(names.TokenEmbedding, new Embedding(config.VocabSize, config.NEmbd, device));
        if (config.Flavour == ModelFlavour.Gpt2)
            PositionEmbedding = register_module("wpe", new Embedding(config.BlockSize, config.NEmbd, device));
        embeddingDropout = register_module("drop", new Dropout(config.Dropout));
        Blocks = register_module(names.Blocks, new ModuleList<DecoderBlock>(attentionPerLayer.Select(a => new DecoderBlock(config, a, device))));
        FinalNorm = register_module(names.FinalNorm, DecoderBlock.Norm(config, device));
    }

    /// <summary>Token ids [batch, tokens] to normalised hidden states [batch, tokens, n_embd] in fp32.</summary>
    public Tensor forward(Tensor idx, ForwardContext context)
    {
        using var scope = torch.NewDisposeScope();
        var x = TokenEmbedding.forward(idx);
        if (PositionEmbedding is not null) x += PositionEmbedding.forward(torch.arange(idx.size(1), device: idx.device));
        x = embeddingDropout.forward(x);
        foreach (var block in Blocks.Items) x = block.forward(x, context);
        return FinalNorm.forward(x).MoveToOuterScope();
    }
}
