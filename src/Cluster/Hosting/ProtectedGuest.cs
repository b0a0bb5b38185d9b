using System.Globalization;
using FaultTolerant.Cluster.Placement;

namespace FaultTolerant.Cluster.Hosting;

/// <summary>
/// A guest a service wants running somewhere in the cluster with <paramref name="Replicas"/> backups: its name (the
/// cluster-wide identity: every node declaring the same name means the same guest), its RISC-V ELF image, the ports its
/// clients reach on every worker's gateway and its arguments (after argv[0], which is the name).
/// </summary>
public sealed record ProtectedGuest(string Name, byte[] Image, int Replicas, IReadOnlyList<PortMapping> Exposes, IReadOnlyList<string> Args)
{
    /// <summary>Reads the image from a file; <paramref name="exposes"/> as GUESTPORT:CLUSTERPORT.</summary>
    /// <exception cref="IOException">The image cannot be read (<see cref="FileNotFoundException"/> when it is missing).</exception>
    /// <exception cref="FormatException">An exposure is not GUESTPORT:CLUSTERPORT.</exception>
    public static ProtectedGuest FromFile(string name, string imagePath, int replicas = 1, IEnumerable<string>? exposes = null, IEnumerable<string>? args = null) =>
        new(name, File.ReadAllBytes(imagePath), replicas, [.. (exposes ?? []).Select(ParseExposure)], [.. args ?? []]);

    /// <summary>GUESTPORT:CLUSTERPORT, as <c>ft guest start --expose</c> takes it.</summary>
    /// <exception cref="FormatException">It is not two port numbers.</exception>
    public static PortMapping ParseExposure(string text)
    {
        var parts = text.Split(':');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int guest)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int cluster))
        {
            return new PortMapping(guest, cluster);
        }
        throw new FormatException($"expose '{text}': expected GUESTPORT:CLUSTERPORT");
    }

    /// <summary>The coordinator's request that starts it.</summary>
    internal StartGuest ToRequest() => new(Name, Image, [.. Args], Replicas, [.. Exposes]);

    public override string ToString() =>
        $"{Name} ({Image.Length} bytes, {Replicas} backup(s), expose [{string.Join(", ", Exposes)}], args [{string.Join(" ", Args)}])";
}
