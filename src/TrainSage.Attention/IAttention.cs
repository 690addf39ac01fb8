using TrainSage.Torch;

namespace TrainSage.Attention;

/// <summary>
/// Scaled dot-product attention softmax(Q K^T / sqrt(head_dim)) V with one backend's numerics.
/// </summary>
public interface IAttention
{
    /// <summary>The backend's name as <see cref="AttentionRegistry.Create"/> takes it.</summary>
    string Name { get; }

    /// <summary>
    /// query [batch, heads, tokens_q, head_dim]; key and value [batch, kv_heads, tokens_k, head_dim] with heads a
    /// multiple of kv_heads (grouped-query attention). Returns [batch, heads, tokens_q, head_dim] in query's dtype,
    /// differentiable with respect to all three. causal: query t sees keys 0..t (top-left aligned).
    /// </summary>
    Tensor Forward(Tensor query, Tensor key, Tensor value, bool causal = false);
}
