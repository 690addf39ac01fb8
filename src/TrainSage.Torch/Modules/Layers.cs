namespace TrainSage.Torch.Modules;

using F = torch.nn.functional;

/// <summary>y = x W^T + b, initialised as PyTorch does (uniform in ±1/sqrt(in_features)).</summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    public Tensor weight { get; }
    public Tensor? bias { get; }

    public Linear(long in_features, long out_features, bool hasBias = true, Device? device = null)
    {
        var bound = 1.0 / Math.Sqrt(in_features);
        weight = register_parameter("weight", torch.empty([out_features, in_features], device: device).uniform_(-bound, bound));
        if (hasBias) bias = register_parameter("bias", torch.empty([out_features], device: device).uniform_(-bound, bound));
    }

    public override Tensor forward(Tensor input) => F.linear(input, weight, bias);
}

/// <summary>A lookup table of embeddings, initialised N(0, 1).</summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    public Tensor weight { get; }

    public Embedding(long num_embeddings, long embedding_dim, Device? device = null) =>
        weight = register_parameter("weight", torch.randn([num_embeddings, embedding_dim], device: device));

    public override Tensor forward(Tensor indices) => F.embedding(indices, weight);
}

/// <summary>Layer normalisation over the last dimension, with optional affine bias.</summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    private readonly long[] normalizedShape;
    private readonly double eps;

    public Tensor weight { get; }
    public Tensor? bias { get; }

    public LayerNorm(long normalized_shape, double eps = 1e-5, bool hasBias = true, Device? device = null)
    {
        normalizedShape = [normalized_shape];
        this.eps = eps;
        weight = register_parameter("weight", torch.ones([normalized_shape], device: device));
        if (hasBias) bias = register_parameter("bias", torch.zeros([normalized_shape], device: device));
    }

    public override Tensor forward(Tensor input) => F.layer_norm(input, normalizedShape, weight, bias, eps);
}

/// <summary>Root-mean-square normalisation over the last dimension (Llama), computed in fp32.</summary>
public sealed class RMSNorm : Module<Tensor, Tensor>
{
    private readonly double eps;

    public Tensor weight { get; }

    public RMSNorm(long dim, double eps = 1e-6, Device? device = null)
    {
        this.eps = eps;
        weight = register_parameter("weight", torch.ones([dim], device: device));
    }

    public override Tensor forward(Tensor input) => F.rms_norm(input, weight, eps);
}

/// <summary>Zeroes elements with probability p while training, scaling the rest by 1/(1-p).</summary>
public sealed class Dropout(double p = 0.5) : Module<Tensor, Tensor>
{
    public double p { get; } = p is >= 0 and < 1 ? p : throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");

    public override Tensor forward(Tensor input) => p == 0 || !training ? input.alias() : F.dropout(input, p, training);
}
