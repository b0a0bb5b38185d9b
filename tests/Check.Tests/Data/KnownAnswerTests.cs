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
        var shrink = result.Violations.Select(k => k.Violation!).FirstOrDefault();
        output.WriteLine($"{file}: {result.Verdict} in {watch.Elapsed.TotalMilliseconds:F1} ms " +
            $"({result.Operations} ops, {result.OpenOperations} open, {result.Keys.Count} keys, {result.Keys.Sum(k => k.States)} states; " +
            $"search {result.Keys.Sum(k => k.Elapsed.TotalMilliseconds):F1} ms, shrink {shrink?.ShrinkElapsed.TotalMilliseconds ?? 0:F1} ms " +
            $"to {shrink?.Minimal.Count} ops)");

        Assert.Equal(linearizable ? Verdict.Linearizable : Verdict.NotLinearizable, result.Verdict);
    }

    public static TheoryData<string> BadFiles() => new(DataSet.Expected().Where(e => !e.Linearizable).Select(e => e.File));

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void The_shrunk_sub_history_of_a_bad_file_still_fails_and_is_no_larger(string file)
    {
        var model = DataSet.ModelFor(file);
        var result = LinearizabilityChecker.CheckFile(DataSet.PathOf(file), model);

        var key = result.Violations.First();
        var minimal = key.Violation!.Minimal;
        var again = LinearizabilityChecker.Check(History.FromOperations(minimal, "minimal"), model, new CheckOptions { Shrink = false });

        Assert.Equal(Verdict.NotLinearizable, again.Verdict);
        Assert.InRange(minimal.Count, 1, key.Operations);
        Assert.All(minimal, o => Assert.Equal(key.Key, model == Model.Etcd ? null : o.Key));
        output.WriteLine($"{file}: key {key.Key} {key.Operations} ops shrunk to {minimal.Count} ({minimal.Count(o => !o.IsOpen)} answered)");
    }
}
