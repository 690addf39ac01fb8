using System.Runtime.InteropServices;
using System.Text.Json;
using TrainSage.Data.Tokenizers;
using TrainSage.Formats.Checkpoints;
using TrainSage.Formats.Safetensors;
using TrainSage.Models;
using TrainSage.Torch;
using TrainSage.Torch.Optim;
using TrainSage.Training.Recipes;

namespace TrainSage.Training.Checkpoints;

/// <summary>
/// A checkpoint folder: model.safetensors (fp32 weights under Hugging Face names), optimizer.safetensors (AdamW
/// moments by our parameter names), trainer.json, recipe.yaml, tokenizer.json, and manifest.json with every
/// file's SHA-256.
/// </summary>
public static class TrainingCheckpoint
{
    public const string ModelFile = "model.safetensors", OptimizerFile = "optimizer.safetensors";
    public const string StateFile = "trainer.json", RecipeFile = "recipe.yaml", TokenizerFile = "tokenizer.json";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>Writes the files of a checkpoint into <paramref name="folder"/> (the atomic folder's temporary copy).</summary>
    public static void Write(string folder, GPT model, AdamW optimizer, TrainerState state, string resolvedRecipe, ITokenizer tokenizer)
    {
        tokenizer.Save(Path.Combine(folder, TokenizerFile));
        using var scope = torch.NewDisposeScope();
        var weights = new List<SafetensorsTensor>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            var (hfName, tensor) = HuggingFaceNames.ToHuggingFace(name, parameter.detach());
            weights.Add(Fp32(hfName, tensor));
        }
        SafetensorsWriter.Write(Path.Combine(folder, ModelFile), weights, new Dictionary<string, string> { ["format"] = "pt" });

        var moments = new List<SafetensorsTensor>();
        long step = 0;
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (optimizer.get_state(parameter) is not { } s) continue;
            step = s.Step;
            moments.Add(Fp32($"{name}.exp_avg", s.ExpAvg));
            moments.Add(Fp32($"{name}.exp_avg_sq", s.ExpAvgSq));
        }
        SafetensorsWriter.Write(Path.Combine(folder, OptimizerFile), moments, new Dictionary<string, string> { ["adamw_step"] = step.ToString() });
        File.WriteAllText(Path.Combine(folder, StateFile), JsonSerializer.Serialize(state, Json));
        File.WriteAllText(Path.Combine(folder, RecipeFile), resolvedRecipe);
    }

    private static SafetensorsTensor Fp32(string name, Tensor tensor)
    {
        var data = tensor.ToArray<float>();
        return SafetensorsTensor.FromBytes(name, "F32", tensor.shape, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
    }

    /// <summary>Checks the manifest's checksums; a corrupt or incomplete folder is an error naming the bad files.</summary>
    public static void Verify(string folder) => CheckpointManifest.Verify(folder);

    public static TrainerState ReadState(string folder) =>
        JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(folder, StateFile)), Json)
        ?? throw new InvalidDataException($"{Path.Combine(folder, StateFile)} is empty");

    public static string ReadRecipe(string folder) => File.ReadAllText(Path.Combine(folder, RecipeFile));

    /// <summary>
    /// Token ids only mean the same thing under the same tokenizer: refuses data whose tokenizer differs from the
    /// one the checkpoint was trained with, and says how to prepare matching data.
    /// </summary>
    public static void CheckSameTokenizer(string folder, ITokenizer dataTokenizer)
    {
        var path = Path.Combine(folder, TokenizerFile);
        var trained = Tokenizer.Load(path);
        if (trained.Fingerprint != dataTokenizer.Fingerprint)
            throw new RecipeException("data.dataset",
                $"the dataset was tokenized with {dataTokenizer.Name} but the checkpoint {folder} was trained with {trained.Name}; " +
                $"prepare the data with that tokenizer (recipe data.tokenizer_file: {path}, or `trainsage data prepare --tokenizer-file {path}`)");
    }

    /// <summary>Loads weights into <paramref name="model"/> (shapes must match: the caller checked the architecture).</summary>
    public static void LoadModel(string folder, GPT model)
    {
        using var scope = torch.NewDisposeScope();
        using var file = SafetensorsFile.Open(Path.Combine(folder, ModelFile));
        var state = new Dictionary<string, Tensor>();
        foreach (var entry in file.Entries)
        {
            if (HuggingFaceNames.FromHuggingFace(entry.Name, ReadFp32(file, entry)) is { } mapped) state[mapped.Name] = mapped.Tensor;
        }
        model.load_state_dict(state);
    }

    /// <summary>Restores AdamW moments for every parameter that has them in the checkpoint.</summary>
    public static void LoadOptimizer(string folder, GPT model, AdamW optimizer)
    {
        using var scope = torch.NewDisposeScope();
        using var file = SafetensorsFile.Open(Path.Combine(folder, OptimizerFile));
        var step = long.Parse(file.Metadata["adamw_step"]);
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!file.TryGetEntry($"{name}.exp_avg", out var avg) || !file.TryGetEntry($"{name}.exp_avg_sq", out var avgSq)) continue;
            var device = parameter.device;
            optimizer.set_state(parameter, new AdamWParamState(step, ReadFp32(file, avg).to(device), ReadFp32(file, avgSq).to(device)));
        }
    }

    private static Tensor ReadFp32(SafetensorsFile file, SafetensorsEntry entry)
    {
        if (entry.DType != "F32") throw new InvalidDataException($"{file.Path}: tensor '{entry.Name}' is {entry.DType}; TrainSage checkpoints hold F32");
        return torch.tensor(MemoryMarshal.Cast<byte, float>(file.GetBytes(entry.Name)), entry.Shape.ToArray());
    }
}
