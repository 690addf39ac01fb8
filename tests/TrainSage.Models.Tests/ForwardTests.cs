namespace TrainSage.Models.Tests;

public class ForwardTests
{
    [Theory]
    [InlineData(ModelFlavour.Gpt2)]
    [InlineData(ModelFlavour.Llama)]
    public void Logits_and_loss_have_the_expected_shapes(ModelFlavour flavour)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1);
        using var model = new GPT(TinyModels.For(flavour));
        var idx = TinyModels.Tokens(TinyModels.RandomIds(2 * 12, 37, seed: 1), batch: 2);
        var logits = model.forward(idx);
        Assert.Equal([2L, 12L, 37L], logits.shape);
        Assert.Equal(ScalarType.Float32, logits.dtype);
        var shorter = model.forward(idx.narrow(1, 0, 5));
        Assert.Equal([2L, 5L, 37L], shorter.shape);

        var loss = model.loss(idx, TinyModels.Tokens(TinyModels.RandomIds(2 * 12, 37, seed: 2), batch: 2));
        Assert.Empty(loss.shape);
        // Small init gives near-uniform predictions: the loss starts close to ln(vocab).
        Assert.InRange(loss.item(), Math.Log(37) - 0.3, Math.Log(37) + 0.3);
    }

    [Theory]
    [InlineData(ModelFlavour.Gpt2)]
    [InlineData(ModelFlavour.Llama)]
    public void Changing_a_later_token_leaves_earlier_logits_unchanged(ModelFlavour flavour)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(2);
        using var model = new GPT(TinyModels.For(flavour));
        var ids = TinyModels.RandomIds(12, 37, seed: 3);
        const int t = 6;
        var changed = (long[])ids.Clone();
        changed[t + 1] = (changed[t + 1] + 5) % 37;
        var before = model.forward(TinyModels.Tokens(ids, 1));
        var after = model.forward(TinyModels.Tokens(changed, 1));
        Assert.True(before.narrow(1, 0, t + 1).allclose(after.narrow(1, 0, t + 1), rtol: 0, atol: 1e-6));
        Assert.False(before.narrow(1, t + 1, 1).allclose(after.narrow(1, t + 1, 1), rtol: 0, atol: 1e-4));
    }

    // Intermediate activations are freed inside forward, so a training step leaves only what it returns in the caller's scope.
    [Theory]
    [InlineData(ModelFlavour.Gpt2)]
    [InlineData(ModelFlavour.Llama)]
    public void Forward_and_loss_leave_only_their_results_in_the_callers_scope(ModelFlavour flavour)
    {
        using var model = new GPT(TinyModels.For(flavour) with { Dropout = 0.1 });
        var liveBefore = torch.live_tensors();
        using (var scope = torch.NewDisposeScope())
        {
            var idx = TinyModels.Tokens(TinyModels.RandomIds(2 * 12, 37, seed: 11), 2);
            model.loss(idx, idx).backward();
            model.forward(idx);
            Assert.Equal(3, scope.Count);
        }
        Assert.Equal(liveBefore, torch.live_tensors());
    }

    [Fact]
    public void Loss_ignores_targets_of_minus_one()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        using var model = new GPT(TinyModels.Gpt2);
        var idx = TinyModels.Tokens(TinyModels.RandomIds(8, 37, seed: 4), 1);
        var targets = TinyModels.RandomIds(8, 37, seed: 5);
        var masked = (long[])targets.Clone();
        for (var i = 4; i < 8; i++) masked[i] = -1;
        var logits = model.forward(idx).view(8, 37);
        var firstHalf = torch.nn.functional.cross_entropy(logits.narrow(0, 0, 4), torch.tensor(targets[..4]));
        Assert.Equal(firstHalf.item(), model.loss(idx, TinyModels.Tokens(masked, 1)).item(), tolerance: 1e-6);
    }

    [Fact]
    public void Bad_inputs_are_rejected_with_the_reason()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new GPT(TinyModels.Gpt2);
        var tooLong = torch.zeros([1, 13], ScalarType.Int64);
        Assert.Contains("block_size is 12", Assert.Throws<ArgumentException>(() => model.forward(tooLong)).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => model.forward(torch.zeros([1, 4]))).Message);
        var idx = torch.zeros([2, 4], ScalarType.Int64);
        Assert.Contains("shape of idx", Assert.Throws<ArgumentException>(() => model.loss(idx, torch.zeros([2, 5], ScalarType.Int64))).Message);
    }

    [Fact]
    public void Bfloat16_compute_keeps_fp32_parameters_and_outputs_close_to_fp32()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(4);
        using var model = new GPT(TinyModels.Llama);
        var idx = TinyModels.Tokens(TinyModels.RandomIds(2 * 12, 37, seed: 6), 2);
        var exact = model.forward(idx);
        model.compute_dtype = ScalarType.BFloat16;
        var mixed = model.forward(idx);
        Assert.Equal(ScalarType.Float32, mixed.dtype);
        Assert.False(mixed.allclose(exact, rtol: 0, atol: 0)); // the matmuls really ran in bf16
        var error = (mixed - exact).abs().amax().item() / exact.abs().amax().item();
        Assert.InRange(error, 0, 0.05);

        model.loss(idx, idx).backward();
        Assert.All(model.parameters(), p =>
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.Equal(ScalarType.Float32, p.grad!.dtype);
        });
        Assert.Throws<ArgumentException>(() => model.compute_dtype = ScalarType.Float16);
    }
}
