namespace AdminConsole.Configuration;

/// <summary>Where conversions run: in the console's process, or as converter Jobs in the cluster.</summary>
public enum ConsoleMode
{
    Local,
    Kubernetes,
}

/// <summary>
/// The console's settings, section <c>Console</c>: mode, the inference services by name, the model store, the
/// Aspire dashboard's address and the access token. Read once at start.
/// </summary>
public sealed record ConsoleOptions
{
    public const string Section = "Console";

    public ConsoleMode Mode { get; init; } = ConsoleMode.Local;

    /// <summary>
    /// Inference services by name: <c>Console:Services:gptj = http://inference</c>. Addresses may name an Aspire
    /// service (resolved by service discovery); without any, every service Aspire references (<c>services:*</c>) is used.
    /// </summary>
    public IReadOnlyDictionary<string, Uri> Services { get; init; } = new Dictionary<string, Uri>();

    /// <summary>
    /// The model store: a folder holding one folder per model (the PVC), or <c>s3://bucket/prefix/</c>. A relative
    /// folder is relative to the content root (the project folder under <c>dotnet run</c>).
    /// </summary>
    public string ModelStore { get; init; } = "models";

    /// <summary>The Aspire dashboard, linked from the health page (the AppHost sets it).</summary>
    public Uri? DashboardUrl { get; init; }

    /// <summary>When set, every page and the circuit require it (a login form opens a cookie session; or a bearer header).</summary>
    public string? AccessToken { get; init; }

    /// <summary>How long a signed-in session lasts without a request; each request past half of it renews it (sliding).</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(8);

    /// <summary>How often each service's <c>/status</c> is polled.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a status poll may take before the service counts as down.</summary>
    public TimeSpan StatusTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a prompt may take before it is abandoned (streams included).</summary>
    public TimeSpan GenerationTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public static ConsoleOptions FromConfiguration(IConfiguration configuration, string contentRoot)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(Section);
        var defaults = new ConsoleOptions();
        return new ConsoleOptions
        {
            Mode = section.GetValue("Mode", defaults.Mode),
            Services = ReadServices(configuration),
            ModelStore = Normalize(section["ModelStore"] is { Length: > 0 } store ? store : defaults.ModelStore, contentRoot),
            DashboardUrl = section["DashboardUrl"] is { Length: > 0 } dashboard ? new Uri(dashboard) : null,
            AccessToken = section["AccessToken"] is { Length: > 0 } token ? token : null,
            SessionLifetime = Positive(section.GetValue("SessionLifetime", defaults.SessionLifetime), "SessionLifetime"),
            PollInterval = section.GetValue("PollInterval", defaults.PollInterval),
            StatusTimeout = section.GetValue("StatusTimeout", defaults.StatusTimeout),
            GenerationTimeout = section.GetValue("GenerationTimeout", defaults.GenerationTimeout),
        };
    }

    private static TimeSpan Positive(TimeSpan value, string key) => value > TimeSpan.Zero
        ? value
        : throw new InvalidOperationException($"{Section}:{key} must be a positive time span (hh:mm:ss), not {value}.");

    private static string Normalize(string store, string contentRoot) =>
        store.Contains("://", StringComparison.Ordinal) ? store : Path.GetFullPath(Path.Combine(contentRoot, store));

    private static Dictionary<string, Uri> ReadServices(IConfiguration configuration)
    {
        var configured = configuration.GetSection(Section).GetSection("Services").GetChildren()
            .Where(s => !string.IsNullOrWhiteSpace(s.Value))
            .ToDictionary(s => s.Key, s => new Uri(s.Value!), StringComparer.OrdinalIgnoreCase);
        if (configured.Count > 0)
        {
            return configured;
        }

        // Aspire's WithReference sets services:{name}:{endpoint}:0; service discovery resolves the name.
        return configuration.GetSection("services").GetChildren()
            .ToDictionary(s => s.Key, s => new Uri($"https+http://{s.Key}"), StringComparer.OrdinalIgnoreCase);
    }
}
