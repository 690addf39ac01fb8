using TrainSage.Data.Sampling;

namespace TrainSage.Data.Preparation;

/// <summary>
/// Decides which text is validation. The corpus is the documents joined by <see cref="DocumentSeparator"/>.
/// With many documents, whole documents are held out (chosen by the seed) until they reach the validation
/// fraction of the characters. With few (a single book, as tinyshakespeare), one document could be most of the
/// corpus, so the last fraction of the characters is held out instead, as nanoGPT does.
/// </summary>
internal sealed class SplitPlan
{
    public const string DocumentSeparator = "\n\n";
    public const int MinDocumentsForDocumentSplit = 100;

    private readonly bool[]? _validationDocuments;

    private SplitPlan(bool[]? validationDocuments, long tailStart)
    {
        _validationDocuments = validationDocuments;
        TailStart = tailStart;
    }

    /// <summary>"documents" or "tail", as dataset.json records it.</summary>
    public string Method => _validationDocuments is null ? "tail" : "documents";

    /// <summary>For a tail split: the offset in the joined corpus where validation text begins.</summary>
    public long TailStart { get; }

    public bool ByDocuments => _validationDocuments is not null;

    public bool IsValidation(int document) => _validationDocuments![document];

    public static SplitPlan Create(IReadOnlyList<long> documentLengths, double valFraction, ulong seed)
    {
        var documentChars = documentLengths.Sum();
        if (documentLengths.Count < MinDocumentsForDocumentSplit)
        {
            var joined = documentChars + (long)DocumentSeparator.Length * Math.Max(0, documentLengths.Count - 1);
            return new SplitPlan(null, (long)(joined * (1 - valFraction)));
        }
        var validation = new bool[documentLengths.Count];
        var heldOut = 0L;
        var target = valFraction * documentChars;
        foreach (var document in SeededOrder(documentLengths.Count, seed))
        {
            // Never hold out the last training document.
            if (heldOut >= target || heldOut + documentLengths[document] >= documentChars) break;
            validation[document] = true;
            heldOut += documentLengths[document];
        }
        return new SplitPlan(validation, 0);
    }

    /// <summary>A Fisher-Yates permutation of 0..count-1 drawn from <see cref="CounterRng"/>.</summary>
    private static int[] SeededOrder(int count, ulong seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        for (var i = count - 1; i > 0; i--)
        {
            var j = (int)CounterRng.Below(CounterRng.Hash(seed, ulong.MaxValue, (ulong)i), i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
