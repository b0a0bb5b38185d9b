using Akka.Configuration;

namespace FaultTolerant.Replica.Settings;

/// <summary>Reading one key at a time, turning every parse failure into a refusal that names the key and the fix.</summary>
public sealed partial record ReplicaSettings
{
    private sealed class Reader(Config config)
    {
        public TimeSpan PositiveDuration(string key)
        {
            // Akka reads "infinite" as -1 ms when infinite is allowed; it never makes sense here.
            var value = Parse(key, "a positive duration such as 25ms or 5s", () => config.GetTimeSpan(Path(key), null, allowInfinite: false));
            if (value <= TimeSpan.Zero) throw Refuse(key, $"{Raw(key)} is not a positive duration; write one such as 25ms or 5s");
            return value;
        }

        public long PositiveLong(string key, string unit)
        {
            long value = Parse(key, $"a whole number of {unit}", () => config.GetLong(Path(key)));
            if (value <= 0) throw Refuse(key, $"{value} is not a positive number of {unit}; write a whole number above 0");
            return value;
        }

        public long ByteSize(string key, bool allowZero)
        {
            const string Expected = "a byte size such as 64MiB, 512KiB or 1048576";
            long? value = Parse(key, Expected, () => config.GetByteSize(Path(key), null));
            if (value is null) throw Refuse(key, $"no value; write {Expected}");
            if (value < 0 || (value == 0 && !allowZero))
            {
                throw Refuse(key, $"{Raw(key)} is not a {(allowZero ? "non-negative" : "positive")} size; write {Expected}");
            }
            return value.Value;
        }

        public bool Boolean(string key) => Parse(key, "on or off", () => config.GetBoolean(Path(key)));

        public string Hostname(string key)
        {
            var value = Parse(key, "a hostname or IP address", () => config.GetString(Path(key)));
            if (string.IsNullOrWhiteSpace(value)) throw Refuse(key, "empty; write the hostname or IP address to bind, e.g. 127.0.0.1 or the node's LAN address");
            return value.Trim();
        }

        public int Port(string key)
        {
            long value = Parse(key, "a port number from 0 to 65535", () => config.GetLong(Path(key)));
            if (value is < 0 or > 65535) throw Refuse(key, $"{value} is not a TCP port; write 0 (any free port) or a port up to 65535");
            return (int)value;
        }

        /// <summary>A text that may be empty (or missing): null then.</summary>
        public string? OptionalText(string key)
        {
            var value = Parse(key, "a text (or empty)", () => config.GetString(Path(key), ""));
            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }

        public ReplicaConfigurationException Refuse(string key, string message, Exception? inner = null) => new(Path(key), message, inner);

        private T Parse<T>(string key, string expected, Func<T> read)
        {
            try
            {
                return read();
            }
            catch (Exception e) when (e is FormatException or NotSupportedException or OverflowException or ConfigurationException or InvalidOperationException or ArgumentException)
            {
                throw Refuse(key, $"cannot read {Raw(key)} ({e.Message}); write {expected}", e);
            }
        }

        private string Raw(string key)
        {
            try
            {
                return $"'{config.GetString(Path(key))}'";
            }
            catch (Exception e) when (e is FormatException or NotSupportedException or ConfigurationException or InvalidOperationException or ArgumentException)
            {
                return "the value";
            }
        }

        private static string Path(string key) => $"{Section}.{key}";
    }
}
