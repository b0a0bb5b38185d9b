using System.Diagnostics;
using Xunit.Abstractions;

namespace FaultTolerant.Check.Tests.Data;

/// <summary>Every file of the shared data set gets the answer Porcupine's own tests assert.</summary>
public sealed class KnownAnswerTests(ITestOutputHelper output)
{
    public static TheoryData<string, bool> Files()
    {
        var data = new TheoryData<string, bool>();
        foreach (var (file, linearizable) in DataSet.Expected())
        {
            data.Add(file, linearizable);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Checker_agrees_with_the_known_answer(string file, bool linearizable)
    {
        var watch = Stopwatch.StartNew();
        var result = LinearizabilityChecker.CheckFile(DataSet.PathOf(file), DataSet.ModelFor(file));
        output.WriteLine($"{file}: {result.Verdict} in {watch.Elapsed.TotalMilliseconds:F1} ms " +
            $"({result.Operations} ops, {result.OpenOperations} open, {result.Keys.Count} keys, " +
            $"{result.Keys.Sum(k => k.States)} states; shrink {result.Violations.Sum(v => v.Violation!.ShrinkElapsed.TotalMilliseconds):F1} ms)");

        Assert.Equal(linearizable ? Verdict.Linearizable : Verdict.NotLinearizable, result.Verdict);
    }
}
