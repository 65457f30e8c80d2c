namespace Models.Generation;

/// <summary>How to continue a prompt; the defaults are greedy decoding of up to 50 tokens.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 50;

    /// <summary>Sample from the distribution; false takes the most likely token (greedy).</summary>
    public bool DoSample { get; init; }

    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep the k most likely tokens (0 keeps all).</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of tokens whose probability reaches p (1 keeps all).</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>CTRL-style penalty (&gt; 1 discourages tokens already in the prompt or output), as Hugging Face applies it.</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>Makes sampling reproducible per request, whatever else is in the batch.</summary>
    public int? Seed { get; init; }

    /// <summary>Generation stops when the output contains one; the output is cut before it.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>Stop at the model's end-of-text token.</summary>
    public bool StopAtEndOfText { get; init; } = true;

    /// <summary>
    /// What the original T9k/CoreWeave example's predictor did (a transformers pipeline): sampling with top-k 50, 50
    /// new tokens; it also returned the prompt with the continuation, which is the protocol layer's concern.
    /// </summary>
    public static GenerationOptions ExamplePredictorDefaults { get; } = new() { DoSample = true, TopK = 50, MaxNewTokens = 50 };

    public void Validate()
    {
        // Written so NaN fails every test: a NaN temperature or top-p would otherwise pass "not below zero".
        if (MaxNewTokens < 0 || !(Temperature >= 0) || double.IsInfinity(Temperature) || TopK < 0 || !(TopP is > 0 and <= 1)
            || !(RepetitionPenalty > 0) || double.IsInfinity(RepetitionPenalty))
        {
            throw new ArgumentException(
                $"Invalid generation options: max_new_tokens {MaxNewTokens}, temperature {Temperature}, top_k {TopK}, top_p {TopP}, repetition_penalty {RepetitionPenalty}.");
        }
    }
}
