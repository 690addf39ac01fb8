using TrainSage.Torch.Optim;

namespace TrainSage.Models;

/// <summary>A model's parameters split by whether AdamW should decay them (see <see cref="GPT.parameter_groups"/>).</summary>
public sealed record ParameterGroups(
    IReadOnlyList<(string Name, Tensor Parameter)> Decay,
    IReadOnlyList<(string Name, Tensor Parameter)> NoDecay)
{
    /// <summary>The two groups for <see cref="AdamW"/>: <paramref name="weight_decay"/> on Decay, zero on NoDecay.</summary>
    public ParamGroup[] ToParamGroups(double weight_decay) =>
    [
        new(Decay.Select(p => p.Parameter).ToList(), WeightDecay: weight_decay),
        new(NoDecay.Select(p => p.Parameter).ToList(), WeightDecay: 0),
    ];
}
