using System.Text.Json.Nodes;

namespace ChatTemplates;

/// <summary>What a chat template is rendered with, named as transformers' <c>apply_chat_template</c> names it.</summary>
public sealed record ChatTemplateContext
{
    public IReadOnlyList<ChatMessage> Messages { get; init; } = [];

    /// <summary><c>bos_token</c>; left undefined when null (as transformers leaves a tokenizer's unset tokens).</summary>
    public string? BosToken { get; init; }

    /// <summary><c>eos_token</c>; left undefined when null.</summary>
    public string? EosToken { get; init; }

    /// <summary><c>add_generation_prompt</c>: end with the assistant's header so the model writes the reply.</summary>
    public bool AddGenerationPrompt { get; init; } = true;

    /// <summary><c>tools</c>: JSON schemas of the functions offered, or null (None, as transformers passes it).</summary>
    public JsonArray? Tools { get; init; }

    /// <summary><c>documents</c> for retrieval-augmented templates, or null (None).</summary>
    public JsonArray? Documents { get; init; }

    /// <summary>Further variables, after the ones above, replacing any of the same name: transformers'
    /// <c>chat_template_kwargs</c> (<c>enable_thinking</c>, <c>date_string</c>...), other special tokens.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Variables { get; init; } = new Dictionary<string, JsonNode?>();

    /// <summary>The clock <c>strftime_now</c> reads (local time, as Python's <c>datetime.now()</c>).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    internal Dictionary<string, JsonNode?> ToVariables()
    {
        var variables = new Dictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["messages"] = new JsonArray([.. Messages.Select(m => (JsonNode)m.ToJson())]),
            ["tools"] = Tools?.DeepClone(),
            ["documents"] = Documents?.DeepClone(),
            ["add_generation_prompt"] = AddGenerationPrompt,
        };
        if (BosToken is not null)
        {
            variables["bos_token"] = BosToken;
        }
        if (EosToken is not null)
        {
            variables["eos_token"] = EosToken;
        }
        foreach (var (name, value) in Variables)
        {
            variables[name] = value?.DeepClone();
        }
        return variables;
    }
}
