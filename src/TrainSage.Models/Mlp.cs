using TrainSage.Torch.Modules;

namespace TrainSage.Models;

/// <summary>GPT-2's MLP: c_fc, GELU with the tanh approximation (as GPT-2 was trained), c_proj.</summary>
internal sealed class Gpt2Mlp : DecoderSublayer
{
    public Linear c_fc { get; }
    public Linear c_proj { get; }

    public Gpt2Mlp(ModelConfig config, Device? device)
    {
        c_fc = register_module("c_fc", new Linear(config.NEmbd, config.MlpHiddenSize, config.Bias, device));
        c_proj = register_module("c_proj", new Linear(config.MlpHiddenSize, config.NEmbd, config.Bias, device));
    }

    public override Linear OutputProjection => c_proj;

    public override Tensor forward(Tensor x, ForwardContext context)
    {
        using var hidden = Project(c_fc, x, context);
        using var activated = torch.nn.functional.gelu(hidden, tanh_approximation: true);
        return Project(c_proj, activated, context);
    }
}

/// <summary>Llama's SwiGLU MLP: down_proj(silu(gate_proj(x)) * up_proj(x)), no biases.</summary>
internal sealed class SwiGluMlp : DecoderSublayer
{
    public Linear gate_proj { get; }
    public Linear up_proj { get; }
    public Linear down_proj { get; }

    public SwiGluMlp(ModelConfig config, Device? device)
    {
        gate_proj = register_module("gate_proj", new Linear(config.NEmbd, config.MlpHiddenSize, hasBias: false, device));
        up_proj = register_module("up_proj", new Linear(config.NEmbd, config.MlpHiddenSize, hasBias: false, device));
        down_proj = register_module("down_proj", new Linear(config.MlpHiddenSize, config.NEmbd, hasBias: false, device));
    }

    public override Linear OutputProjection => down_proj;

    public override Tensor forward(Tensor x, ForwardContext context)
    {
        using var scope = torch.NewDisposeScope();
        var gated = torch.nn.functional.silu(Project(gate_proj, x, context)) * Project(up_proj, x, context);
        return Project(down_proj, gated, context).MoveToOuterScope();
    }
}
