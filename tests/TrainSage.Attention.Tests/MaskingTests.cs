namespace TrainSage.Attention.Tests;

/// <summary>Internal padding and the causal mask: what sage8 may and may not see.</summary>
public class MaskingTests
{
    // Without K smoothing (whose mean would include the explicit zero rows) and with a causal mask (so no real
    // query sees an explicit zero key), every scale and sum is the same either way: only rounding in the fp32
    // exp and the order of fp32 sums may differ.
    [Theory]
    [InlineData(200, 256)]
    [InlineData(1000, 1024)]
    public void Odd_lengths_agree_with_the_same_inputs_padded_by_hand(int tokens, int padded)
    {
        using var scope = torch.NewDisposeScope();
        var options = new Sage8Options { SmoothK = false };
        var s = AttentionSample.Create(InputFamily.Gaussian, 1, 2, tokens, 64, 13, Device.CPU);
        var odd = AttentionResult.Compute(new Sage8Attention(options), s);

        Tensor Pad(Tensor t) => torch.cat([t, torch.zeros([1, 2, padded - tokens, 64])], 2);
        var p = new AttentionSample(Pad(s.Query), Pad(s.Key), Pad(s.Value), Pad(s.GradOutput), Causal: true);
        var byHand = AttentionResult.Compute(new Sage8Attention(options), p);

        var causalOdd = AttentionResult.Compute(new Sage8Attention(options), s with { Causal = true });
        for (var i = 0; i < 4; i++)
        {
            var real = byHand.Tensors[i].narrow(2, 0, tokens);
            var difference = Run.MaxRelativeDifference(causalOdd.Tensors[i], real);
            Assert.True(difference < 1e-5, $"{AttentionResult.TensorNames[i]} differs by {difference:E2}");
        }
        // And the non-causal odd length sees none of its internal padding: it stays as accurate as a full block.
        var exact = AttentionResult.Compute(new MathAttention(), s);
        Assert.True(odd.CompareTo(exact)[0].Cosine >= 0.9995);
    }

    [Fact]
    public void Causal_outputs_do_not_depend_on_future_keys()
    {
        using var scope = torch.NewDisposeScope();
        // Without K smoothing the future keys cannot reach the past through K's mean; they start a new block, so
        // they cannot reach it through a block scale either.
        var options = new Sage8Options { BlockSize = 64, SmoothK = false };
        var s = AttentionSample.Create(InputFamily.Causal, 1, 2, 256, 64, 17, Device.CPU);
        var changed = s with
        {
            Key = torch.cat([s.Key.narrow(2, 0, 128), Run.Randn(1, 2, 128, 64) * 5], 2),
            Value = torch.cat([s.Value.narrow(2, 0, 128), Run.Randn(1, 2, 128, 64) * 5], 2),
        };
        var before = AttentionResult.Compute(new Sage8Attention(options), s);
        var after = AttentionResult.Compute(new Sage8Attention(options), changed);
        Assert.Equal(0, (before.Output - after.Output).narrow(2, 0, 128).abs().amax().item());
        Assert.Equal(0, (before.DQuery - after.DQuery).narrow(2, 0, 128).abs().amax().item());
        Assert.True((before.Output - after.Output).narrow(2, 128, 128).abs().amax().item() > 0.1);

        var nonCausal = AttentionResult.Compute(new Sage8Attention(options), s with { Causal = false });
        Assert.True((nonCausal.Output - before.Output).narrow(2, 0, 128).abs().amax().item() > 0.1);
    }
}
