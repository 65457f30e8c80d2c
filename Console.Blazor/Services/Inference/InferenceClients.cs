using AdminConsole.Configuration;

namespace AdminConsole.Services.Inference;

/// <summary>A named HttpClient per configured service (so service discovery resolves its address), each wrapped in an <see cref="InferenceClient"/>.</summary>
public sealed class InferenceClients : IInferenceClients
{
    private readonly Dictionary<string, IInferenceClient> _clients;

    public InferenceClients(ConsoleOptions options, IHttpClientFactory factory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(factory);
        All = [.. options.Services.Keys.Select(name => (IInferenceClient)new InferenceClient(
            name, factory.CreateClient(HttpClientName(name)), options.StatusTimeout, options.GenerationTimeout))];
        _clients = All.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<IInferenceClient> All { get; }

    public IInferenceClient ByName(string name) => _clients.TryGetValue(name, out var client)
        ? client
        : throw new InferenceException($"No inference service is named '{name}'; known: {string.Join(", ", _clients.Keys)}.");

    public static string HttpClientName(string service) => $"inference:{service}";

    /// <summary>
    /// One client per service. The defaults' retries and circuit breaker are removed: prompts are not idempotent, and
    /// a status poll must fail within its own short deadline rather than wait out backoffs.
    /// </summary>
    public static void Register(IServiceCollection services, ConsoleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var (name, address) in options.Services)
        {
            var baseAddress = address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");
#pragma warning disable EXTEXP0001 // experimental, but the only way to take one client out of ConfigureHttpClientDefaults' handler
            services.AddHttpClient(HttpClientName(name), http =>
            {
                http.BaseAddress = baseAddress;
                http.Timeout = Timeout.InfiniteTimeSpan; // each call sets its own deadline
            }).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        }

        services.AddSingleton<IInferenceClients, InferenceClients>();
    }
}
