using System.Diagnostics.Metrics;

namespace FaultTolerant.Replica;

/// <summary>
/// The replication figures as .NET meters (System.Diagnostics.Metrics), tagged with the guest's name:
/// read them with dotnet-counters, OpenTelemetry, or a MeterListener.
/// </summary>
public static class ReplicaMetrics
{
    public const string MeterName = "FaultTolerant.Replica";

    private static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> Epochs = Meter.CreateCounter<long>("ft.replica.epochs", description: "Epochs checkpointed by a primary");

    public static readonly Histogram<double> Pause = Meter.CreateHistogram<double>("ft.replica.pause", "ms", "Guest paused per epoch for the capture");

    public static readonly Histogram<long> DirtyPages = Meter.CreateHistogram<long>("ft.replica.dirty_pages", "{page}", "Pages in an epoch's checkpoint");

    public static readonly Counter<long> RawBytes = Meter.CreateCounter<long>("ft.replica.bytes_raw", "By", "Checkpoint bytes before encoding");

    public static readonly Counter<long> EncodedBytes = Meter.CreateCounter<long>("ft.replica.bytes_encoded", "By", "Checkpoint bytes after encoding");

    public static readonly Histogram<double> AckLatency = Meter.CreateHistogram<double>("ft.replica.ack_latency", "ms", "From epoch end to the last backup's ack");

    public static readonly Histogram<long> ReplicationLag = Meter.CreateHistogram<long>("ft.replica.lag", "{epoch}", "Epochs checkpointed but not yet released");

    public static readonly Counter<long> OutputReleased = Meter.CreateCounter<long>("ft.replica.output_released", "By", "Output bytes released to the world");
}
