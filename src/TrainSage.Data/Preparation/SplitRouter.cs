using TrainSage.Data.Tokenizers;

namespace TrainSage.Data.Preparation;

/// <summary>Tokenizes documents in order and sends each piece of text to the split the plan assigns it.</summary>
internal sealed class SplitRouter(SplitPlan plan, ITokenizer tokenizer, SplitWriter train, SplitWriter val)
{
    private readonly int[] _separator = tokenizer.Encode(SplitPlan.DocumentSeparator);
    private long _offset; // characters of the joined corpus routed so far (tail split)
    private bool _trainStarted, _valStarted;

    public void Add(int document, string text)
    {
        if (plan.ByDocuments)
        {
            var toVal = plan.IsValidation(document);
            if (toVal ? _valStarted : _trainStarted) Write(toVal, _separator);
            Write(toVal, tokenizer.Encode(text));
            return;
        }
        if (document > 0) AddTail(SplitPlan.DocumentSeparator);
        AddTail(text);
    }

    /// <summary>Text before <see cref="SplitPlan.TailStart"/> goes to train, the rest to val.</summary>
    private void AddTail(string text)
    {
        var cut = (int)Math.Clamp(plan.TailStart - _offset, 0, text.Length);
        if (cut > 0 && cut < text.Length && char.IsLowSurrogate(text[cut])) cut++; // keep a surrogate pair whole
        if (cut > 0) Write(false, tokenizer.Encode(text[..cut]));
        if (cut < text.Length) Write(true, tokenizer.Encode(text[cut..]));
        _offset += text.Length;
    }

    private void Write(bool toVal, int[] tokens)
    {
        (toVal ? val : train).Write(tokens);
        if (toVal) _valStarted = true;
        else _trainStarted = true;
    }
}
