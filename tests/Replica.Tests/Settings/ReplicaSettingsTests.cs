using Akka.Configuration;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Settings;

namespace FaultTolerant.Replica.Tests.Settings;

/// <summary>The reference configuration is the single source of defaults, and every bad value is refused by name.</summary>
public sealed class ReplicaSettingsTests
{
    private static ReplicaSettings Parse(string hocon) => ReplicaSettings.Create(ConfigurationFactory.ParseString(hocon));

    private static ReplicaConfigurationException Refused(string hocon) =>
        Assert.Throws<ReplicaConfigurationException>(() => Parse(hocon));

    [Fact]
    public void Every_default_is_the_value_written_in_the_reference_file()
    {
        var d = ReplicaSettings.Default;
        Assert.Equal(TimeSpan.FromMilliseconds(25), d.Epochs.MaxInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(1), d.Epochs.MinInterval);
        Assert.Equal(200_000, d.RunSlice);
        Assert.Equal(64L << 20, d.XorCacheBytes);
        Assert.False(d.Lz4);
        Assert.Equal(TimeSpan.FromSeconds(5), d.RecruitTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), d.AckTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(300), d.ReleaseLease);
        Assert.Equal(d.ReleaseLease, d.PrimaryOptionsFor("g", 1, 1).ReleaseLease);
        Assert.Equal("127.0.0.1", d.DataChannel.Hostname);
        Assert.Equal(0, d.DataChannel.Port);
        Assert.Equal(64L << 20, d.DataChannel.SendQueueLimit);
        Assert.Equal(TimeSpan.FromMilliseconds(100), d.DataChannel.ReconnectBackoffMin);
        Assert.Equal(TimeSpan.FromSeconds(2), d.DataChannel.ReconnectBackoffMax);
    }

    [Fact]
    public void The_reference_file_is_the_embedded_resource_and_an_empty_config_reads_as_the_defaults()
    {
        var fromFile = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(Support.TestGuests.Root, "hocon", "replica.conf")));
        Assert.Equal(ReplicaSettings.Default, ReplicaSettings.Create(fromFile));
        Assert.Equal(ReplicaSettings.Default, ReplicaSettings.Create(Config.Empty));
        Assert.Equal(ReplicaSettings.Default, ReplicaSettings.Create(null));
    }

    [Fact]
    public void Every_key_of_the_reference_file_has_a_comment_paragraph()
    {
        var lines = File.ReadAllLines(Path.Combine(Support.TestGuests.Root, "hocon", "replica.conf"));
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            bool isKey = line.Contains('=') && !line.StartsWith('#');
            if (!isKey) continue;
            Assert.True(i > 0 && lines[i - 1].Trim().StartsWith('#'), $"line {i + 1} ({line}) has no comment above it");
        }
    }

    [Fact]
    public void The_defaults_agree_with_the_primary_s_own_defaults()
    {
        var options = ReplicaSettings.Default.PrimaryOptionsFor("g", 1, 1);
        var plain = new PrimaryOptions("g", 1, 1);
        Assert.Equal(plain, options);
        Assert.Equal(EpochPolicy.Default, ReplicaSettings.Default.Epochs);
    }

    [Fact]
    public void A_node_s_values_override_the_reference_and_the_rest_stay_default()
    {
        var s = Parse("""
            ft.replica {
              epoch { max-interval = 50ms, min-interval = 2ms }
              run-slice = 1000
              xor-cache-size = 1MiB
              lz4 = on
              data-channel { hostname = "10.0.0.7", port = 7400, send-queue-limit = 8MiB }
            }
            """);
        Assert.Equal(new EpochPolicy(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(2)), s.Epochs);
        Assert.Equal(1000, s.RunSlice);
        Assert.Equal(1L << 20, s.XorCacheBytes);
        Assert.True(s.Lz4);
        Assert.Equal("10.0.0.7", s.DataChannel.Hostname);
        Assert.Equal(7400, s.DataChannel.Port);
        Assert.Equal(8L << 20, s.DataChannel.SendQueueLimit);
        Assert.Equal(ReplicaSettings.Default.AckTimeout, s.AckTimeout);
        Assert.Equal(ReplicaSettings.Default.DataChannel.ReconnectBackoffMax, s.DataChannel.ReconnectBackoffMax);

        var options = s.PrimaryOptionsFor("redis", 9, 4);
        Assert.Equal((s.Epochs, 1000L, 1L << 20, true), (options.Epochs, options.Slice, options.CacheBytes, options.Lz4));
    }

    [Fact]
    public void A_zero_xor_cache_is_accepted_and_turns_xor_encoding_off()
    {
        Assert.Equal(0, Parse("ft.replica.xor-cache-size = 0").XorCacheBytes);
    }

    [Theory]
    [InlineData("epoch.max-interval", "0ms")]
    [InlineData("epoch.max-interval", "-5ms")]
    [InlineData("epoch.max-interval", "soon")]
    [InlineData("epoch.max-interval", "infinite")]
    [InlineData("epoch.min-interval", "0")]
    [InlineData("epoch.min-interval", "-1ms")]
    [InlineData("run-slice", "0")]
    [InlineData("run-slice", "-200")]
    [InlineData("run-slice", "lots")]
    [InlineData("xor-cache-size", "-1")]
    [InlineData("xor-cache-size", "64Mib")]
    [InlineData("xor-cache-size", "1.5MiB")]
    [InlineData("xor-cache-size", "big")]
    [InlineData("lz4", "maybe")]
    [InlineData("recruit-timeout", "0s")]
    [InlineData("ack-timeout", "-1s")]
    [InlineData("release-lease", "0ms")]
    [InlineData("release-lease", "soon")]
    [InlineData("data-channel.hostname", "\"\"")]
    [InlineData("data-channel.port", "-1")]
    [InlineData("data-channel.port", "65536")]
    [InlineData("data-channel.port", "http")]
    [InlineData("data-channel.send-queue-limit", "0")]
    [InlineData("data-channel.send-queue-limit", "-64MiB")]
    [InlineData("data-channel.send-queue-limit", "64 mb")]
    [InlineData("data-channel.reconnect-backoff.min", "0ms")]
    [InlineData("data-channel.reconnect-backoff.max", "never")]
    public void A_bad_value_is_refused_naming_the_key(string key, string value)
    {
        var e = Refused($"ft.replica.{key} = {value}");
        Assert.Equal($"ft.replica.{key}", e.Key);
        Assert.StartsWith($"ft.replica.{key}: ", e.Message);
        Assert.Contains("write", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_min_interval_longer_than_the_max_is_refused_with_both_values()
    {
        var e = Refused("ft.replica.epoch { max-interval = 10ms, min-interval = 20ms }");
        Assert.Equal("ft.replica.epoch.min-interval", e.Key);
        Assert.Contains("20ms", e.Message);
        Assert.Contains("10ms", e.Message);
    }

    [Fact]
    public void A_reconnect_backoff_min_above_its_max_is_refused()
    {
        var e = Refused("ft.replica.data-channel.reconnect-backoff { min = 3s, max = 1s }");
        Assert.Equal("ft.replica.data-channel.reconnect-backoff.min", e.Key);
        Assert.Contains("max", e.Message);
    }

    [Fact]
    public void An_ack_timeout_not_longer_than_an_epoch_is_refused()
    {
        var e = Refused("ft.replica { epoch.max-interval = 100ms, ack-timeout = 100ms }");
        Assert.Equal("ft.replica.ack-timeout", e.Key);
        Assert.Contains("epoch.max-interval", e.Message);
    }

    [Fact]
    public void A_release_lease_not_shorter_than_the_ack_timeout_is_refused()
    {
        var e = Refused("ft.replica { ack-timeout = 2s, release-lease = 2s }");
        Assert.Equal("ft.replica.release-lease", e.Key);
        Assert.Contains("ack-timeout", e.Message);
        Assert.Equal(TimeSpan.FromSeconds(1), Parse("ft.replica { ack-timeout = 2s, release-lease = 1s }").ReleaseLease);
    }

    [Fact]
    public void The_release_journal_is_off_by_default_and_names_the_node_it_is_given()
    {
        Assert.Null(ReplicaSettings.Default.Journal);
        Assert.Null(ReplicaSettings.Default.PrimaryOptionsFor("g", 1, 1).ReleaseObserver);
        var s = Parse("ft.replica.release-journal { file = \"/tmp/x/releases.jsonl\", node = worker-a }");
        Assert.Equal(new ReleaseJournalSettings("/tmp/x/releases.jsonl", "worker-a"), s.Journal);
        Assert.StartsWith("pid-", Parse("ft.replica.release-journal.file = r.jsonl").Journal!.Node);
    }

    [Fact]
    public void A_refusal_is_a_replica_exception()
    {
        Assert.IsAssignableFrom<ReplicaException>(Refused("ft.replica.run-slice = 0"));
    }
}
