namespace TrainSage.Models;

/// <summary>
/// The module names of each flavour, chosen so that parameter names equal Hugging Face's (GPT2LMHeadModel,
/// LlamaForCausalLM): transformer.h.0.ln_1.weight, model.layers.0.input_layernorm.weight, and so on.
/// </summary>
internal sealed record LayerNames(
    string Body, string TokenEmbedding, string Blocks, string FinalNorm, string AttentionNorm, string Attention, string MlpNorm)
{
    public static readonly LayerNames Gpt2 = new("transformer", "wte", "h", "ln_f", "ln_1", "attn", "ln_2");
    public static readonly LayerNames Llama = new("model", "embed_tokens", "layers", "norm", "input_layernorm", "self_attn", "post_attention_layernorm");

    public static LayerNames Of(ModelFlavour flavour) => flavour == ModelFlavour.Gpt2 ? Gpt2 : Llama;
}
