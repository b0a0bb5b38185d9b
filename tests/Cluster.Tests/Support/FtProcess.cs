using System.Diagnostics;
using System.Text;

namespace FaultTolerant.Cluster.Tests.Support;

/// <summary>The ft command line as a real process: what a user types, with real exit codes and signals.</summary>
public sealed class FtProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly object _gate = new();

    private FtProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string RepoRoot { get; } = FindRoot();

    public static string Guest(string name) => Path.Combine(RepoRoot, "guests", "bin", name + ".elf");

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get
        {
            lock (_gate) return _stdout.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate) return _stderr.ToString();
        }
    }

    public static FtProcess Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepoRoot,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ft.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start ft");
        p.StandardInput.Close();
        return new FtProcess(p);
    }

    /// <summary>Runs ft to its end (bounded) and returns its exit code.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        using var ft = Start(args);
        int code = ft.WaitForExit(TimeSpan.FromSeconds(60));
        return (code, ft.Stdout, ft.Stderr);
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"ft did not exit within {timeout}; stdout: {Stdout}; stderr: {Stderr}");
        }
        _process.WaitForExit(); // drains the async readers
        return _process.ExitCode;
    }

    /// <summary>Waits until stdout contains <paramref name="text"/> (bounded).</summary>
    public void WaitForOutput(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"ft never printed '{text}'; stdout: {Stdout}; stderr: {Stderr}");
            }
            Thread.Sleep(20);
        }
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString()]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private void Append(StringBuilder sb, string? line)
    {
        if (line is null) return;
        lock (_gate) sb.Append(line).Append('\n');
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FaultTolerant.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("no FaultTolerant.sln above the test assembly");
    }
}
