namespace ChatTemplates;

/// <summary>
/// Bounds on one parse and one render, so that a hostile or broken template cannot hang or exhaust the service.
/// Past any of them the parse fails with a <see cref="TemplateSyntaxException"/> and the render with a
/// <see cref="TemplateLimitException"/>. The defaults are far above what real chat templates need.
/// </summary>
public sealed record TemplateLimits
{
    public static TemplateLimits Default { get; } = new();

    /// <summary>The longest template source accepted, in characters.</summary>
    public int MaxTemplateLength { get; init; } = 1 << 20;

    /// <summary>How deeply tags and expressions may nest in the source.</summary>
    public int MaxNestingDepth { get; init; } = 128;

    /// <summary>The longest output, and the longest string any expression may build, in characters.</summary>
    public int MaxOutputLength { get; init; } = 16 << 20;

    /// <summary>Loop iterations over the whole render, all loops together.</summary>
    public long MaxLoopIterations { get; init; } = 1_000_000;

    /// <summary>Evaluation steps (statements and expressions) over the whole render.</summary>
    public long MaxSteps { get; init; } = 20_000_000;

    /// <summary>How deeply macro calls may nest.</summary>
    public int MaxCallDepth { get; init; } = 64;

    /// <summary>The most items one list, dict or range may have.</summary>
    public int MaxCollectionLength { get; init; } = 1_000_000;
}
