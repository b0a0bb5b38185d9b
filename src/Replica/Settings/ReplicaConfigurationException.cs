namespace FaultTolerant.Replica.Settings;

/// <summary>A configuration value of <c>ft.replica</c> is missing, unparsable or out of range.</summary>
/// <remarks>The message names the full key, the value found and what to write instead.</remarks>
public sealed class ReplicaConfigurationException(string key, string message, Exception? inner = null)
    : ReplicaException($"{key}: {message}", inner)
{
    /// <summary>The full path of the offending key, e.g. <c>ft.replica.epoch.min-interval</c>.</summary>
    public string Key { get; } = key;
}
