using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Containers.Tests;

/// <summary>
/// Everything the container tests run on, made once for the test class and removed after it: podman and buildah storage in a
/// temporary folder, a Debian base image made by debootstrap (its root file system cached between runs), a
/// <c>docker-registry</c> on 127.0.0.1 serving it to the SDK as <c>localhost:PORT</c>, and the three images built by
/// <c>build/images.sh</c> against it and loaded into podman. The tests need root and Debian's <c>debootstrap podman buildah
/// docker-registry runc</c>; without them they are skipped with the reason, unless <c>REQUIRE_CONTAINERS=1</c> (as CI sets it).
/// </summary>
public sealed class ContainerHost : IAsyncLifetime
{
    public const string RequireVariable = "REQUIRE_CONTAINERS";

    /// <summary>Bump when the base's package list or set-up changes: the cached root file system is named by it.</summary>
    private const string BaseVersion = "bookworm-minbase-1";

    private const string BasePackages = "libicu72,libssl3,zlib1g,ca-certificates,libstdc++6,libgcc-s1";

    private static readonly string[] Tools = ["podman", "buildah", "debootstrap", "docker-registry", "runc"];

    private readonly string _root = Directory.CreateTempSubdirectory("containers-tests-").FullName;
    private readonly List<string> _containers = [];
    private readonly List<string> _images = [];
    private System.Diagnostics.Process? _registry;

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

    /// <summary>The variables that point podman and buildah at this run's storage and settings.</summary>
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
        var rootfs = await BaseRootFileSystemAsync();
        var registry = await StartRegistryAsync();
        var baseImage = $"{registry}/tensorizer-tests/base:{Tag}";
        await BuildBaseImageAsync(rootfs, baseImage);

        var archives = Path.Combine(_root, "images");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var build = await Tool.RunAsync(
            "bash",
            [Path.Combine(TestData.RepositoryRoot, "build", "images.sh"), "--tag", Tag, "--archive-dir", archives, "--base", baseImage],
            new Dictionary<string, string> { ["XDG_CACHE_HOME"] = Path.Combine(_root, "sdk-cache"), ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" },
            TimeSpan.FromMinutes(20),
            TestData.RepositoryRoot);
        BuildTime = started.Elapsed;
        BuildSummary = build.Check();
        BuildSummary = BuildSummary[BuildSummary.LastIndexOf("Images:", StringComparison.Ordinal)..];
        await StopRegistryAsync(); // the registry is needed while the SDK pulls the base, no longer

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

        await StopRegistryAsync();
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

    /// <summary>Debian 12's minimal root file system with .NET's dependencies and the images' user, cached under ~/.cache.</summary>
    private static async Task<string> BaseRootFileSystemAsync()
    {
        var cacheHome = System.Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache");
        var cache = Path.Combine(cacheHome, "tensorizer-dotnet", "container-base");
        var rootfs = Path.Combine(cache, BaseVersion);
        if (Directory.Exists(rootfs))
        {
            return rootfs;
        }

        Directory.CreateDirectory(cache);
        var partial = Path.Combine(cache, $".{BaseVersion}-{Guid.NewGuid():N}");
        try
        {
            (await Tool.RunAsync(
                "debootstrap",
                ["--variant=minbase", "--include=" + BasePackages, "bookworm", partial, "http://deb.debian.org/debian"],
                timeout: TimeSpan.FromMinutes(10))).Check();

            // The images' non-root user, as Microsoft's images have it ("app", 1654), with a home for .NET's files.
            await File.AppendAllTextAsync(Path.Combine(partial, "etc", "passwd"), "app:x:1654:1654:app:/home/app:/usr/sbin/nologin\n");
            await File.AppendAllTextAsync(Path.Combine(partial, "etc", "group"), "app:x:1654:\n");
            (await Tool.RunAsync("bash", ["-c", $"mkdir -p '{partial}/home/app' && chown 1654:1654 '{partial}/home/app' && rm -rf '{partial}'/var/cache/apt/archives/*.deb '{partial}'/var/lib/apt/lists/*"])).Check();
            Directory.Move(partial, rootfs);
        }
        catch (IOException) when (Directory.Exists(rootfs))
        {
            // Another run cached it first.
        }
        finally
        {
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);
            }
        }

        return rootfs;
    }

    /// <summary>Starts <c>docker-registry</c> on a free port and answers the name the SDK reaches it by (plain HTTP for localhost).</summary>
    private async Task<string> StartRegistryAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var config = Path.Combine(_root, "registry.yml");
            await File.WriteAllTextAsync(config, $"""
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: {Path.Combine(_root, "registry")}
                http:
                  addr: 127.0.0.1:{port}
                """);
            var start = new System.Diagnostics.ProcessStartInfo(Tool.Find("docker-registry")!, ["serve", config])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            _registry = System.Diagnostics.Process.Start(start)!;
            _registry.OutputDataReceived += (_, _) => { };
            _registry.ErrorDataReceived += (_, _) => { };
            _registry.BeginOutputReadLine();
            _registry.BeginErrorReadLine();

            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            for (var wait = 0; wait < 100 && !_registry.HasExited; wait++)
            {
                try
                {
                    if ((await client.GetAsync(new Uri($"http://127.0.0.1:{port}/v2/"))).IsSuccessStatusCode)
                    {
                        return $"localhost:{port}";
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(100);
            }

            await StopRegistryAsync();
            if (attempt == 2)
            {
                throw new InvalidOperationException("docker-registry did not answer on 127.0.0.1 (three ports tried).");
            }
        }
    }

    private async Task StopRegistryAsync()
    {
        if (_registry is { } registry)
        {
            _registry = null;
            if (!registry.HasExited)
            {
                registry.Kill(entireProcessTree: true);
                await registry.WaitForExitAsync();
            }

            registry.Dispose();
        }
    }

    /// <summary><c>buildah from scratch</c>, the root file system copied in, committed and pushed to the registry.</summary>
    private async Task BuildBaseImageAsync(string rootfs, string image)
    {
        var container = (await Tool.RunAsync("buildah", ["from", "scratch"], Environment)).Check().Trim();
        try
        {
            (await Tool.RunAsync("buildah", ["copy", container, rootfs + "/", "/"], Environment, TimeSpan.FromMinutes(5))).Check();
            (await Tool.RunAsync("buildah", ["config", "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--env", "APP_UID=1654", container], Environment)).Check();
            (await Tool.RunAsync("buildah", ["commit", "--rm", container, "localhost/tensorizer-tests-base:" + Tag], Environment, TimeSpan.FromMinutes(5))).Check();
        }
        catch
        {
            await Tool.RunAsync("buildah", ["rm", container], Environment);
            throw;
        }

        _images.Add("localhost/tensorizer-tests-base:" + Tag);
        (await Tool.RunAsync(
            "buildah",
            ["push", "--tls-verify=false", "localhost/tensorizer-tests-base:" + Tag, "docker://" + image],
            Environment,
            TimeSpan.FromMinutes(5))).Check();
    }
}
