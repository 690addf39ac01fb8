using TrainSage.Torch.Modules;

namespace TrainSage.Models;

/// <summary>Submodules named by their index (PyTorch's nn.ModuleList), so that names read h.0, h.1, ...</summary>
internal sealed class ModuleList<T> : Module where T : Module
{
    private readonly List<T> items = [];

    public ModuleList(IEnumerable<T> modules)
    {
        foreach (var module in modules) items.Add(register_module(items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module));
    }

    public IReadOnlyList<T> Items => items;
}
