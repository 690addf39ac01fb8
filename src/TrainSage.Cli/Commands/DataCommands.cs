using System.CommandLine;
using TrainSage.Data.Preparation;
using TrainSage.Data.Tokenizers;

namespace TrainSage.Cli.Commands;

/// <summary>`trainsage data prepare`: text files to token shards and a tokenizer.</summary>
public static class DataCommands
{
    public static Command Create()
    {
        var inputs = new Option<string[]>("--input") { Description = "Text files or globs (.txt .md .rst .jsonl); repeatable", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--output") { Description = "Dataset folder to write", Required = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "byte, char or bpe", DefaultValueFactory = _ => "byte" };
        var vocab = new Option<int?>("--vocab-size") { Description = "BPE vocabulary size" };
        var valFraction = new Option<double>("--val-fraction") { Description = "Share held out for validation", DefaultValueFactory = _ => 0.1 };
        var field = new Option<string>("--text-field") { Description = "JSON field holding the text in .jsonl", DefaultValueFactory = _ => "text" };
        var tokenizerFile = new Option<string?>("--tokenizer-file") { Description = "Reuse an existing tokenizer.json (fine-tuning data)" };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 1337UL };
        var prepare = new Command("prepare", "Tokenize text files into train/val token shards.") { inputs, output, tokenizer, vocab, valFraction, field, tokenizerFile, seed };
        prepare.SetAction(parse =>
        {
            using var logger = Logging.Create(Logging.RankFromEnvironment(), logFile: null);
            try
            {
                var options = new DatasetPrepareOptions(parse.GetValue(inputs)!, parse.GetValue(output)!, TokenizerKindNames.Parse(parse.GetValue(tokenizer)!),
                    parse.GetValue(vocab), parse.GetValue(valFraction), parse.GetValue(seed), parse.GetValue(field)!, parse.GetValue(tokenizerFile));
                var manifest = new DatasetPreparer(m => logger.Information("{Message}", m)).Prepare(options);
                logger.Information("dataset ready in {Output}: {Tokenizer} tokenizer, vocabulary {Vocab}, {Train:N0} train and {Val:N0} validation tokens",
                    parse.GetValue(output), manifest.TokenizerKind, manifest.VocabSize, manifest.Train.Tokens, manifest.Val.Tokens);
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException)
            {
                logger.Error("{Message}", e.Message);
                return 2;
            }
        });
        return new Command("data", "Dataset tools.") { prepare };
    }
}
