using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TrainSage.Attention.Accuracy;

/// <summary>One tensor's error in one case: the JSON row of the accuracy report.</summary>
public sealed record AccuracyRow(string Family, string Variant, int HeadDim, int SeqLen, string Tensor, double Cosine,
    double RelL1, double RelL2);

/// <summary>The sage8 accuracy report against exact fp32 attention, with what made it.</summary>
public sealed record AccuracyReport(
    string Command,
    string Device,
    string Libtorch,
    int Batch,
    int Heads,
    ulong Seed,
    Sage8Options Sage8,
    DateTimeOffset CreatedUtc,
    double Seconds,
    IReadOnlyList<AccuracyRow> Rows)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter() },
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // keeps ` and + readable in the command line
    };

    /// <summary>The header fields, then one object per row: family, variant, head_dim, seq_len, tensor, cosine,
    /// rel_l1, rel_l2.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string ToMarkdown() => AccuracyMarkdown.Write(this);
}
