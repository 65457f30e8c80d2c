namespace Models.Generation;

/// <summary>
/// Chooses the next token from one sequence's logits, on the CPU in float32: repetition penalty, temperature,
/// top-k, top-p, then a draw from the sequence's own random generator (so a seed reproduces a request exactly,
/// whatever else shares its batch); greedy takes the argmax.
/// </summary>
internal sealed class TokenSampler(GenerationOptions options)
{
    private readonly Random _random = options.Seed is { } seed ? new Random(seed) : new Random();

    public int Next(Span<float> logits, IReadOnlyCollection<int> seen)
    {
        ApplyRepetitionPenalty(logits, seen);
        if (!options.DoSample || options.Temperature == 0)
        {
            return ArgMax(logits);
        }

        var scores = logits.ToArray();
        var candidates = MostLikely(scores, options.TopK > 0 ? Math.Min(options.TopK, scores.Length) : scores.Length);
        var keep = candidates.Length;

        // Softmax over the kept candidates at this temperature, most likely first.
        var probabilities = new double[keep];
        var max = scores[candidates[0]];
        double sum = 0;
        for (var i = 0; i < keep; i++)
        {
            probabilities[i] = Math.Exp((scores[candidates[i]] - max) / options.Temperature);
            sum += probabilities[i];
        }

        // Top-p: the smallest prefix whose mass reaches p (at least one token).
        double mass = 0;
        var nucleus = keep;
        for (var i = 0; i < keep; i++)
        {
            mass += probabilities[i] / sum;
            if (mass >= options.TopP)
            {
                nucleus = i + 1;
                break;
            }
        }

        var total = probabilities.AsSpan(0, nucleus).ToArray().Sum();
        var draw = _random.NextDouble() * total;
        for (var i = 0; i < nucleus; i++)
        {
            draw -= probabilities[i];
            if (draw <= 0)
            {
                return candidates[i];
            }
        }

        return candidates[nucleus - 1];
    }

    /// <summary>The <paramref name="count"/> highest-scoring token ids, best first (a bounded heap: top-k is usually small).</summary>
    private static int[] MostLikely(float[] scores, int count)
    {
        var heap = new PriorityQueue<int, float>(count + 1);
        for (var i = 0; i < scores.Length; i++)
        {
            heap.Enqueue(i, scores[i]);
            if (heap.Count > count)
            {
                heap.Dequeue(); // drops the lowest score
            }
        }

        var best = new int[heap.Count];
        for (var i = best.Length - 1; i >= 0; i--)
        {
            best[i] = heap.Dequeue();
        }

        return best;
    }

    private void ApplyRepetitionPenalty(Span<float> logits, IReadOnlyCollection<int> seen)
    {
        if (options.RepetitionPenalty == 1.0)
        {
            return;
        }

        foreach (var token in seen.Distinct())
        {
            var logit = logits[token];
            logits[token] = (float)(logit > 0 ? logit / options.RepetitionPenalty : logit * options.RepetitionPenalty);
        }
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
