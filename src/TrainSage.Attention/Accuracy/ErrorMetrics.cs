using TrainSage.Torch;

namespace TrainSage.Attention.Accuracy;

/// <summary>How far a tensor is from its reference, over all its elements, computed in fp64.</summary>
/// <param name="Cosine">cos(actual, reference) of the flattened tensors.</param>
/// <param name="RelL1">sum |actual - reference| / sum |reference|.</param>
/// <param name="RelL2">||actual - reference||_2 / ||reference||_2.</param>
public readonly record struct ErrorMetrics(double Cosine, double RelL1, double RelL2)
{
    public static ErrorMetrics Of(Tensor actual, Tensor reference)
    {
        using var scope = torch.NewDisposeScope();
        var a = actual.to(ScalarType.Float64).flatten();
        var r = reference.to(ScalarType.Float64).flatten();
        var diff = a - r;
        var referenceNorm = r.norm().item();
        return new(
            (a * r).sum().item() / (a.norm().item() * referenceNorm),
            diff.abs().sum().item() / r.abs().sum().item(),
            diff.norm().item() / referenceNorm);
    }
}
