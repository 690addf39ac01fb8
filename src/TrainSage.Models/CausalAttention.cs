namespace TrainSage.Models;

// The seam between the model and the attention backends (TrainSage.Attention plugs in here).

/// <summary>
/// Causal self-attention: softmax(q k^T / sqrt(head_dim) + causal mask) v. q, k and v are
/// [batch, heads, tokens, head_dim] in the model's compute dtype, and k and v always have as many heads as q:
/// the model repeats key/value heads for grouped-query attention before the call. Returns [batch, heads, tokens,
/// head_dim] in the same dtype, differentiable with respect to q, k and v.
/// </summary>
public interface ICausalAttention
{
    Tensor forward(Tensor q, Tensor k, Tensor v);
}

/// <summary>Makes the attention of one layer from the backend name its configuration chose (sage8, flash, math).</summary>
public delegate ICausalAttention AttentionFactory(int layerIndex, string backendName);

/// <summary>
/// Exact attention (TrainSage.Attention's math backend: fp32 throughout, the result in the input dtype), causal.
/// The model's attention when it is given no <see cref="AttentionFactory"/>.
/// </summary>
public sealed class ExactCausalAttention : ICausalAttention
{
    public static readonly ExactCausalAttention Instance = new();

    private readonly TrainSage.Attention.MathAttention math = new();

    /// <summary>Gives every layer exact attention; only "math" is accepted, since the other backends live in TrainSage.Attention.</summary>
    public static ICausalAttention Factory(int layerIndex, string backendName) => backendName == "math"
        ? Instance
        : throw new ArgumentException(
            $"layer {layerIndex} asks for attention backend '{backendName}', but the model was built without an attention factory, " +
            "which provides only 'math'; pass TrainSage.Attention's factory to GPT's constructor, or use attention 'math'");

    public Tensor forward(Tensor q, Tensor k, Tensor v)
    {
        if (q.dim() != 4 || !q.shape.SequenceEqual(k.shape) || !q.shape.SequenceEqual(v.shape))
            throw new ArgumentException(
                $"attention needs q, k and v of one shape [batch, heads, tokens, head_dim]; got q {q}, k {k}, v {v}");
        return math.Forward(q, k, v, causal: true);
    }
}
