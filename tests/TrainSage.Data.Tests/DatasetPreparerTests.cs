using TrainSage.Data.Datasets;
using TrainSage.Data.Preparation;
using TrainSage.Data.Shards;
using TrainSage.Data.Tokenizers;

namespace TrainSage.Data.Tests;

public class DatasetPreparerTests
{
    private static DatasetManifest Prepare(DatasetPrepareOptions options) => new DatasetPreparer().Prepare(options);

    private static string Decode(TokenDataset dataset, IReadOnlyList<TokenShard> shards) =>
        string.Concat(shards.Select(shard =>
        {
            var tokens = new int[shard.TokenCount];
            shard.CopyTo(0, tokens);
            return dataset.Tokenizer.Decode(tokens);
        }));

    [Fact]
    public void A_single_text_file_is_split_like_nanogpt_last_tenth_for_validation()
    {
        using var folder = new TempDirectory();
        var input = folder.Write("corpus/shakespeare.txt", Samples.Shakespeare);

        var manifest = Prepare(new DatasetPrepareOptions([input], folder["out"]));
        using var dataset = TokenDataset.Open(folder["out"]);

        var cut = (int)(Samples.Shakespeare.Length * 0.9);
        Assert.Equal("tail", manifest.SplitMethod);
        Assert.Equal(Samples.Shakespeare[..cut], Decode(dataset, dataset.Train));
        Assert.Equal(Samples.Shakespeare[cut..], Decode(dataset, dataset.Validation));
        Assert.Equal(["train.bin"], manifest.Train.Shards);
        Assert.Equal(["val.bin"], manifest.Val.Shards);
        Assert.Equal(TokenizerKind.Byte, dataset.Tokenizer.Kind);
    }

    [Fact]
    public void A_bpe_dataset_round_trips_its_text_in_fewer_tokens_than_bytes()
    {
        using var folder = new TempDirectory();
        folder.Write("a.txt", Samples.Shakespeare);
        folder.Write("b.md", Samples.Multilingual);

        var manifest = Prepare(new DatasetPrepareOptions(["*.txt", "*.md"], folder["out"], TokenizerKind.Bpe, VocabSize: 512,
            BaseDirectory: folder.Path));
        using var dataset = TokenDataset.Open(folder["out"]);

        Assert.Equal(512, dataset.Tokenizer.VocabSize);
        Assert.Equal(Samples.Shakespeare + "\n\n" + Samples.Multilingual, Decode(dataset, dataset.Train) + Decode(dataset, dataset.Validation));
        Assert.True(manifest.Train.Tokens + manifest.Val.Tokens < System.Text.Encoding.UTF8.GetByteCount(Samples.Shakespeare));
        Assert.Equal(dataset.Tokenizer.Fingerprint, dataset.Train[0].Header.TokenizerFingerprint);
    }

    [Fact]
    public void A_char_dataset_uses_the_characters_of_the_corpus()
    {
        using var folder = new TempDirectory();
        var input = folder.Write("tiny.txt", "to be or not to be\n");

        Prepare(new DatasetPrepareOptions([input], folder["out"], TokenizerKind.Char, ValFraction: 0.25));
        using var dataset = TokenDataset.Open(folder["out"]);

        Assert.Equal(" benort\n".Length, dataset.Tokenizer.VocabSize);
        Assert.Equal("to be or not", Decode(dataset, dataset.Train)[..12]);
    }

    [Fact]
    public void Jsonl_documents_come_from_the_configured_field_and_whole_documents_are_held_out()
    {
        using var folder = new TempDirectory();
        var documents = Enumerable.Range(0, 200).Select(i => $"Document number {i} says hello.").ToList();
        folder.Write("docs.jsonl", string.Join("\n", documents.Select(d => $$"""{"id": 1, "content": "{{d}}"}""")) + "\n\n");

        var manifest = Prepare(new DatasetPrepareOptions([folder["docs.jsonl"]], folder["out"], TextField: "content", Seed: 4));
        using var dataset = TokenDataset.Open(folder["out"]);

        Assert.Equal("documents", manifest.SplitMethod);
        Assert.Equal(200, manifest.Documents);
        var train = Decode(dataset, dataset.Train).Split("\n\n");
        var val = Decode(dataset, dataset.Validation).Split("\n\n");
        Assert.Equal(documents.Order(), train.Concat(val).Order());
        Assert.InRange(val.Length, 19, 21);
        // Held-out documents are chosen by the seed, not taken from the end.
        Assert.NotEqual(documents[^val.Length..], val);
    }

    [Fact]
    public void A_jsonl_line_without_the_text_field_names_the_file_line_and_fields()
    {
        using var folder = new TempDirectory();
        var input = folder.Write("docs.jsonl", "{\"text\": \"fine\"}\n{\"body\": \"oops\"}\n");

        var error = Assert.Throws<InvalidDataException>(() => Prepare(new DatasetPrepareOptions([input], folder["out"])));
        Assert.Contains($"{input}:2", error.Message);
        Assert.Contains("no \"text\" field (the line has \"body\")", error.Message);
    }

    [Fact]
    public void A_jsonl_line_that_is_not_json_names_its_line()
    {
        using var folder = new TempDirectory();
        var input = folder.Write("docs.jsonl", "{\"text\": \"fine\"}\n\n{not json}\n");

        var error = Assert.Throws<InvalidDataException>(() => Prepare(new DatasetPrepareOptions([input], folder["out"])));
        Assert.Contains($"{input}:3: not valid JSON", error.Message);
    }

    [Fact]
    public void Unsupported_files_and_unmatched_patterns_are_errors_before_anything_is_written()
    {
        using var folder = new TempDirectory();
        folder.Write("table.csv", "a,b\n");

        var unsupported = Assert.Throws<ArgumentException>(() =>
            Prepare(new DatasetPrepareOptions(["*"], folder["out"], BaseDirectory: folder.Path)));
        Assert.Contains("table.csv", unsupported.Message);
        Assert.Contains(".txt, .md, .rst, .jsonl", unsupported.Message);

        var unmatched = Assert.Throws<FileNotFoundException>(() =>
            Prepare(new DatasetPrepareOptions(["books/*.txt"], folder["out"], BaseDirectory: folder.Path)));
        Assert.Contains("'books/*.txt' matched no files", unmatched.Message);
        Assert.False(Directory.Exists(folder["out"]));
    }

    [Fact]
    public void Double_star_patterns_find_files_in_every_subfolder()
    {
        using var folder = new TempDirectory();
        folder.Write("docs/a.md", "alpha");
        folder.Write("docs/deep/er/b.md", "beta");
        folder.Write("docs/deep/c.txt", "gamma");

        var manifest = Prepare(new DatasetPrepareOptions(["docs/**/*.md"], folder["out"], BaseDirectory: folder.Path));

        Assert.Equal([folder["docs/a.md"], folder["docs/deep/er/b.md"]], manifest.Sources);
    }

    [Fact]
    public void Large_splits_are_written_as_several_shards_and_stale_shards_are_removed()
    {
        using var folder = new TempDirectory();
        var input = folder.Write("s.txt", Samples.Shakespeare);

        var sharded = Prepare(new DatasetPrepareOptions([input], folder["out"], MaxTokensPerShard: 2000));
        using (var dataset = TokenDataset.Open(folder["out"]))
        {
            Assert.Equal(["train-00000.bin", "train-00001.bin", "train-00002.bin"], sharded.Train.Shards);
            Assert.Equal(Samples.Shakespeare[..(int)(Samples.Shakespeare.Length * 0.9)], Decode(dataset, dataset.Train));
        }

        Prepare(new DatasetPrepareOptions([input], folder["out"]));
        Assert.Equal(["dataset.json", "tokenizer.json", "train.bin", "val.bin"],
            Directory.EnumerateFiles(folder["out"]).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Data_prepared_with_a_reused_tokenizer_matches_it_and_other_tokenizers_do_not()
    {
        using var folder = new TempDirectory();
        var pretraining = folder.Write("pre.txt", Samples.Shakespeare);
        var finetuning = folder.Write("fine.txt", Samples.Shakespeare[..2000]);
        Prepare(new DatasetPrepareOptions([pretraining], folder["pre"], TokenizerKind.Bpe, VocabSize: 400));
        var tokenizer = Tokenizer.Load(folder["pre/tokenizer.json"]);

        Prepare(new DatasetPrepareOptions([finetuning], folder["fine"], TokenizerKind.Bpe, TokenizerFile: folder["pre/tokenizer.json"]));
        Prepare(new DatasetPrepareOptions([finetuning], folder["bytes"]));

        using (TokenDataset.Open(folder["fine"], new DatasetOpenOptions(ExpectedTokenizerFingerprint: tokenizer.Fingerprint))) { }
        var error = Assert.Throws<TokenizerMismatchException>(() =>
            TokenDataset.Open(folder["bytes"], new DatasetOpenOptions(ExpectedTokenizerFingerprint: tokenizer.Fingerprint)));
        Assert.Contains(folder["bytes/train.bin"], error.Message);
    }

    [Fact]
    public void A_shard_copied_in_from_another_dataset_is_detected()
    {
        using var folder = new TempDirectory();
        var input = folder.Write("s.txt", Samples.Shakespeare);
        Prepare(new DatasetPrepareOptions([input], folder["bytes"]));
        Prepare(new DatasetPrepareOptions([input], folder["bpe"], TokenizerKind.Bpe, VocabSize: 300));
        File.Copy(folder["bpe/val.bin"], folder["bytes/val.bin"], overwrite: true);

        Assert.Throws<TokenizerMismatchException>(() => TokenDataset.Open(folder["bytes"]));
    }

    [Fact]
    public void Missing_manifest_and_missing_shards_say_to_prepare_again()
    {
        using var folder = new TempDirectory();
        var input = folder.Write("s.txt", Samples.Shakespeare);
        Directory.CreateDirectory(folder["empty"]);
        Prepare(new DatasetPrepareOptions([input], folder["out"]));
        File.Delete(folder["out/val.bin"]);

        var noManifest = Assert.Throws<FileNotFoundException>(() => TokenDataset.Open(folder["empty"]));
        Assert.Contains("dataset.json is missing", noManifest.Message);
        var noShard = Assert.Throws<ShardMissingException>(() => TokenDataset.Open(folder["out"]));
        Assert.Contains("val.bin", noShard.Message);
        Assert.Contains("trainsage data prepare", noShard.Message);
    }

    [Fact]
    public void A_reused_tokenizer_of_another_kind_is_an_error()
    {
        using var folder = new TempDirectory();
        var input = folder.Write("s.txt", Samples.Shakespeare);
        Prepare(new DatasetPrepareOptions([input], folder["bytes"]));

        var error = Assert.Throws<ArgumentException>(() => Prepare(new DatasetPrepareOptions([input], folder["out"], TokenizerKind.Bpe,
            TokenizerFile: folder["bytes/tokenizer.json"])));
        Assert.Contains("holds a byte tokenizer but the tokenizer kind is bpe", error.Message);
    }
}
