using System.Diagnostics;
using TrainSage.Training.Metrics;
using Xunit;

namespace TrainSage.Distributed.Tests;

/// <summary>
/// Two "hosts" on one machine: network namespaces joined by a bridge, with an address each, and mpiexec starting
/// one rank in each through a launcher agent (what ssh does between real machines) with MPI over TCP only. The
/// data-parallel run must reproduce the single-process loss sequence, as across real machines.
/// </summary>
public sealed class TwoHostTrainingTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    private readonly string root = Directory.CreateTempSubdirectory("trainsage-hosts-").FullName;
    private readonly TestNetwork network = new();

    public void Dispose()
    {
        network.Dispose();
        Directory.Delete(root, recursive: true);
    }

    [NetworkNamespaceFact]
    public void Two_hosts_over_tcp_reproduce_the_loss_sequence_of_one_process()
    {
        var recipe = DataParallelTrainingTests.WriteRecipe(root);
        var cli = Path.Combine(AppContext.BaseDirectory, "trainsage.dll");
        string[] args = ["pretrain", recipe, "--set", "name=one"];
        var one = WorkerProcess.RunProgram(cli, args, Limit);
        Assert.True(one.ExitCode == 0, one.Output);

        var hostfile = Path.Combine(root, "hosts");
        File.WriteAllLines(hostfile, network.Hosts.Select(h => $"{h.Address} slots=1"));
        var start = WorkerProcess.MpiStart(2, cli, ["pretrain", recipe, "--set", "name=two-hosts"]);
        string[] mpi = ["--hostfile", hostfile, "--mca", "plm_rsh_agent", network.WriteLauncher(root), "--mca", "btl", "tcp,self",
            "--mca", "btl_tcp_if_include", network.Subnet, "--mca", "oob_tcp_if_include", network.Subnet];
        for (var i = 0; i < mpi.Length; i++) start.ArgumentList.Insert(i, mpi[i]);
        var two = WorkerProcess.Run(start, Limit);
        Assert.False(two.TimedOut, two.Output);
        Assert.True(two.ExitCode == 0, two.Output);

        var expected = MetricsLog.Read(Path.Combine(root, "runs", "one")).Select(r => r.TrainLoss).ToList();
        var actual = MetricsLog.Read(Path.Combine(root, "runs", "two-hosts")).Select(r => r.TrainLoss).ToList();
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * expected[i], $"step {i + 1}: {expected[i]} vs {actual[i]}");
    }
}

/// <summary>A bridge in this namespace and two network namespaces plugged into it, removed on dispose.</summary>
internal sealed class TestNetwork : IDisposable
{
    private readonly int id = Environment.ProcessId % 200 + 20;

    public TestNetwork()
    {
        Run($"ip link add tsbr{id} type bridge", $"ip addr add 10.231.{id}.1/24 dev tsbr{id}", $"ip link set tsbr{id} up");
        foreach (var (ns, address) in Hosts)
        {
            var veth = $"tsv{id}{ns[^1]}";
            Run($"ip netns add {ns}", $"ip link add {veth} type veth peer name eth0 netns {ns}", $"ip link set {veth} master tsbr{id}",
                $"ip link set {veth} up", $"ip netns exec {ns} ip addr add {address}/24 dev eth0", $"ip netns exec {ns} ip link set eth0 up",
                $"ip netns exec {ns} ip link set lo up");
        }
    }

    public IReadOnlyList<(string Namespace, string Address)> Hosts => [($"tshost{id}a", $"10.231.{id}.2"), ($"tshost{id}b", $"10.231.{id}.3")];

    public string Subnet => $"10.231.{id}.0/24";

    /// <summary>
    /// Open MPI's launcher agent ("agent host command..."): runs the command inside that host's namespace, with a
    /// temporary directory of its own as a real host has (daemons sharing /tmp race to create Open MPI's session
    /// directories: "mkdir ... File exists"). Returns the agent command line.
    /// </summary>
    public string WriteLauncher(string folder)
    {
        var path = Path.Combine(folder, "netns-launch.sh");
        var cases = string.Join("\n", Hosts.Select(h => $"  {h.Address}) ns={h.Namespace};;"));
        var tmp = Path.Combine(folder, "tmp-$ns");
        File.WriteAllText(path, $"#!/bin/sh\nhost=$1; shift\ncase $host in\n{cases}\n  *) echo \"unknown host $host\" >&2; exit 1;;\nesac\n" +
            $"mkdir -p {tmp}\nexec ip netns exec $ns env TMPDIR={tmp} sh -c \"$*\"\n");
        return $"sh {path}";
    }

    public void Dispose()
    {
        foreach (var (ns, _) in Hosts) RunQuietly($"ip netns del {ns}");
        RunQuietly($"ip link del tsbr{id}");
    }

    private static void Run(params string[] commands)
    {
        foreach (var command in commands)
            if (RunQuietly(command) is { } error) throw new InvalidOperationException($"`{command}` failed: {error}");
    }

    /// <summary>Runs a command; returns its error output when it fails, else null.</summary>
    private static string? RunQuietly(string command)
    {
        var parts = command.Split(' ');
        var start = new ProcessStartInfo(parts[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var part in parts.Skip(1)) start.ArgumentList.Add(part);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? null : error.Trim();
    }
}

/// <summary>Needs mpiexec, root (to make network namespaces) and iproute2; skipped, with the reason, elsewhere.</summary>
public sealed class NetworkNamespaceFactAttribute : FactAttribute
{
    public NetworkNamespaceFactAttribute() => Skip = WorkerProcess.MpiSkipReason ?? NamespaceSkipReason();

    private static string? NamespaceSkipReason()
    {
        if (Environment.UserName != "root") return "making network namespaces needs root";
        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip")) return "iproute2 (ip) is not installed: apt install iproute2";
        return null;
    }
}
