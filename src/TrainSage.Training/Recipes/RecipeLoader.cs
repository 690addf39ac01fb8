using System.Security.Cryptography;
using System.Text;
using TrainSage.Data.Tokenizers;
using TrainSage.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace TrainSage.Training.Recipes;

/// <summary>A recipe bound and validated, with its fully resolved YAML (what checkpoints store) and that YAML's hash.</summary>
public sealed record LoadedRecipe(Recipe Recipe, string ResolvedYaml, string Hash, string BaseDirectory)
{
    /// <summary>A path from the recipe, relative to the recipe file's folder.</summary>
    public string Resolve(string path) => Path.GetFullPath(Path.Combine(BaseDirectory, path));

    public string RunDirectory => Resolve(Path.Combine(Recipe.OutDir, Recipe.Name));
}

public static class RecipeLoader
{
    /// <summary>Reads a recipe file, applies `--set key=value` overrides, binds and validates it.</summary>
    public static LoadedRecipe Load(string path, IEnumerable<string>? overrides = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"recipe '{path}' does not exist; recipes live under recipes/<experiment>/", path);
        return Parse(File.ReadAllText(path), Path.GetDirectoryName(Path.GetFullPath(path))!, overrides);
    }

    public static LoadedRecipe Parse(string yaml, string baseDirectory, IEnumerable<string>? overrides = null)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new RecipeException("(file)", $"not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
        }
        var root = stream.Documents.Count == 0 ? new YamlMappingNode() : stream.Documents[0].RootNode;
        if (root is not YamlMappingNode mapping) throw new RecipeException("(file)", "a recipe is a YAML mapping of sections (model, data, training, ...)");
        foreach (var assignment in overrides ?? []) ApplyOverride(mapping, assignment);

        var recipe = RecipeBinder.Bind<Recipe>(mapping);
        Validate(recipe);
        var resolved = RecipeWriter.ToYaml(recipe);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(resolved)));
        return new LoadedRecipe(recipe, resolved, hash, baseDirectory);
    }

    /// <summary>Applies "a.b.c=value" to the tree; the value is read as YAML (numbers, lists, names).</summary>
    private static void ApplyOverride(YamlMappingNode root, string assignment)
    {
        var eq = assignment.IndexOf('=');
        if (eq <= 0) throw new RecipeException(assignment, "an override is written key=value, e.g. --set training.max_steps=200");
        var keys = assignment[..eq].Trim().Split('.');
        var value = new YamlStream();
        value.Load(new StringReader(assignment[(eq + 1)..]));
        var node = root;
        foreach (var key in keys[..^1])
        {
            var keyNode = new YamlScalarNode(key);
            if (!node.Children.TryGetValue(keyNode, out var child) || child is not YamlMappingNode)
                node.Children[keyNode] = child = new YamlMappingNode();
            node = (YamlMappingNode)child;
        }
        node.Children[new YamlScalarNode(keys[^1])] = value.Documents.Count == 0 ? new YamlScalarNode("") : value.Documents[0].RootNode;
    }

    private static void Validate(Recipe r)
    {
        try
        {
            r.Model.Validate();
        }
        catch (InvalidModelConfigException e)
        {
            throw new RecipeException($"model.{e.Field}", e.Message);
        }
        Check(!string.IsNullOrWhiteSpace(r.OutDir), "out_dir", "set the folder that run folders are made in (e.g. runs)");
        Check(r.Device is "cpu" or "cuda", "device", $"'{r.Device}' is not allowed; allowed values: cpu, cuda");
        Check(!string.IsNullOrWhiteSpace(r.Name) && r.Name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0, "name", "must be a plain folder name");
        Check(!string.IsNullOrWhiteSpace(r.Data.Dataset), "data.dataset", "set the dataset folder (train/val shards and tokenizer.json)");
        Check(r.Data.ValFraction is > 0 and < 1, "data.val_fraction", "must be between 0 and 1");
        Check(r.Data.Tokenizer != TokenizerKind.Byte || r.Data.VocabSize is null or 256, "data.vocab_size", "the byte tokenizer has vocab_size 256");
        Check(r.Data.Tokenizer != TokenizerKind.Bpe || r.Data.VocabSize > 256, "data.vocab_size", "set the BPE vocabulary size (more than 256)");
        Check(r.Data.VocabSize is null || r.Data.VocabSize <= r.Model.VocabSize, "model.vocab_size", $"must be at least the tokenizer's vocab_size ({r.Data.VocabSize})");
        var t = r.Training;
        Check(t.MaxSteps >= 1, "training.max_steps", "must be at least 1");
        Check(t.BatchSize >= 1, "training.batch_size", "must be at least 1");
        Check(t.GradAccum >= 1 && t.BatchSize % t.GradAccum == 0, "training.grad_accum", $"must divide batch_size ({t.BatchSize})");
        Check(t.SeqLen is null || (t.SeqLen >= 1 && t.SeqLen <= r.Model.BlockSize), "training.seq_len", $"must be between 1 and model.block_size ({r.Model.BlockSize})");
        Check(t.GradClip >= 0, "training.grad_clip", "must be 0 (off) or positive");
        Check(t.LogInterval >= 1, "training.log_interval", "must be at least 1");
        var o = r.Optimizer;
        Check(o.Lr > 0, "optimizer.lr", "must be positive");
        Check(o.MinLr >= 0 && o.MinLr <= o.Lr, "optimizer.min_lr", $"must be between 0 and lr ({o.Lr})");
        Check(o.WarmupSteps >= 0, "optimizer.warmup_steps", "must be 0 or more");
        Check(o.Beta1 is >= 0 and < 1, "optimizer.beta1", "must be in [0, 1)");
        Check(o.Beta2 is >= 0 and < 1, "optimizer.beta2", "must be in [0, 1)");
        Check(o.WeightDecay >= 0, "optimizer.weight_decay", "must be 0 or more");
        Check(r.Eval.Interval >= 0 && r.Eval.Batches >= 1, "eval", "interval must be 0 or more and batches at least 1");
        Check(r.Checkpoint.Interval >= 0, "checkpoint.interval", "must be 0 (only at the end) or more");
        Check(r.Checkpoint.KeepLast >= 1, "checkpoint.keep_last", "must be at least 1");
        Check(r.Parallel.BucketMb > 0, "parallel.bucket_mb", "must be positive");
    }

    private static void Check(bool ok, string key, string message)
    {
        if (!ok) throw new RecipeException(key, message);
    }
}
