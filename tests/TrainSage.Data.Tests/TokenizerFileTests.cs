using TrainSage.Data.Tokenizers;

namespace TrainSage.Data.Tests;

public class TokenizerFileTests
{
    [Fact]
    public void A_missing_tokenizer_file_says_how_to_create_it()
    {
        using var folder = new TempDirectory();
        var error = Assert.Throws<FileNotFoundException>(() => Tokenizer.Load(folder["tokenizer.json"]));
        Assert.Contains(folder["tokenizer.json"], error.Message);
        Assert.Contains("trainsage data prepare", error.Message);
    }

    [Fact]
    public void An_unknown_kind_lists_the_allowed_kinds()
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            Tokenizer.FromJson("""{"format_version": 1, "kind": "wordpiece", "vocab_size": 3}""", "my-tokenizer.json"));
        Assert.Contains("my-tokenizer.json", error.Message);
        Assert.Contains("Allowed: byte, char, bpe", error.Message);
    }

    [Fact]
    public void A_vocab_size_that_contradicts_the_merges_is_rejected()
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            Tokenizer.FromJson("""{"format_version": 1, "kind": "bpe", "vocab_size": 300, "merges": ["97 98"]}"""));
        Assert.Contains("vocab_size says 300", error.Message);
    }

    [Fact]
    public void A_merge_of_ids_that_do_not_exist_yet_is_rejected()
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            Tokenizer.FromJson("""{"format_version": 1, "kind": "bpe", "vocab_size": 257, "merges": ["97 400"]}"""));
        Assert.Contains("must be < 256", error.Message);
    }
}
