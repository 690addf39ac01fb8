namespace TrainSage.Attention.Tests;

/// <summary>Issue 3's accuracy targets on CPU with fixed seeds (the report shows longer sequences).</summary>
public class TargetTests
{
    private const int O = 0, DQ = 1;

    public static TheoryData<InputFamily, int> FamiliesAndHeadDims()
    {
        var data = new TheoryData<InputFamily, int>();
        foreach (var family in Enum.GetValues<InputFamily>())
        foreach (var headDim in new[] { 64, 128 })
            data.Add(family, headDim);
        return data;
    }

    // 300 tokens: two full blocks of 128 and a padded one.
    [Theory]
    [MemberData(nameof(FamiliesAndHeadDims))]
    public void Default_numerics_meet_the_targets(InputFamily family, int headDim)
    {
        using var scope = torch.NewDisposeScope();
        var errors = Run.Errors(family, headDim, 300);
        Assert.True(errors[O].Cosine >= 0.9995, $"O cosine {errors[O].Cosine:F6} < 0.9995");
        Assert.True(errors[O].RelL1 <= 0.03, $"O relative L1 {errors[O].RelL1:F4} > 0.03");
        for (var t = 1; t < 4; t++)
            Assert.True(errors[t].Cosine >= 0.996, $"{AttentionResult.TensorNames[t]} cosine {errors[t].Cosine:F6} < 0.996");
    }

    [Theory]
    [InlineData(64)]
    [InlineData(128)]
    public void Without_K_smoothing_the_offset_family_loses_dQ(int headDim)
    {
        using var scope = torch.NewDisposeScope();
        var smoothed = Run.Errors(InputFamily.KOffset, headDim, 256);
        var unsmoothed = Run.Errors(InputFamily.KOffset, headDim, 256, new Sage8Options { SmoothK = false });
        Assert.True(smoothed[DQ].Cosine >= 0.996, $"smoothed dQ cosine {smoothed[DQ].Cosine:F6}");
        Assert.True(unsmoothed[DQ].Cosine < 0.95, $"unsmoothed dQ cosine {unsmoothed[DQ].Cosine:F6} is not below 0.95");
    }

    [Theory]
    [InlineData(64)]
    [InlineData(128)]
    public void Per_block_V_and_dO_scales_at_least_double_Os_L1_on_outlier_channels(int headDim)
    {
        using var scope = torch.NewDisposeScope();
        var perChannel = Run.Errors(InputFamily.OutlierChannels, headDim, 256);
        var perBlock = Run.Errors(InputFamily.OutlierChannels, headDim, 256,
            new Sage8Options { VdoScaling = VdoScaling.PerBlock });
        var ratio = perBlock[O].RelL1 / perChannel[O].RelL1;
        Assert.True(ratio >= 2,
            $"per-block O relative L1 {perBlock[O].RelL1:F4} is only {ratio:F2}x per-channel's {perChannel[O].RelL1:F4}");
    }

    // How much INT8 dP hurts depends on the draw: its relative error grows with the largest dO and V channel
    // scales, so the ratio spans 1.45x to 18.6x in the accuracy reports (NUMERICS.md, "What each choice buys"). The
    // assertion is on the geometric mean over eight fixed draws.
    [Theory]
    [InlineData(64)]
    [InlineData(128)]
    public void Int8_dO_Vt_at_least_doubles_dQs_error_on_outlier_channels(int headDim)
    {
        using var scope = torch.NewDisposeScope();
        var logRatios = new List<double>();
        for (ulong seed = 1; seed <= 8; seed++)
        {
            var bf16 = Run.Errors(InputFamily.OutlierChannels, headDim, 256, heads: 1, seed: seed);
            var int8 = Run.Errors(InputFamily.OutlierChannels, headDim, 256, new Sage8Options { DoVPrecision = DoVPrecision.Int8 },
                heads: 1, seed: seed);
            logRatios.Add(Math.Log((1 - int8[DQ].Cosine) / (1 - bf16[DQ].Cosine)));
        }
        var geometricMean = Math.Exp(logRatios.Average());
        Assert.True(geometricMean >= 2, $"INT8 dO*V^T raises dQ's 1 - cosine by a geometric mean of only {geometricMean:F2}x " +
                                        $"(per draw: {string.Join(", ", logRatios.Select(r => Math.Exp(r).ToString("F2")))})");
    }
}
