namespace TrainSage.Models.Tests;

/// <summary>Small configurations that run in milliseconds on a CPU.</summary>
internal static class TinyModels
{
    public static readonly ModelConfig Gpt2 = new()
    {
        Flavour = ModelFlavour.Gpt2, VocabSize = 37, NLayer = 2, NHead = 2, NEmbd = 16, BlockSize = 12, Bias = true,
    };

    public static readonly ModelConfig Llama = new()
    {
        Flavour = ModelFlavour.Llama, VocabSize = 37, NLayer = 2, NHead = 4, NKvHead = 2, NEmbd = 32, BlockSize = 12, QkNorm = true,
    };

    public static ModelConfig For(ModelFlavour flavour) => flavour == ModelFlavour.Gpt2 ? Gpt2 : Llama;

    public static Tensor Tokens(long[] ids, long batch) => torch.tensor(ids, batch, ids.Length / batch);

    public static long[] RandomIds(int count, int vocab, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (long)random.Next(vocab)).ToArray();
    }

    public static Dictionary<string, Tensor> Parameters(GPT model) => model.named_parameters().ToDictionary(p => p.Name, p => p.Parameter);
}
