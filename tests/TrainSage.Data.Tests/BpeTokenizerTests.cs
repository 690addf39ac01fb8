using System.Text;
using TrainSage.Data.Tokenizers;

namespace TrainSage.Data.Tests;

public class BpeTokenizerTests
{
    private static BpeTokenizer Train(int vocabSize, params string[] texts)
    {
        var trainer = new BpeTrainer(vocabSize);
        foreach (var text in texts) trainer.Add(text);
        return trainer.Build();
    }

    [Fact]
    public void Merges_the_most_frequent_pair_first_and_stops_when_no_pair_repeats()
    {
        // Pieces "ab", " ab", " ab", " cd": (a,b) occurs 3 times, then (" ", ab) twice, every other pair once.
        var tokenizer = Train(1000, "ab ab ab cd");

        Assert.Equal([('a', 'b'), (' ', 256)], tokenizer.Merges.Select(m => (m.Left, m.Right)).ToArray());
        Assert.Equal(258, tokenizer.VocabSize);
        Assert.Equal([256, 257, 257, 32, 'c', 'd'], tokenizer.Encode("ab ab ab cd"));
    }

    [Fact]
    public void Ties_go_to_the_smallest_pair_of_ids()
    {
        // (" ", a), (a, b) and (x, y) each occur twice; after (" ", a) merges, (x, y) and (256, b) tie.
        var tokenizer = Train(1000, "xy xy ab ab");

        Assert.Equal([(' ', 'a'), ('x', 'y'), (256, 'b')], tokenizer.Merges.Select(m => (m.Left, m.Right)).ToArray());
    }

    [Fact]
    public void Stops_at_the_target_vocabulary()
    {
        Assert.Equal(300, Train(300, Samples.Shakespeare).VocabSize);
    }

    [Fact]
    public void Round_trips_the_training_text_and_unseen_non_ascii_text()
    {
        var tokenizer = Train(512, Samples.Shakespeare);

        Assert.Equal(Samples.Shakespeare, tokenizer.Decode(tokenizer.Encode(Samples.Shakespeare)));
        Assert.Equal(Samples.Multilingual, tokenizer.Decode(tokenizer.Encode(Samples.Multilingual)));
    }

    [Fact]
    public void Learns_multilingual_merges_that_round_trip()
    {
        var text = string.Concat(Enumerable.Repeat(Samples.Multilingual, 5));
        var tokenizer = Train(600, text);

        Assert.True(tokenizer.VocabSize > 256);
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void Compresses_shakespeare_well_below_one_token_per_byte()
    {
        var tokenizer = Train(512, Samples.Shakespeare);
        var tokens = tokenizer.Encode(Samples.Shakespeare).Length;
        var bytes = Encoding.UTF8.GetByteCount(Samples.Shakespeare);

        Assert.True(tokens < 0.6 * bytes, $"{tokens} tokens for {bytes} bytes");
    }

    [Fact]
    public void Training_is_deterministic_and_independent_of_document_order()
    {
        var lines = Samples.Shakespeare.Split('\n');
        var forward = Train(400, lines);
        var backward = Train(400, lines.Reverse().ToArray());

        Assert.Equal(forward.ToJson(), Train(400, lines).ToJson());
        Assert.Equal(forward.ToJson(), backward.ToJson());
    }

    [Fact]
    public void Saved_merges_load_back_to_the_same_encoding()
    {
        using var folder = new TempDirectory();
        var tokenizer = Train(400, Samples.Shakespeare);
        tokenizer.Save(folder["tokenizer.json"]);

        var loaded = Tokenizer.Load(folder["tokenizer.json"]);

        Assert.Equal(TokenizerKind.Bpe, loaded.Kind);
        Assert.Equal(400, loaded.VocabSize);
        Assert.Equal(tokenizer.Fingerprint, loaded.Fingerprint);
        Assert.Equal(tokenizer.Encode(Samples.Shakespeare), loaded.Encode(Samples.Shakespeare));
    }

    [Fact]
    public void Pretokenizer_pieces_cover_the_text_and_split_words_from_punctuation()
    {
        const string text = "Hello world's  end,42 🎉x\n";
        var pieces = new List<string>();
        foreach (var piece in Pretokenizer.Split(text)) pieces.Add(text.Substring(piece.Index, piece.Length));

        Assert.Equal(["Hello", " world", "'s", " ", " end", ",", "42", " 🎉", "x", "\n"], pieces);
    }
}
