using System.Text;
using TrainSage.Data.Tokenizers;

namespace TrainSage.Data.Tests;

public class ByteAndCharTokenizerTests
{
    [Fact]
    public void Byte_tokens_are_the_utf8_bytes_and_round_trip()
    {
        var tokenizer = ByteTokenizer.Instance;
        var tokens = tokenizer.Encode(Samples.Multilingual);

        Assert.Equal(Encoding.UTF8.GetBytes(Samples.Multilingual).Select(b => (int)b), tokens);
        Assert.Equal(Samples.Multilingual, tokenizer.Decode(tokens));
        Assert.Equal(256, tokenizer.VocabSize);
    }

    [Fact]
    public void Byte_decode_names_an_id_outside_the_vocabulary()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ByteTokenizer.Instance.Decode([72, 300]));
        Assert.Contains("Token id 300 at position 1", error.Message);
        Assert.Contains("[0, 256)", error.Message);
    }

    [Fact]
    public void Char_vocabulary_is_the_sorted_characters_of_the_corpus()
    {
        var tokenizer = CharTokenizer.FromTexts(["hello", "world 🎉"]);

        Assert.Equal(" dehlorw🎉".EnumerateRunes(), tokenizer.Characters);
        Assert.Equal([3, 2, 4, 4, 5], tokenizer.Encode("hello"));
        Assert.Equal("world 🎉 hello", tokenizer.Decode(tokenizer.Encode("world 🎉 hello")));
    }

    [Fact]
    public void Char_encode_of_an_unseen_character_names_it()
    {
        var tokenizer = CharTokenizer.FromTexts(["abc"]);
        var error = Assert.Throws<ArgumentException>(() => tokenizer.Encode("abz"));
        Assert.Contains("U+007A 'z'", error.Message);
    }

    [Theory]
    [InlineData(TokenizerKind.Byte)]
    [InlineData(TokenizerKind.Char)]
    public void Saved_tokenizers_load_back_equal(TokenizerKind kind)
    {
        using var folder = new TempDirectory();
        var trainer = Tokenizer.CreateTrainer(kind, vocabSize: null);
        trainer.Add(Samples.Multilingual);
        var tokenizer = trainer.Build();
        tokenizer.Save(folder["tokenizer.json"]);

        var loaded = Tokenizer.Load(folder["tokenizer.json"]);

        Assert.Equal(kind, loaded.Kind);
        Assert.Equal(tokenizer.Fingerprint, loaded.Fingerprint);
        Assert.Equal(tokenizer.Encode(Samples.Multilingual), loaded.Encode(Samples.Multilingual));
    }

    [Fact]
    public void Fingerprints_differ_between_tokenizers()
    {
        var byteFingerprint = ByteTokenizer.Instance.Fingerprint;
        var charFingerprint = CharTokenizer.FromTexts(["abc"]).Fingerprint;

        Assert.Equal(64, byteFingerprint.Length);
        Assert.NotEqual(byteFingerprint, charFingerprint);
    }

    [Theory]
    [InlineData(TokenizerKind.Byte, 512, "fixed vocabulary of 256")]
    [InlineData(TokenizerKind.Char, 100, "set of characters in the corpus")]
    [InlineData(TokenizerKind.Bpe, null, "needs a vocab_size")]
    [InlineData(TokenizerKind.Bpe, 100, "at least the 256 byte tokens")]
    public void Vocab_sizes_that_cannot_apply_are_explained(TokenizerKind kind, int? vocabSize, string explanation)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => Tokenizer.CreateTrainer(kind, vocabSize));
        Assert.Contains(explanation, error.Message);
    }
}
