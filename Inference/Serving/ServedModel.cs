using Inference.Hosting;
using Models.Generation;

namespace Inference.Serving;

/// <summary>
/// The one model this process serves: what <see cref="ModelHost"/> loaded (a <see cref="TextGenerator"/>: model,
/// tokenizer and generation defaults; the model's <see cref="IChatRenderer"/>), and the continuous-batching
/// <see cref="GenerationScheduler"/>.
/// Requests are checked against the context here, at the boundary every protocol and engine shares.
/// </summary>
internal sealed class ServedModel(ModelHost host, GenerationScheduler scheduler) : IServedModel
{
    public string Name => host.ModelName;

    public bool IsReady => host.IsReady;

    public ModelInfo Info
    {
        get
        {
            var generator = host.Generator;
            var config = generator.Model.Config;
            return new ModelInfo(config.ContextLength, config.VocabularySize, config.EndOfTextId ?? generator.Tokenizer.SpecialTokens.EndOfText?.Id)
            {
                Defaults = generator.Defaults,
            };
        }
    }

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens, int maxTokens, CancellationToken cancellationToken) =>
        host.Generator.Tokenizer.Encode(text, addSpecialTokens, maxTokens, cancellationToken);

    public string Decode(IReadOnlyList<int> tokens, bool skipSpecialTokens = false) => host.Generator.Tokenizer.Decode(tokens, skipSpecialTokens);

    public ChatPrompt RenderChat(IReadOnlyList<ChatTurn> turns) => host.ChatRenderer.Render(turns);

    public GenerationRequest Submit(IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        var context = Info.ContextLength;
        if (prompt.Count == 0)
        {
            throw new InvalidRequestException("The prompt is empty.", code: "invalid_value");
        }

        // 64-bit: a max_new_tokens near int.MaxValue must not wrap around and pass.
        var total = (long)prompt.Count + options.MaxNewTokens;
        if (total > context)
        {
            throw new InvalidRequestException(
                $"This model's maximum context length is {context} tokens. However, you requested {total} tokens ({prompt.Count} in the prompt, {options.MaxNewTokens} to generate).",
                code: "context_length_exceeded");
        }

        // The KV cache is shared: a request that needs more than all of it would wait forever; one that needs more
        // than is free now waits in the queue.
        var engine = host.Engine;
        if (!engine.CanEverFit(prompt.Count, options.MaxNewTokens))
        {
            throw new InvalidRequestException(
                $"This request needs {engine.TokensFor(prompt.Count, options.MaxNewTokens)} tokens of KV cache ({prompt.Count} in the prompt, {options.MaxNewTokens} to generate); " +
                $"the server's cache holds {engine.CacheTokens} ({Tensorizer.Configuration.SettingNames.KvCacheTokens}). Send a shorter prompt or a smaller max_tokens.",
                code: "context_length_exceeded");
        }

        return scheduler.Submit(prompt, options, cancellationToken);
    }
}
