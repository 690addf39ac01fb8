using System.Collections;
using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace TrainSage.Training.Recipes;

/// <summary>Writes configuration records as YAML with every value resolved: the inverse of <see cref="RecipeBinder"/>.</summary>
public static class RecipeWriter
{
    public static string ToYaml(object record)
    {
        var stream = new YamlStream(new YamlDocument(ToNode(record)));
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        stream.Save(writer, assignAnchors: false);
        return writer.ToString().TrimEnd('.', '\n', '\r') + "\n";
    }

    private static YamlNode ToNode(object? value) => value switch
    {
        null => new YamlScalarNode("null"),
        string s => new YamlScalarNode(s) { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted },
        bool b => new YamlScalarNode(b ? "true" : "false"),
        Enum e => new YamlScalarNode(RecipeBinder.SnakeCase(e.ToString())),
        IFormattable f => new YamlScalarNode(f.ToString(null, CultureInfo.InvariantCulture)),
        IDictionary d => new YamlMappingNode(d.Keys.Cast<object>().OrderBy(k => k.ToString(), StringComparer.Ordinal)
            .Select(k => new KeyValuePair<YamlNode, YamlNode>(ToNode(k), ToNode(d[k])))),
        IEnumerable list => new YamlSequenceNode(list.Cast<object?>().Select(ToNode)),
        _ => new YamlMappingNode(RecipeBinder.Settable(value.GetType())
            .Select(p => new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode(RecipeBinder.SnakeCase(p.Name)), ToNode(p.GetValue(value))))),
    };
}
