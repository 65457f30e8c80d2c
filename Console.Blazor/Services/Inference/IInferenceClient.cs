namespace AdminConsole.Services.Inference;

/// <summary>One inference service, over HTTP: its load status, its model, and prompts by either protocol.</summary>
public interface IInferenceClient
{
    string Name { get; }

    Uri Address { get; }

    Task<ServiceStatus> GetStatusAsync(CancellationToken cancellationToken);

    /// <summary>The served model's name (KServe V1's model list).</summary>
    Task<string> GetModelAsync(CancellationToken cancellationToken);

    /// <summary>KServe V1 <c>:predict</c> with one instance; returns the continuation (without the prompt).</summary>
    Task<string> PredictAsync(string model, string prompt, GenerationSettings settings, CancellationToken cancellationToken);

    /// <summary>OpenAI <c>/v1/completions</c>; streamed as server-sent events, or one chunk when <paramref name="stream"/> is false.</summary>
    IAsyncEnumerable<CompletionChunk> CompleteAsync(string model, string prompt, GenerationSettings settings, bool stream, CancellationToken cancellationToken);

    /// <summary>
    /// OpenAI <c>/v1/chat/completions</c>, streamed: the reply to <paramref name="messages"/> (the whole conversation, in
    /// order) as pieces of text; the last pieces carry the finish reason and the server's token count.
    /// </summary>
    IAsyncEnumerable<CompletionChunk> ChatAsync(string model, IReadOnlyList<ChatMessage> messages, GenerationSettings settings, CancellationToken cancellationToken);
}

/// <summary>The inference services the console knows, by name, in configuration order.</summary>
public interface IInferenceClients
{
    IReadOnlyList<IInferenceClient> All { get; }

    IInferenceClient ByName(string name);
}
