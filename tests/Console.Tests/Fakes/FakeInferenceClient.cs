using System.Runtime.CompilerServices;
using AdminConsole.Services.Inference;
using AdminConsole.Services.Loads;

namespace AdminConsole.Tests.Fakes;

/// <summary>A service that answers with fixed pieces of text, one at a time, or fails with a given message.</summary>
internal sealed class FakeInferenceClient(string name, params string[] pieces) : IInferenceClient
{
    public string Name => name;

    public Uri Address => new($"http://{name}.test/");

    public string? FailWith { get; set; }

    /// <summary>A chat fails with this message once the request is sent, as the service's 400 does.</summary>
    public string? ChatFailsWith { get; set; }

    public List<(string Prompt, GenerationSettings Settings, bool Stream)> Completions { get; } = [];

    public List<(IReadOnlyList<ChatMessage> Messages, GenerationSettings Settings)> Chats { get; } = [];

    public TaskCompletionSource? Gate { get; set; }

    public Task<ServiceStatus> GetStatusAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<string> GetModelAsync(CancellationToken cancellationToken) =>
        FailWith is { } error ? Task.FromException<string>(new InferenceException(error)) : Task.FromResult("gptj");

    public Task<string> PredictAsync(string model, string prompt, GenerationSettings settings, CancellationToken cancellationToken) =>
        Task.FromResult(string.Concat(pieces));

    public async IAsyncEnumerable<CompletionChunk> CompleteAsync(
        string model, string prompt, GenerationSettings settings, bool stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Completions.Add((prompt, settings, stream));
        for (var i = 0; i < pieces.Length; i++)
        {
            if (i == 1 && Gate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken); // lets a test look at the page mid-stream
            }

            yield return new CompletionChunk(pieces[i], i == pieces.Length - 1 ? "length" : null);
        }
    }

    public async IAsyncEnumerable<CompletionChunk> ChatAsync(
        string model, IReadOnlyList<ChatMessage> messages, GenerationSettings settings, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Chats.Add(([.. messages], settings));
        if (ChatFailsWith is { } error)
        {
            throw new InferenceException(error);
        }

        for (var i = 0; i < pieces.Length; i++)
        {
            if (i == 1 && Gate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken); // lets a test look at the page mid-stream
            }

            yield return new CompletionChunk(pieces[i]);
        }

        yield return new CompletionChunk("", "stop", pieces.Length);
    }
}

internal sealed class FakeInferenceClients(params IInferenceClient[] clients) : IInferenceClients
{
    public IReadOnlyList<IInferenceClient> All => clients;

    public IInferenceClient ByName(string name) => clients.Single(c => c.Name == name);
}

internal sealed class FakeLoadMonitor(params ServiceLoad[] services) : ILoadMonitor
{
    private ServiceLoad[] _services = services;

    public event Action? Changed;

    public IReadOnlyList<ServiceLoad> Services => _services;

    public void Show(params ServiceLoad[] services)
    {
        _services = services;
        Changed?.Invoke();
    }
}
