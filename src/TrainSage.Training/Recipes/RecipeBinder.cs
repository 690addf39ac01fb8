using System.Collections;
using System.Globalization;
using System.Reflection;
using YamlDotNet.RepresentationModel;

namespace TrainSage.Training.Recipes;

/// <summary>A recipe error: <see cref="Key"/> is the dotted recipe key at fault, the message says how to fix it.</summary>
public sealed class RecipeException(string key, string message) : Exception($"recipe key '{key}': {message}")
{
    public string Key { get; } = key;
}

/// <summary>
/// Binds a YAML tree onto configuration records: snake_case keys map to PascalCase init properties. Unknown
/// keys and values of the wrong type are errors naming the key and what is allowed.
/// </summary>
public static class RecipeBinder
{
    public static T Bind<T>(YamlNode node, string path = "") where T : new() => (T)Bind(typeof(T), node, path)!;

    private static object? Bind(Type type, YamlNode node, string path)
    {
        // A plain null, ~ or empty value is null for optional values and strings (a quoted "null" is a string).
        var isNull = node is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted), Value: null or "" or "~" or "null" };
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null) return isNull ? null : Bind(underlying, node, path);
        if (type == typeof(string) && isNull) return null;
        if (type == typeof(string)) return Scalar(node, path, "a string");
        if (type == typeof(bool)) return ParseScalar(node, path, "true or false", s => bool.TryParse(s, out var b) ? b : null);
        if (type == typeof(int)) return ParseScalar(node, path, "an integer", s => int.TryParse(s.Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null);
        if (type == typeof(long)) return ParseScalar(node, path, "an integer", s => long.TryParse(s.Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null);
        if (type == typeof(ulong)) return ParseScalar(node, path, "a non-negative integer", s => ulong.TryParse(s.Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out var u) ? u : null);
        if (type == typeof(double)) return ParseScalar(node, path, "a number", s => double.TryParse(s.Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null);
        if (type.IsEnum) return BindEnum(type, node, path);
        if (TryElementType(type, out var element)) return BindList(type, element, node, path);
        if (TryDictionaryTypes(type, out var keyType, out var valueType)) return BindDictionary(keyType, valueType, node, path);
        return BindRecord(type, node, path);
    }

    private static object BindRecord(Type type, YamlNode node, string path)
    {
        if (node is not YamlMappingNode mapping)
            throw new RecipeException(path, $"expected a mapping of keys ({string.Join(", ", KeysOf(type))})");
        var instance = Activator.CreateInstance(type) ?? throw new RecipeException(path, $"cannot create {type.Name}");
        var properties = Settable(type).ToDictionary(p => SnakeCase(p.Name));
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            var child = Join(path, key);
            if (!properties.TryGetValue(key, out var property))
                throw new RecipeException(child, $"unknown key; allowed keys{(path.Length > 0 ? $" under '{path}'" : "")}: {string.Join(", ", properties.Keys)}");
            property.SetValue(instance, Bind(property.PropertyType, valueNode, child));
        }
        return instance;
    }

    /// <summary>The init properties a recipe key can set (records' compiler-made EqualityContract excluded); <see cref="RecipeWriter"/> writes the same ones.</summary>
    internal static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true } && p.Name != "EqualityContract");

    private static IEnumerable<string> KeysOf(Type type) => Settable(type).Select(p => SnakeCase(p.Name));

    private static object BindEnum(Type type, YamlNode node, string path)
    {
        var text = Scalar(node, path, "a name");
        var allowed = Enum.GetNames(type).Select(n => SnakeCase(n)).ToList();
        var match = Enum.GetNames(type).FirstOrDefault(n => string.Equals(SnakeCase(n), text, StringComparison.OrdinalIgnoreCase) ||
                                                            string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
        return match is null
            ? throw new RecipeException(path, $"'{text}' is not allowed; allowed values: {string.Join(", ", allowed)}")
            : Enum.Parse(type, match);
    }

    private static object BindList(Type listType, Type element, YamlNode node, string path)
    {
        if (node is not YamlSequenceNode sequence) throw new RecipeException(path, "expected a list ([a, b] or '- a' lines)");
        var items = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
        var i = 0;
        foreach (var item in sequence.Children) items.Add(Bind(element, item, $"{path}[{i++}]"));
        if (!listType.IsArray) return items;
        var array = Array.CreateInstance(element, items.Count);
        items.CopyTo(array, 0);
        return array;
    }

    private static object BindDictionary(Type keyType, Type valueType, YamlNode node, string path)
    {
        if (node is not YamlMappingNode mapping) throw new RecipeException(path, "expected a mapping");
        var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(keyType, valueType))!;
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var child = Join(path, ((YamlScalarNode)keyNode).Value ?? "");
            dictionary[Bind(keyType, keyNode, child)!] = Bind(valueType, valueNode, child);
        }
        return dictionary;
    }

    private static bool TryElementType(Type type, out Type element)
    {
        element = type.IsArray ? type.GetElementType()! : typeof(void);
        if (type.IsArray) return true;
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var d &&
            (d == typeof(List<>) || d == typeof(IReadOnlyList<>) || d == typeof(IList<>) || d == typeof(IEnumerable<>)))
        {
            element = type.GetGenericArguments()[0];
            return true;
        }
        return false;
    }

    private static bool TryDictionaryTypes(Type type, out Type key, out Type value)
    {
        key = value = typeof(void);
        if (!type.IsGenericType) return false;
        var d = type.GetGenericTypeDefinition();
        if (d != typeof(Dictionary<,>) && d != typeof(IReadOnlyDictionary<,>) && d != typeof(IDictionary<,>)) return false;
        (key, value) = (type.GetGenericArguments()[0], type.GetGenericArguments()[1]);
        return true;
    }

    private static string Scalar(YamlNode node, string path, string expected) =>
        node is YamlScalarNode { Value: { } value } ? value : throw new RecipeException(path, $"expected {expected}, got a {NodeKind(node)}");

    private static object ParseScalar(YamlNode node, string path, string expected, Func<string, object?> parse)
    {
        var text = Scalar(node, path, expected);
        return parse(text.Trim()) ?? throw new RecipeException(path, $"'{text}' is not {expected}");
    }

    private static string NodeKind(YamlNode node) => node switch
    {
        YamlMappingNode => "mapping",
        YamlSequenceNode => "list",
        _ => "empty value",
    };

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>NEmbd -> n_embd, VocabSize -> vocab_size, Gpt2 -> gpt2.</summary>
    public static string SnakeCase(string name)
    {
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                builder.Append('_');
            builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }
}
