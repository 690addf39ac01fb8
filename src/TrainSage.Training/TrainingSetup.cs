using TrainSage.Data.Datasets;
using TrainSage.Data.Preparation;
using TrainSage.Models;
using TrainSage.Torch;
using TrainSage.Training.Recipes;

namespace TrainSage.Training;

/// <summary>Resolves what a recipe needs before training: the device and the dataset (prepared on first use).</summary>
public static class TrainingSetup
{
    /// <summary>cpu, or cuda:local_rank for "cuda" (each rank binds its own GPU).</summary>
    public static Device DeviceFor(Recipe recipe, int localRank)
    {
        if (recipe.Device == "cpu") return Device.CPU;
        if (!torch.cuda.is_available())
            throw new InvalidOperationException("the recipe asks for device cuda, but this libtorch sees no CUDA device; run on a GPU machine (scripts/gpu/run.sh) or --set device=cpu");
        var count = torch.cuda.device_count();
        if (localRank >= count)
            throw new InvalidOperationException($"local rank {localRank} has no GPU of its own: this machine has {count}; launch at most {count} ranks per machine");
        // The "flash" backend is the BF16 FlashAttention baseline: keep libtorch from choosing cuDNN or
        // memory-efficient kernels instead (math stays as the fallback for shapes flash does not take).
        torch.nn.functional.sdpa_enable_backends(flash: true, mem_efficient: false, math: true, cudnn: false);
        return Device.CUDA(localRank);
    }

    /// <summary>Opens the recipe's dataset, preparing it from data.inputs when the folder has no dataset yet.</summary>
    public static TokenDataset OpenDataset(LoadedRecipe loaded, Action<string> log)
    {
        var data = loaded.Recipe.Data;
        var folder = loaded.Resolve(data.Dataset);
        if (!File.Exists(Path.Combine(folder, DatasetManifest.FileName)))
        {
            if (data.Inputs.Count == 0)
                throw new FileNotFoundException(
                    $"no dataset at {folder} (no {DatasetManifest.FileName}); run `trainsage data prepare` or list data.inputs in the recipe to prepare it on first use");
            log($"preparing dataset {folder} from {string.Join(", ", data.Inputs)}");
            new DatasetPreparer(log).Prepare(new DatasetPrepareOptions(data.Inputs, folder, data.Tokenizer, data.VocabSize, data.ValFraction,
                loaded.Recipe.Seed, data.JsonlField, data.TokenizerFile is { } file ? loaded.Resolve(file) : null, BaseDirectory: loaded.BaseDirectory));
        }
        var dataset = TokenDataset.Open(folder);
        if (dataset.Tokenizer.VocabSize > loaded.Recipe.Model.VocabSize)
        {
            dataset.Dispose();
            throw new RecipeException("model.vocab_size",
                $"the dataset's tokenizer has {dataset.Tokenizer.VocabSize} tokens but the model only {loaded.Recipe.Model.VocabSize}; raise model.vocab_size");
        }
        return dataset;
    }

    /// <summary>Architecture fields a checkpoint and a recipe must agree on to share weights.</summary>
    public static void CheckSameArchitecture(ModelConfig checkpoint, ModelConfig recipe)
    {
        (string Field, object? A, object? B)[] fields =
        [
            ("flavour", checkpoint.Flavour, recipe.Flavour), ("vocab_size", checkpoint.VocabSize, recipe.VocabSize),
            ("n_layer", checkpoint.NLayer, recipe.NLayer), ("n_head", checkpoint.NHead, recipe.NHead),
            ("n_kv_head", checkpoint.KvHeads, recipe.KvHeads), ("n_embd", checkpoint.NEmbd, recipe.NEmbd),
            ("block_size", checkpoint.BlockSize, recipe.BlockSize), ("bias", checkpoint.Bias, recipe.Bias),
            ("tie_embeddings", checkpoint.TiedEmbeddings, recipe.TiedEmbeddings), ("qk_norm", checkpoint.QkNorm, recipe.QkNorm),
            ("mlp_hidden", checkpoint.MlpHiddenSize, recipe.MlpHiddenSize),
        ];
        foreach (var (field, a, b) in fields)
            if (!Equals(a, b))
                throw new RecipeException($"model.{field}",
                    $"the checkpoint was trained with {field} = {a} but the recipe says {b}; fine-tuning needs the same architecture");
    }
}
