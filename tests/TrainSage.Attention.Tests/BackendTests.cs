namespace TrainSage.Attention.Tests;

public class BackendTests
{
    [Theory]
    [InlineData("sage8", typeof(Sage8Attention))]
    [InlineData("Flash", typeof(FlashAttention))]
    [InlineData(" math ", typeof(MathAttention))]
    public void The_factory_makes_each_backend_by_name(string name, Type type)
    {
        var backend = AttentionRegistry.Create(name, new Sage8Options { BlockSize = 64 });
        Assert.IsType(type, backend);
        Assert.Equal(name.Trim().ToLowerInvariant(), backend.Name);
        if (backend is Sage8Attention sage8) Assert.Equal(64, sage8.Options.BlockSize);
    }

    [Fact]
    public void Flash_is_bf16_sdpa_or_exact_attention_in_the_input_dtype_without_sdpa()
    {
        using var scope = torch.NewDisposeScope();
        var s = AttentionSample.Create(InputFamily.Causal, 1, 2, 100, 64, 19, Device.CPU);
        var flash = new FlashAttention().Forward(s.Query, s.Key, s.Value, causal: true);
        var exact = new MathAttention().Forward(s.Query, s.Key, s.Value, causal: true);
        Assert.Equal(ScalarType.Float32, flash.dtype);
        if (torch.nn.functional.has_scaled_dot_product_attention)
            Assert.True(ErrorMetrics.Of(flash, exact).Cosine > 0.999);
        else
            Assert.True(Run.MaxRelativeDifference(flash, exact) < 1e-6);
    }

    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void Every_backend_keeps_16_bit_inputs_in_their_dtype(ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var s = AttentionSample.Create(InputFamily.Gaussian, 1, 2, 130, 64, 23, Device.CPU);
        var exact = new MathAttention().Forward(s.Query, s.Key, s.Value);
        foreach (var name in AttentionRegistry.Names)
        {
            var q = s.Query.to(dtype).requires_grad_();
            var output = AttentionRegistry.Create(name).Forward(q, s.Key.to(dtype), s.Value.to(dtype));
            output.backward(s.GradOutput.to(dtype));
            Assert.Equal(dtype, output.dtype);
            Assert.Equal(dtype, q.grad!.dtype);
            var cosine = ErrorMetrics.Of(output, exact).Cosine;
            Assert.True(cosine > 0.999, $"{name} in {dtype}: O cosine {cosine:F6}");
        }
    }

    // Grouped-query attention: query head h uses K/V head h / (heads / kv_heads); dK and dV sum over the group.
    [Theory]
    [InlineData("sage8")]
    [InlineData("math")]
    public void Grouped_query_attention_equals_repeating_the_kv_heads(string name)
    {
        using var scope = torch.NewDisposeScope();
        var backend = AttentionRegistry.Create(name);
        torch.manual_seed(29);
        var q = Run.Randn(1, 4, 150, 64);
        var k = Run.Randn(1, 2, 150, 64).requires_grad_();
        var v = Run.Randn(1, 2, 150, 64).requires_grad_();
        var dO = Run.Randn(1, 4, 150, 64);
        var grouped = backend.Forward(q, k, v, causal: true);
        grouped.backward(dO);

        Tensor Repeat(Tensor t) => t.detach().unsqueeze(2).expand(1, 2, 2, 150, 64).reshape(1, 4, 150, 64).requires_grad_();
        var kr = Repeat(k);
        var vr = Repeat(v);
        var repeated = backend.Forward(q, kr, vr, causal: true);
        repeated.backward(dO);

        Assert.Equal(0, (grouped - repeated).abs().amax().item());
        Tensor SumGroups(Tensor g) => g.view(1, 2, 2, 150, 64).sum(2);
        Assert.True(Run.MaxRelativeDifference(k.grad!, SumGroups(kr.grad!)) < 1e-6);
        Assert.True(Run.MaxRelativeDifference(v.grad!, SumGroups(vr.grad!)) < 1e-6);
    }

    // SageAttention2's Q smoothing: queries sharing a large offset lose it before quantization.
    [Fact]
    public void Q_smoothing_helps_queries_with_a_shared_offset()
    {
        using var scope = torch.NewDisposeScope();
        var s = AttentionSample.Create(InputFamily.Gaussian, 1, 2, 256, 64, 31, Device.CPU);
        torch.manual_seed(31);
        var offset = s with { Query = s.Query + Run.Randn(1, 2, 1, 64) * 8 };
        var exact = AttentionResult.Compute(new MathAttention(), offset);
        var plain = AttentionResult.Compute(new Sage8Attention(new Sage8Options()), offset).CompareTo(exact);
        var smoothed = AttentionResult.Compute(new Sage8Attention(new Sage8Options { SmoothQ = true }), offset).CompareTo(exact);
        Assert.True(smoothed[0].RelL1 < 0.8 * plain[0].RelL1,
            $"O relative L1: smoothed {smoothed[0].RelL1:F4}, plain {plain[0].RelL1:F4}");
        for (var t = 1; t < 4; t++)
            Assert.True(smoothed[t].Cosine >= 0.996, $"{AttentionResult.TensorNames[t]} cosine {smoothed[t].Cosine:F6}");
    }
}
