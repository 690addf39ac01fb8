using System.Text.RegularExpressions;

namespace TrainSage.Models;

/// <summary>
/// Maps <see cref="GPT"/>'s parameters to and from Hugging Face checkpoints (GPT2LMHeadModel, LlamaForCausalLM).
/// The names are already HF's; the one layout difference is that HF GPT-2 implements c_attn, c_proj and c_fc as
/// Conv1D, which stores its weight [in, out], while our Linear stores [out, in]: those weights are transposed.
/// A tied output head has no lm_head.weight of its own (HF ties it from the embedding as well); when loading an
/// HF file that carries one into a tied model, drop it.
/// </summary>
public static partial class HuggingFaceNames
{
    [GeneratedRegex(@"^(transformer\.(wte|wpe)\.weight|transformer\.h\.\d+\.(ln_1|ln_2|attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.(weight|bias)|transformer\.ln_f\.(weight|bias)|lm_head\.weight)$")]
    private static partial Regex Gpt2Parameter();

    [GeneratedRegex(@"^(model\.embed_tokens\.weight|model\.layers\.\d+\.(self_attn\.(q_proj|k_proj|v_proj|o_proj|q_norm|k_norm)|mlp\.(gate_proj|up_proj|down_proj)|input_layernorm|post_attention_layernorm)\.weight|model\.norm\.weight)$")]
    private static partial Regex LlamaParameter();

    [GeneratedRegex(@"^transformer\.h\.\d+\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$")]
    private static partial Regex Conv1DWeight();

    // Original GPT-2 files (saved from GPT2Model) name parameters without the "transformer." prefix.
    [GeneratedRegex(@"^(wte|wpe|h\.\d+|ln_f)\.")]
    private static partial Regex UnprefixedGpt2();

    // Buffers HF files may carry that are not parameters: GPT-2's causal masks, older Llama's rotary frequencies.
    [GeneratedRegex(@"^((transformer\.)?h\.\d+\.attn\.(bias|masked_bias)|.*\.rotary_emb\.inv_freq)$")]
    private static partial Regex HuggingFaceBuffer();

    public static bool IsModelParameter(string name) => Gpt2Parameter().IsMatch(name) || LlamaParameter().IsMatch(name);

    /// <summary>Our name and tensor to HF's (a new tensor: transposed and contiguous for GPT-2's Conv1D weights).</summary>
    public static (string Name, Tensor Tensor) ToHuggingFace(string name, Tensor tensor)
    {
        if (!IsModelParameter(name))
            throw new ArgumentException($"'{name}' is not a parameter of a TrainSage GPT (gpt2 or llama flavour); it has no Hugging Face name", nameof(name));
        return (name, Conv1DWeight().IsMatch(name) ? Transposed(name, tensor) : tensor.alias());
    }

    /// <summary>
    /// An HF name and tensor to ours, or null for an HF buffer that has no counterpart in the model (GPT-2's
    /// attn.bias/attn.masked_bias causal masks, rotary_emb.inv_freq). Accepts GPT-2 names with or without
    /// the "transformer." prefix.
    /// </summary>
    public static (string Name, Tensor Tensor)? FromHuggingFace(string name, Tensor tensor)
    {
        if (HuggingFaceBuffer().IsMatch(name)) return null;
        var ours = UnprefixedGpt2().IsMatch(name) ? "transformer." + name : name;
        if (!IsModelParameter(ours))
            throw new ArgumentException($"Hugging Face tensor '{name}' has no counterpart in a TrainSage GPT (gpt2 or llama flavour)", nameof(name));
        return (ours, Conv1DWeight().IsMatch(ours) ? Transposed(name, tensor) : tensor.alias());
    }

    private static Tensor Transposed(string name, Tensor tensor)
    {
        if (tensor.dim() != 2) throw new ArgumentException($"'{name}' must be a matrix, but the tensor is {tensor}", nameof(tensor));
        using var view = tensor.transpose(0, 1);
        return view.contiguous();
    }
}
