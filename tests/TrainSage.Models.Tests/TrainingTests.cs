using TrainSage.Torch.Optim;

namespace TrainSage.Models.Tests;

public class TrainingTests
{
    [Theory]
    [InlineData(ModelFlavour.Gpt2)]
    [InlineData(ModelFlavour.Llama)]
    public void A_tiny_model_memorises_a_fixed_batch(ModelFlavour flavour)
    {
        torch.manual_seed(9);
        var config = TinyModels.For(flavour) with { NEmbd = 32, Dropout = 0.1 };
        using var model = new GPT(config);
        using var optimizer = new AdamW(model.parameter_groups().ToParamGroups(weight_decay: 0.1), lr: 1e-2);
        var ids = TinyModels.RandomIds(4 * 13, 37, seed: 10);
        using var batch = torch.tensor(ids, 4, 13);
        using var idx = batch.narrow(1, 0, 12);
        using var targets = batch.narrow(1, 1, 12);
        double first = 0, last = 0;
        for (var step = 0; step < 100; step++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var loss = model.loss(idx, targets);
            loss.backward();
            optimizer.step();
            last = loss.item();
            if (step == 0) first = last;
        }
        Assert.InRange(first, 3.2, 4.0); // about ln(37) = 3.61 at init
        Assert.True(last < 0.3, $"loss fell only from {first:F3} to {last:F3}");
    }
}
