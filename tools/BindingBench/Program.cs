// Usage: BindingBench <cpp program> <output path without extension> <command to record> [rounds]
// Runs the binding-overhead benchmark and writes <output>.json and <output>.md.
using System.Globalization;
using TrainSage.Benchmarks;

if (args.Length is < 3 or > 4)
{
    Console.Error.WriteLine("usage: BindingBench <native/bench/build/binding_overhead> <output path without extension> <command to record> [rounds]");
    return 2;
}
var options = new BindingOverheadOptions(args[0]);
if (args.Length == 4)
{
    if (!int.TryParse(args[3], NumberStyles.None, CultureInfo.InvariantCulture, out var rounds) || rounds < 1)
    {
        Console.Error.WriteLine($"rounds must be a positive integer, got '{args[3]}'");
        return 2;
    }
    options = options with { Rounds = rounds };
}

var result = BindingOverheadBenchmark.Run(options, Console.WriteLine);
var machine = BindingOverheadReport.DescribeMachine();
File.WriteAllText(args[1] + ".json", BindingOverheadReport.ToJson(result, machine, args[2]));
File.WriteAllText(args[1] + ".md", BindingOverheadReport.ToMarkdown(result, machine, args[2]));
Console.WriteLine(BindingOverheadReport.Summary(result));
return 0;
