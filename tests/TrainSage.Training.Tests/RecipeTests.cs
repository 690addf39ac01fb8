using TrainSage.Models;
using TrainSage.Training.Recipes;

namespace TrainSage.Training.Tests;

public class RecipeTests
{
    private const string Minimal = """
        name: t
        model: {n_layer: 2, n_head: 2, n_embd: 32, block_size: 16, vocab_size: 64}
        data: {dataset: data/x}
        """;

    private static LoadedRecipe Parse(string yaml, params string[] overrides) => RecipeLoader.Parse(yaml, "/tmp", overrides);

    [Fact]
    public void A_typo_names_the_key_and_the_allowed_keys()
    {
        var ex = Assert.Throws<RecipeException>(() => Parse(Minimal + "\ntraining: {max_stepz: 3}\n"));
        Assert.Equal("training.max_stepz", ex.Key);
        Assert.Contains("max_steps", ex.Message);
        Assert.Contains("batch_size", ex.Message);
    }

    [Fact]
    public void A_wrong_type_or_value_names_the_key_and_what_is_allowed()
    {
        var ex = Assert.Throws<RecipeException>(() => Parse(Minimal + "\ntraining: {max_steps: fast}\n"));
        Assert.Equal("training.max_steps", ex.Key);
        Assert.Contains("'fast' is not an integer", ex.Message);

        ex = Assert.Throws<RecipeException>(() => Parse(Minimal, "model.flavour=gpt3"));
        Assert.Contains("gpt2, llama", ex.Message);

        ex = Assert.Throws<RecipeException>(() => Parse(Minimal, "model.attention.default=fp4"));
        Assert.Equal("model.attention.default", ex.Key);
        Assert.Contains("sage8, flash, math", ex.Message);

        ex = Assert.Throws<RecipeException>(() => Parse(Minimal, "training.batch_size=6", "training.grad_accum=4"));
        Assert.Equal("training.grad_accum", ex.Key);

        ex = Assert.Throws<RecipeException>(() => Parse(Minimal, "model.attention.sage8.vdo_scaling=per_row"));
        Assert.Contains("per_block_and_channel, per_block", ex.Message);

        ex = Assert.Throws<RecipeException>(() => Parse(Minimal, "model.attention.sage8.block_size=96"));
        Assert.Equal("model.attention.sage8.block_size", ex.Key);

        ex = Assert.Throws<RecipeException>(() => Parse(Minimal, "model.n_head=3"));
        Assert.Equal("model.n_embd", ex.Key);
    }

    [Fact]
    public void Overrides_apply_and_the_resolved_recipe_round_trips()
    {
        var loaded = Parse(Minimal, "training.max_steps=7", "model.attention.layers.0=flash", "optimizer.lr=3e-4",
            "model.attention.sage8.block_size=64", "model.attention.sage8.vdo_scaling=per_block");
        Assert.Equal(7, loaded.Recipe.Training.MaxSteps);
        Assert.Equal("flash", loaded.Recipe.Model.Attention.For(0));
        Assert.Equal("math", loaded.Recipe.Model.Attention.For(1));
        Assert.Equal(3e-4, loaded.Recipe.Optimizer.Lr);
        Assert.Equal(64, loaded.Recipe.Model.Attention.Sage8.BlockSize);
        Assert.Equal(TrainSage.Attention.VdoScaling.PerBlock, loaded.Recipe.Model.Attention.Sage8.VdoScaling);
        var again = Parse(loaded.ResolvedYaml);
        Assert.Equal(loaded.Recipe.Model, again.Recipe.Model);
        Assert.Equal(loaded.Recipe.Training, again.Recipe.Training);
        Assert.Equal(loaded.Hash, again.Hash);
        Assert.NotEqual(loaded.Hash, Parse(Minimal).Hash);
    }

    [Fact]
    public void Invalid_yaml_and_missing_files_are_clear()
    {
        Assert.Contains("not valid YAML", Assert.Throws<RecipeException>(() => Parse("model: [unclosed")).Message);
        Assert.Throws<FileNotFoundException>(() => RecipeLoader.Load("/nonexistent/recipe.yaml"));
    }

    [Theory]
    [InlineData("shakespeare-char-cpu")]
    [InlineData("shakespeare-char-gpu")]
    [InlineData("llama-char-cpu")]
    [InlineData("gpt2-small-throughput")]
    public void Shipped_recipes_load(string name)
    {
        var loaded = RecipeLoader.Load(Path.Combine(RepoPaths.Root, "recipes", name, "recipe.yaml"));
        Assert.Equal(name, loaded.Recipe.Name);
        Assert.Equal(name.StartsWith("llama") ? ModelFlavour.Llama : ModelFlavour.Gpt2, loaded.Recipe.Model.Flavour);
    }
}

internal static class RepoPaths
{
    /// <summary>The repository root: the folder above tests/ that holds TrainSage.sln.</summary>
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TrainSage.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new DirectoryNotFoundException("TrainSage.sln not found above the test binaries");
        }
    }
}
