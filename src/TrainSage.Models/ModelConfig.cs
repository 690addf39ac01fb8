namespace TrainSage.Models;

/// <summary>Which decoder architecture <see cref="GPT"/> builds.</summary>
public enum ModelFlavour
{
    /// <summary>Learned positions, LayerNorm, GELU (tanh) MLP 4x, tied embeddings by default; Hugging Face GPT-2 names.</summary>
    Gpt2,

    /// <summary>RoPE, RMSNorm, SwiGLU MLP, grouped-query attention, optional QK-norm, no biases; Hugging Face Llama names.</summary>
    Llama,
}

/// <summary>
/// The shape of a decoder-only transformer. Property names are PascalCase forms of the recipe keys (NEmbd is
/// <c>n_embd</c>); <see cref="Validate"/>'s errors name the recipe key. Null means "the flavour's default"
/// (see the resolved properties below).
/// </summary>
public sealed record ModelConfig
{
    public ModelFlavour Flavour { get; init; } = ModelFlavour.Gpt2;
    public int VocabSize { get; init; } = 50304;
    public int NLayer { get; init; } = 12;
    public int NHead { get; init; } = 12;

    /// <summary>Key/value heads (grouped-query attention when fewer than NHead; Llama only). Null: NHead.</summary>
    public int? NKvHead { get; init; }

    public int NEmbd { get; init; } = 768;

    /// <summary>The longest sequence the model accepts (the size of GPT-2's position table).</summary>
    public int BlockSize { get; init; } = 1024;

    /// <summary>Dropout on the embeddings and on the attention and MLP outputs before each residual add.</summary>
    public double Dropout { get; init; }

    /// <summary>Biases in Linear layers and LayerNorm (GPT-2 only; Llama has none).</summary>
    public bool Bias { get; init; }

    /// <summary>Output head shares the token embedding. Null: true for GPT-2, false for Llama.</summary>
    public bool? TieEmbeddings { get; init; }

    /// <summary>RoPE base (Llama).</summary>
    public double RopeTheta { get; init; } = 10000;

    /// <summary>RMSNorm over each head of q and k before RoPE (Llama; Qwen3's q_norm/k_norm).</summary>
    public bool QkNorm { get; init; }

    /// <summary>MLP hidden width. Null: 4 * n_embd for GPT-2; for Llama 8/3 * n_embd rounded up to a multiple of 64.</summary>
    public int? MlpHidden { get; init; }

    public AttentionBackends Attention { get; init; } = new();

    // ---- resolved values --------------------------------------------------------------------------------------
    public int HeadDim => NHead > 0 ? NEmbd / NHead : 0; // 0 only for an invalid config, which must still print
    public int KvHeads => NKvHead ?? NHead;
    public bool TiedEmbeddings => TieEmbeddings ?? Flavour == ModelFlavour.Gpt2;

    /// <summary>
    /// Llama's SwiGLU has three matrices instead of two, so 2/3 of GPT-2's 4x keeps the parameter count; rounding
    /// to 64 keeps matmul shapes friendly to tensor cores without Llama's coarser 256 (too big for small models).
    /// </summary>
    public int MlpHiddenSize => MlpHidden ?? (Flavour == ModelFlavour.Gpt2 ? 4 * NEmbd : (8 * NEmbd / 3 + 63) / 64 * 64);

    /// <summary>LayerNorm epsilon for GPT-2 (PyTorch's default, as HF GPT-2), RMSNorm epsilon for Llama.</summary>
    public double NormEps => Flavour == ModelFlavour.Gpt2 ? 1e-5 : 1e-6;

    /// <summary>Throws <see cref="InvalidModelConfigException"/> naming the first invalid field; returns this config.</summary>
    public ModelConfig Validate()
    {
        Require(Enum.IsDefined(Flavour), "flavour", $"'{Flavour}' is not a flavour; allowed: gpt2, llama");
        Positive(VocabSize, "vocab_size");
        Positive(NLayer, "n_layer");
        Positive(NHead, "n_head");
        Positive(NEmbd, "n_embd");
        Positive(BlockSize, "block_size");
        Require(NEmbd % NHead == 0, "n_embd",
            $"n_embd = {NEmbd} must be divisible by n_head = {NHead} (each head gets n_embd / n_head channels)");
        Require(KvHeads >= 1 && KvHeads <= NHead && NHead % KvHeads == 0, "n_kv_head",
            $"n_kv_head = {KvHeads} must divide n_head = {NHead} (allowed: a divisor of n_head, or omit it for n_head)");
        Require(Dropout is >= 0 and < 1, "dropout", $"dropout = {Dropout} must be in [0, 1)");
        Require(MlpHidden is null or >= 1, "mlp_hidden", $"mlp_hidden = {MlpHidden} must be at least 1 (or omit it for the flavour's default)");
        if (Flavour == ModelFlavour.Gpt2)
        {
            Require(KvHeads == NHead, "n_kv_head",
                $"n_kv_head = {KvHeads} needs the llama flavour: gpt2 attention has one key/value head per query head (omit n_kv_head)");
            Require(!QkNorm, "qk_norm", "qk_norm needs the llama flavour; set qk_norm: false for gpt2");
        }
        else
        {
            Require(!Bias, "bias", "the llama flavour has no biases; set bias: false");
            Require(HeadDim % 2 == 0, "n_embd",
                $"RoPE rotates channel pairs, so the head size n_embd / n_head = {HeadDim} must be even");
            Require(RopeTheta > 0 && double.IsFinite(RopeTheta), "rope_theta", $"rope_theta = {RopeTheta} must be a positive number");
        }
        Attention.Validate(NLayer);
        return this;
    }

    private static void Positive(int value, string field) => Require(value >= 1, field, $"{field} = {value} must be at least 1");

    internal static void Require(bool condition, string field, string message)
    {
        if (!condition) throw new InvalidModelConfigException(field, message);
    }
}

/// <summary>A model configuration error; <see cref="Field"/> is the recipe key at fault.</summary>
public sealed class InvalidModelConfigException(string field, string message) : ArgumentException($"model.{field}: {message}")
{
    public string Field { get; } = field;
}
