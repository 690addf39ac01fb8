namespace TrainSage.Models;

/// <summary>Moves between the residual layout [batch, tokens, heads * head_dim] and attention's [batch, heads, tokens, head_dim].</summary>
internal static class HeadLayout
{
    public static Tensor Split(Tensor x, long heads)
    {
        var (batch, tokens, width) = (x.size(0), x.size(1), x.size(2));
        using var grouped = x.view(batch, tokens, heads, width / heads);
        return grouped.transpose(1, 2);
    }

    public static Tensor Merge(Tensor y)
    {
        var (batch, heads, tokens, headDim) = (y.size(0), y.size(1), y.size(2), y.size(3));
        using var swapped = y.transpose(1, 2);
        return swapped.reshape(batch, tokens, heads * headDim);
    }
}
