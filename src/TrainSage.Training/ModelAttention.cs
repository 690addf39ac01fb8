using TrainSage.Attention;
using TrainSage.Models;
using TrainSage.Torch;

namespace TrainSage.Training;

/// <summary>Gives each model layer the attention backend its recipe names (causal self-attention).</summary>
public static class ModelAttention
{
    public static AttentionFactory Factory(Sage8Options? sage8Options = null) =>
        (_, backendName) => new Causal(AttentionRegistry.Create(backendName, sage8Options));

    private sealed class Causal(IAttention backend) : ICausalAttention
    {
        public Tensor forward(Tensor q, Tensor k, Tensor v) => backend.Forward(q, k, v, causal: true);
    }
}
