using System.Buffers.Binary;
using FaultTolerant.Cluster.Cli;
using FaultTolerant.Cluster.Tests.Support;

namespace FaultTolerant.Cluster.Tests.Nodes;

/// <summary>An image that cannot run is refused before anything is placed, with the ELF loader's reason.</summary>
[Collection(SmallClusterCollection.Name)]
public sealed class InvalidImageTests(SmallCluster cluster)
{
    [Theory]
    [InlineData("text", "the image cannot run: not an ELF file")]
    [InlineData("x86-64", "the image cannot run: not a RISC-V executable (e_machine 62")]
    [InlineData("truncated", "the image cannot run: truncated ELF file")]
    [InlineData("empty", "the image is empty")]
    public async Task An_image_that_cannot_run_is_refused_with_the_loaders_reason_and_changes_nothing(string kind, string reason)
    {
        int port = FreePort.Next();
        var before = await cluster.GuestsAsync();
        var refused = await cluster.RefusedAsync(HttpMethod.Post, "v1/guests", SmallCluster.Start($"bad-{kind}", Image(kind), 1, $"6379:{port}"));
        Assert.Equal(409, refused.HttpStatus);
        Assert.Equal(ManagementClient.Refused, refused.ExitCode);
        Assert.StartsWith(reason, refused.Message, StringComparison.Ordinal);
        await cluster.AssertUnchangedAsync(before, port);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task An_image_over_the_limit_is_refused_quickly_whichever_node_is_asked(int node)
    {
        // Bigger than a remoting frame: were it handed to a coordinator on another node, remoting would drop it unanswered.
        var image = new byte[9 << 20];
        SmallCluster.Miniredis().CopyTo(image, 0);
        var before = await cluster.GuestsAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var refused = await cluster.RefusedAsync(HttpMethod.Post, "v1/guests", SmallCluster.Start("huge", image, 1), node: cluster.Nodes[node]);
        Assert.Equal(409, refused.HttpStatus);
        Assert.Equal(ManagementClient.Refused, refused.ExitCode);
        Assert.Equal($"the image is {image.Length} bytes; at most {4 << 20} are accepted", refused.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        await cluster.AssertUnchangedAsync(before);
    }

    private static byte[] Image(string kind)
    {
        switch (kind)
        {
            case "text":
                return "#!/bin/sh\necho this is not an executable\n"u8.ToArray();
            case "x86-64":
                var elf = TinyElf.Build(0x00000073); // ecall
                BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(18), 62); // EM_X86_64
                return elf;
            case "truncated":
                return SmallCluster.Miniredis()[..40];
            default:
                return [];
        }
    }
}
