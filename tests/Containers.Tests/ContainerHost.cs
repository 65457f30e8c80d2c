using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Containers.Tests;

/// <summary>
/// Everything the container tests run on, made once for the test class and removed after it: the three images built by
/// <c>build/images.sh --debian-base</c> (its own Debian base, served to the SDK from a <c>docker-registry</c> on 127.0.0.1,
/// no registry outside needed) and loaded into podman, whose storage and settings live in a temporary folder. The tests
/// need root and Debian's <c>debootstrap podman buildah docker-registry runc</c>; without them they are skipped with the
/// reason, unless <c>REQUIRE_CONTAINERS=1</c> (as CI sets it).
/// </summary>
public sealed class ContainerHost : IAsyncLifetime
{
    public const string RequireVariable = "REQUIRE_CONTAINERS";

    private static readonly string[] Tools = ["podman", "buildah", "debootstrap", "docker-registry", "runc", "python3"];

    private readonly string _root = Directory.CreateTempSubdirectory("containers-tests-").FullName;
    private readonly List<string> _containers = [];
    private readonly List<string> _images = [];

    /// <summary>Why the tests cannot run here; null when they can.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>The tag the images were built with (unique to this run).</summary>
    public string Tag { get; } = "test-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A folder of this run's own, deleted with the rest.</summary>
    public string Scratch => Path.Combine(_root, "scratch");

    /// <summary>The image's name as podman knows it after the load, by image name (inference, downloader, console).</summary>
    public IReadOnlyDictionary<string, string> Images => _loaded;

    /// <summary>What build/images.sh printed: the sizes.</summary>
    public string BuildSummary { get; private set; } = "";

    public TimeSpan BuildTime { get; private set; }

    private readonly Dictionary<string, string> _loaded = [];

    /// <summary>The variables that point podman at this run's storage and settings.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["CONTAINERS_STORAGE_CONF"] = Path.Combine(_root, "storage.conf"),
        ["CONTAINERS_CONF"] = Path.Combine(_root, "containers.conf"),
    };

    public async Task InitializeAsync()
    {
        var missing = Tools.Where(tool => Tool.Find(tool) is null).ToList();
        SkipReason = missing.Count > 0
            ? $"{string.Join(", ", missing)} not installed: `apt-get install -y debootstrap podman buildah docker-registry runc` to run the container tests"
            : !System.Environment.IsPrivilegedProcess ? "the container tests need root (debootstrap, podman's storage)" : null;
        if (SkipReason is not null)
        {
            if (System.Environment.GetEnvironmentVariable(RequireVariable) == "1")
            {
                throw new InvalidOperationException($"{RequireVariable}=1 but {SkipReason}");
            }

            return;
        }

        Directory.CreateDirectory(Scratch);
        WriteSettings();
        var archives = Path.Combine(_root, "images");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var build = await Tool.RunAsync(
            "bash",
            [Path.Combine(TestData.RepositoryRoot, "build", "images.sh"), "--debian-base", "--tag", Tag, "--archive-dir", archives],
            new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" },
            TimeSpan.FromMinutes(20),
            TestData.RepositoryRoot);
        BuildTime = started.Elapsed;
        BuildSummary = build.Check();
        BuildSummary = BuildSummary[BuildSummary.LastIndexOf("Images:", StringComparison.Ordinal)..];

        foreach (var name in new[] { "inference", "downloader", "console" })
        {
            var load = (await PodmanAsync(["load", "-i", Path.Combine(archives, name + ".tar.gz")], TimeSpan.FromMinutes(5))).Check();
            var loaded = load.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("Loaded image", StringComparison.Ordinal));
            _loaded[name] = loaded[(loaded.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
            _images.Add(_loaded[name]);
        }
    }

    public Task<ToolResult> PodmanAsync(IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        Tool.RunAsync("podman", arguments, Environment, timeout);

    /// <summary>Starts a container detached (host network, runc, the VM's limits) and remembers its id for removal.</summary>
    public async Task<string> RunDetachedAsync(IEnumerable<string> arguments)
    {
        var id = (await PodmanAsync(["run", "-d", "--network", "host", .. arguments])).Check().Trim();
        _containers.Add(id);
        return id;
    }

    /// <summary>A free TCP port on 127.0.0.1 (free when asked; the container binds it right after).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        if (SkipReason is not null)
        {
            Directory.Delete(_root, recursive: true);
            return;
        }

        // Everything this run started, by id; then its storage (no mounts stay behind once the containers are gone).
        foreach (var id in _containers)
        {
            await PodmanAsync(["rm", "-f", "-t", "0", id]);
        }

        foreach (var image in _images)
        {
            await PodmanAsync(["rmi", "-f", image]);
        }

        foreach (var mount in MountsUnder(_root))
        {
            await Tool.RunAsync("umount", ["-l", mount]);
        }

        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Mount points inside <paramref name="folder"/> (the overlay driver's, should any remain), deepest first.</summary>
    private static List<string> MountsUnder(string folder) =>
        [.. File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(' ')[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(mount => mount.StartsWith(folder + "/", StringComparison.Ordinal))
            .OrderByDescending(mount => mount.Length)];

    private void WriteSettings()
    {
        var storage = Path.Combine(_root, "storage");
        File.WriteAllText(Path.Combine(_root, "storage.conf"), $"""
            [storage]
            driver = "overlay"
            graphroot = "{storage}/graph"
            runroot = "{storage}/run"
            """);

        // crun fails on this VM's hybrid cgroup layout; podman's default limits (1048576) exceed the hard limits here.
        var nofile = Math.Min(HardLimit("-Hn"), 1048576);
        File.WriteAllText(Path.Combine(_root, "containers.conf"), $"""
            [containers]
            default_ulimits = ["nofile={nofile}:{nofile}", "nproc=32768:32768"]
            [engine]
            runtime = "runc"
            tmp_dir = "{storage}/tmp"
            events_logger = "none"
            """);
    }

    private static int HardLimit(string flag)
    {
        var result = Tool.RunAsync("bash", ["-c", "ulimit " + flag]).GetAwaiter().GetResult().Check().Trim();
        return result == "unlimited" ? 1048576 : int.Parse(result, CultureInfo.InvariantCulture);
    }
}
