namespace TrainSage.Data.Corpus;

/// <summary>One document of a corpus; <paramref name="Source"/> names where it came from ("file" or "file:line").</summary>
public sealed record CorpusDocument(string Source, string Text);
