using System.Globalization;
using Inference.Serving;

namespace Inference.Protocols;

/// <summary>
/// What every protocol accepts for sampling, as upstream servers bound it (vLLM's <c>SamplingParams</c>; OpenAI's
/// spec narrows temperature to [0, 2]): temperature finite and ≥ 0 (0 is greedy), top_p in (0, 1], top_k ≥ -1
/// (-1, vLLM's "off", and 0 keep every token), repetition_penalty finite and &gt; 0, seeds any 64-bit integer. JSON
/// numbers too large for a double (<c>1e400</c>) never get here: the readers refuse them as non-finite.
/// </summary>
internal static class SamplingBounds
{
    /// <summary>No upper bound but finiteness, as vLLM (OpenAI's endpoints pass the spec's 2).</summary>
    public static double Temperature(double value, string name, double max = double.MaxValue) =>
        value >= 0 && value <= max ? value
        : throw OutOfRange(name, value, max == double.MaxValue ? "a finite number ≥ 0 (0 is greedy)" : $"between 0 and {Text(max)}");

    public static double TopP(double value, string name) =>
        value > 0 && value <= 1 ? value : throw OutOfRange(name, value, "greater than 0 and at most 1 (use temperature 0 for greedy decoding)");

    /// <summary>The engine's top-k: 0 keeps every token, so vLLM's -1 reads as 0.</summary>
    public static int TopK(long value, string name) =>
        value is >= -1 and <= int.MaxValue ? (int)Math.Max(value, 0) : throw OutOfRange(name, value, $"-1 (off), 0 (off) or a positive integer up to {int.MaxValue}");

    public static double RepetitionPenalty(double value, string name) =>
        value > 0 && value <= double.MaxValue ? value : throw OutOfRange(name, value, "a finite number greater than 0 (1 is no penalty)");

    /// <summary>The engine's seeds are 32-bit: those that fit are kept, larger ones folded, so every 64-bit seed is reproducible.</summary>
    public static int Seed(long value) => value is >= int.MinValue and <= int.MaxValue ? (int)value : unchecked((int)value ^ (int)(value >> 32));

    private static InvalidRequestException OutOfRange(string name, double value, string expected) =>
        new($"{Text(value)} is out of range for '{name}': it must be {expected}.", name);

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
