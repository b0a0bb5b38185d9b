using System.Text;
using FaultTolerant.Cluster.Tests.Support;

namespace FaultTolerant.Cluster.Tests.Cli;

/// <summary><c>ft run</c> as a user runs it: a real process, real exit codes, real TCP, real signals.</summary>
public sealed class RunCommandTests
{
    [Fact]
    public void Hello_prints_its_greeting_arguments_and_environment()
    {
        var (code, stdout, stderr) = FtProcess.Run("run", "--env", "FT_GREETING=salut", FtProcess.Guest("hello"), "one", "--two");
        Assert.Equal(0, code);
        Assert.Equal("Hello from a FaultTolerant guest!\narg 1: one\narg 2: --two\nFT_GREETING: salut\n", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void The_exit_code_is_the_guests()
    {
        var (code, _, stderr) = FtProcess.Run("run", FtProcess.Guest("memstress"));
        Assert.Equal(2, code);
        Assert.Contains("usage: memstress", stderr);
    }

    [Fact]
    public void A_file_that_is_not_an_executable_is_refused_with_the_reason()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "#!/bin/sh\necho not an elf\n");
        var (code, _, stderr) = FtProcess.Run("run", path);
        Assert.Equal(126, code);
        Assert.Contains("not an ELF file", stderr);
    }

    [Fact]
    public void A_missing_file_exits_127()
    {
        var (code, _, stderr) = FtProcess.Run("run", "/nonexistent/guest.elf");
        Assert.Equal(127, code);
        Assert.Contains("no such file", stderr);
    }

    [Theory]
    [InlineData("--expose", "6379")]
    [InlineData("--expose", "0:80")]
    [InlineData("--memory", "lots")]
    public void Bad_options_are_usage_errors(string option, string value)
    {
        var (code, _, stderr) = FtProcess.Run("run", option, value, FtProcess.Guest("hello"));
        Assert.Equal(2, code);
        Assert.Contains("ft run:", stderr);
    }

    [Fact]
    public void A_guest_fault_prints_cause_pc_and_address_and_exits_non_zero()
    {
        var elf = TinyElf.Write(0x00000000); // an all-zero word is an illegal instruction
        var (code, _, stderr) = FtProcess.Run("run", elf);
        Assert.Equal(128 + 4, code);
        Assert.Contains("IllegalInstruction at pc 0x10078", stderr);
    }

    [Fact]
    public void A_load_from_unmapped_memory_is_a_segmentation_fault()
    {
        var elf = TinyElf.Write(0x00003003); // ld x0, 0(x0): address 0 is never mapped
        var (code, _, stderr) = FtProcess.Run("run", elf);
        Assert.Equal(128 + 11, code);
        Assert.Contains("LoadPageFault at pc 0x10078, address 0x0", stderr);
    }

    [Fact]
    public void Miniredis_serves_real_tcp_clients_through_expose_and_stops_on_ctrl_c()
    {
        int port = FreePort.Next();
        using var ft = FtProcess.Start("run", "--expose", $"6379:{port}", FtProcess.Guest("miniredis"));
        ft.WaitForOutput("miniredis listening on port 6379", TimeSpan.FromSeconds(30));

        using (var client = new RespClient(port))
        {
            Assert.Equal("PONG", client.Call("PING"));
            Assert.Equal("OK", client.Call("SET", "greeting", "hello"));
            Assert.Equal("hello", client.Call("GET", "greeting"));
            var big = new byte[6 << 20]; // past both 4 MiB guest socket buffers: backpressure both ways
            new Random(5).NextBytes(big);
            client.Send(RespClient.Encode("SET"u8.ToArray(), "big"u8.ToArray(), big));
            Assert.Equal("OK", Encoding.ASCII.GetString(client.ReadReply()));
            client.Send(RespClient.Encode("GET"u8.ToArray(), "big"u8.ToArray()));
            Assert.Equal(big, client.ReadReply());
        }

        ft.Signal("INT");
        Assert.Equal(130, ft.WaitForExit(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Redis_cli_gets_pong_and_round_trips_set_and_get()
    {
        var redisCli = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "redis-cli")).FirstOrDefault(File.Exists);
        if (redisCli is null)
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "CI must install redis-tools");
            return;
        }
        int port = FreePort.Next();
        using var ft = FtProcess.Start("run", "--expose", $"6379:{port}", FtProcess.Guest("miniredis"));
        ft.WaitForOutput("listening", TimeSpan.FromSeconds(30));
        Assert.Equal("PONG", Cli(redisCli, port, ft, "PING"));
        Assert.Equal("OK", Cli(redisCli, port, ft, "SET", "k", "some value"));
        Assert.Equal("some value", Cli(redisCli, port, ft, "GET", "k"));
        Assert.Equal("1", Cli(redisCli, port, ft, "INCR", "n"));
    }

    /// <summary>One redis-cli call; a failure says what redis-cli and ft printed (CI once saw an empty reply to SET).</summary>
    private static string Cli(string redisCli, int port, FtProcess ft, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(redisCli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-p");
        psi.ArgumentList.Add(port.ToString());
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "redis-cli hung");
        if (output.Length == 0 || p.ExitCode != 0)
        {
            Assert.Fail($"redis-cli {string.Join(' ', args)} exited {p.ExitCode} with no reply; its stderr: '{stderr.Result.Trim()}'; " +
                $"ft {(ft.HasExited ? "has exited" : "runs")}, stdout: '{ft.Stdout.Trim()}', stderr: '{ft.Stderr.Trim()}'");
        }
        return output.TrimEnd('\n');
    }
}
