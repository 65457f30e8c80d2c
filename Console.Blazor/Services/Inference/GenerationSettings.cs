namespace AdminConsole.Services.Inference;

/// <summary>The playground's protocols: KServe V1 predict (whole text at once) or OpenAI completions, streamed or not.</summary>
public enum PromptProtocol
{
    KServeV1,
    OpenAIStreaming,
    OpenAI,
}

/// <summary>Generation parameters both protocols understand; temperature 0 is greedy.</summary>
public sealed record GenerationSettings
{
    public int MaxTokens { get; init; } = 32;

    public double Temperature { get; init; } = 0.8;

    public double TopP { get; init; } = 1;

    /// <summary>0: no top-k.</summary>
    public int TopK { get; init; }

    public int? Seed { get; init; }
}

/// <summary>A piece of streamed text; the last piece carries the finish reason and, when the server counts them, token usage.</summary>
public sealed record CompletionChunk(string Text, string? FinishReason = null, int? CompletionTokens = null);
