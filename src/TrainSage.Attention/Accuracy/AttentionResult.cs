using TrainSage.Torch;

namespace TrainSage.Attention.Accuracy;

/// <summary>A backend's output on a sample and the gradients loss.backward() gives for dL/dO = the sample's dO.</summary>
public sealed record AttentionResult(Tensor Output, Tensor DQuery, Tensor DKey, Tensor DValue) : IDisposable
{
    public static readonly string[] TensorNames = ["O", "dQ", "dK", "dV"];

    /// <summary>Runs <paramref name="backend"/> forward and backward through autograd on fresh leaf copies of the
    /// sample's inputs. The results belong to the caller's dispose scope, if any.</summary>
    public static AttentionResult Compute(IAttention backend, AttentionSample sample)
    {
        using var scope = torch.NewDisposeScope();
        var q = sample.Query.detach().requires_grad_();
        var k = sample.Key.detach().requires_grad_();
        var v = sample.Value.detach().requires_grad_();
        var output = backend.Forward(q, k, v, sample.Causal);
        output.backward(sample.GradOutput);
        return new AttentionResult(output.detach().MoveToOuterScope(), q.grad!.MoveToOuterScope(),
            k.grad!.MoveToOuterScope(), v.grad!.MoveToOuterScope());
    }

    public IReadOnlyList<Tensor> Tensors => [Output, DQuery, DKey, DValue];

    /// <summary>The metrics of O, dQ, dK and dV (in <see cref="TensorNames"/>' order) against a reference.</summary>
    public ErrorMetrics[] CompareTo(AttentionResult reference) =>
        Tensors.Zip(reference.Tensors, ErrorMetrics.Of).ToArray();

    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}
