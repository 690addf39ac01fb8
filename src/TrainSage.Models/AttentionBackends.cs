namespace TrainSage.Models;

/// <summary>
/// The attention backend of every layer: <see cref="Default"/> for all, with per-layer overrides
/// (e.g. default sage8, layers 0 and 5 flash).
/// </summary>
public sealed record AttentionBackends
{
    /// <summary>The backend names a recipe may use.</summary>
    public static IReadOnlyList<string> Known => TrainSage.Attention.AttentionRegistry.Names;

    public string Default { get; init; } = "math";

    /// <summary>Layer index (0-based) to backend name, for the layers that differ from <see cref="Default"/>.</summary>
    public IReadOnlyDictionary<int, string> Layers { get; init; } = new Dictionary<int, string>();

    /// <summary>sage8's numerics choices for every sage8 layer (recipe key model.attention.sage8).</summary>
    public TrainSage.Attention.Sage8Options Sage8 { get; init; } = new();

    public string For(int layer) => Layers.TryGetValue(layer, out var name) ? name : Default;

    internal void Validate(int layerCount)
    {
        ModelConfig.Require(Sage8.BlockSize is 64 or 128, "attention.sage8.block_size", $"block_size = {Sage8.BlockSize} is not supported; allowed: 64, 128");
        ModelConfig.Require(Known.Contains(Default), "attention.default", $"'{Default}' is not an attention backend; allowed: {string.Join(", ", Known)}");
        foreach (var (layer, name) in Layers.OrderBy(l => l.Key))
        {
            ModelConfig.Require(layer >= 0 && layer < layerCount, "attention.layers",
                $"layer {layer} does not exist; the model has layers 0 to {layerCount - 1} (n_layer = {layerCount})");
            ModelConfig.Require(Known.Contains(name), $"attention.layers.{layer}",
                $"'{name}' is not an attention backend; allowed: {string.Join(", ", Known)}");
        }
    }

    // Value equality over the overrides' contents (a record compares dictionaries by reference), so that two
    // configurations read from the same recipe compare equal.
    public bool Equals(AttentionBackends? other) =>
        other is not null && Default == other.Default && Sage8 == other.Sage8 && Layers.Count == other.Layers.Count &&
        Layers.All(l => other.Layers.TryGetValue(l.Key, out var name) && name == l.Value);

    public override int GetHashCode() =>
        Layers.OrderBy(l => l.Key).Aggregate(HashCode.Combine(Default, Sage8), (hash, l) => HashCode.Combine(hash, l.Key, l.Value));

    // Prints the overrides themselves rather than the dictionary's type name (logs show the resolved recipe).
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Default = {Default}, Layers = {{ {string.Join(", ", Layers.OrderBy(l => l.Key).Select(l => $"{l.Key}: {l.Value}"))} }}");
        return true;
    }
}
