namespace TrainSage.Data.Tokenizers;

/// <summary>Builds a tokenizer from text streamed through <see cref="Add"/> (one document at a time).</summary>
public interface ITokenizerTrainer
{
    void Add(string text);

    ITokenizer Build();
}
