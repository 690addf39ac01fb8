using TrainSage.Models;

namespace TrainSage.Cli;

/// <summary>Gives each model layer the attention backend its recipe names.</summary>
public static class AttentionBackendsFactory
{
    public static AttentionFactory Create(IServiceProvider _) => ExactCausalAttention.Factory;
}
