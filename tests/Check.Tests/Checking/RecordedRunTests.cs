using System.Globalization;

namespace FaultTolerant.Check.Tests.Checking;

/// <summary>End to end: clients on threads record a run against an in-memory store, and the checker reads the file.</summary>
public sealed class RecordedRunTests
{
    /// <summary>A correct store: every operation takes effect at one instant, under the lock.</summary>
    private sealed class Store
    {
        private readonly Dictionary<string, string> _values = [];
        private readonly Lock _gate = new();

        public string? Read(string key)
        {
            lock (_gate)
            {
                return _values.GetValueOrDefault(key);
            }
        }

        public void Write(string key, string value)
        {
            lock (_gate)
            {
                _values[key] = value;
            }
        }

        public bool Cas(string key, string? expected, string value)
        {
            lock (_gate)
            {
                if (_values.GetValueOrDefault(key) != expected)
                {
                    return false;
                }

                _values[key] = value;
                return true;
            }
        }

        public long? Incr(string key)
        {
            lock (_gate)
            {
                long current = 0;
                if (_values.TryGetValue(key, out var text) && !long.TryParse(text, CultureInfo.InvariantCulture, out current))
                {
                    return null;
                }

                _values[key] = (current + 1).ToString(CultureInfo.InvariantCulture);
                return current + 1;
            }
        }
    }

    [Fact]
    public void A_run_against_a_correct_store_with_timeouts_is_linearizable()
    {
        var store = new Store();
        var text = new StringWriter();
        using (var recorder = new HistoryRecorder(text))
        {
            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, p =>
            {
                var random = new Random(p);
                for (int i = 0; i < 150; i++)
                {
                    string key = "k" + random.Next(3);
                    string value = $"{p}-{i}";
                    // A timed-out request may or may not have been applied; the client cannot tell.
                    bool timesOut = random.Next(20) == 0;
                    bool applied = !timesOut || random.Next(2) == 0;
                    string node = "node-" + random.Next(3);
                    switch (random.Next(4))
                    {
                        case 0:
                            recorder.Invoke(p, "read", key, node: node);
                            string? read = store.Read(key);
                            Answer("read", read);
                            break;
                        case 1:
                            recorder.Invoke(p, "write", key, value, node: node);
                            if (applied)
                            {
                                store.Write(key, value);
                            }

                            Answer("write", value);
                            break;
                        case 2:
                            string? expected = random.Next(2) == 0 ? store.Read(key) : "nope";
                            recorder.Invoke(p, "cas", key, expected, value, node);
                            bool swapped = applied && store.Cas(key, expected, value);
                            if (timesOut)
                            {
                                recorder.Info(p, "cas", key, node);
                            }
                            else if (swapped)
                            {
                                recorder.Ok(p, "cas", key, node: node);
                            }
                            else
                            {
                                recorder.Fail(p, "cas", key, "mismatch", node);
                            }

                            break;
                        default:
                            recorder.Invoke(p, "incr", "counter", node: node);
                            long? n = applied ? store.Incr("counter") : null;
                            Answer("incr", n?.ToString(CultureInfo.InvariantCulture));
                            break;
                    }

                    void Answer(string f, string? result)
                    {
                        string k = f == "incr" ? "counter" : key;
                        if (timesOut)
                        {
                            recorder.Info(p, f, k, node);
                        }
                        else
                        {
                            recorder.Ok(p, f, k, result, node);
                        }
                    }
                }
            });
        }

        var history = JsonlHistory.Read(new StringReader(text.ToString()), "run.jsonl");
        var result = LinearizabilityChecker.Check(history, Model.Register, new CheckOptions { TimeLimit = TimeSpan.FromSeconds(60) });

        Assert.Equal(8 * 150, history.Operations.Count);
        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Equal(["counter", "k0", "k1", "k2"], result.Keys.Select(k => k.Key));
    }
}
