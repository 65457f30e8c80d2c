using Models.Torch;
using static TorchSharp.torch;

namespace Models.Blocks;

/// <summary>How a head's rotary dims pair up.</summary>
public enum RotaryStyle
{
    /// <summary>GPT-J's rotate_every_two: (x0, x1), (x2, x3), … turn together.</summary>
    Interleaved,

    /// <summary>GPT-NeoX's and Llama's rotate_half: x[j] turns with x[j + rotary_dim/2].</summary>
    Halves,
}

/// <summary>cos and sin of every rotary angle of one forward pass, [batch, tokens, 1, rotary_dim/2], float32.</summary>
internal readonly record struct RotaryAngles(Tensor Cos, Tensor Sin);

/// <summary>
/// Rotary position embedding: the first <c>rotary_dim</c> dims of each head turn by position × inv_freq[j]; the rest
/// (partial rotary) pass through. The angles are computed once per forward pass, for the positions it sees (so no
/// table bounds the context, and dynamic scaling can follow the sequence length), as position × inv_freq rounded to
/// float32, as Hugging Face rounds them; the rotation itself runs in float32 whatever the weights' dtype.
/// </summary>
internal sealed class RotaryEmbedding
{
    private readonly RotaryStyle _style;
    private readonly Func<long, double[]> _frequencies;
    private readonly bool _dependsOnLength;
    private readonly double[] _fixed;

    /// <param name="frequencies">inv_freq for a forward pass whose longest sequence has the given length.</param>
    public RotaryEmbedding(int rotaryDim, RotaryStyle style, Func<long, double[]> frequencies, bool dependsOnLength)
    {
        if (rotaryDim < 0 || rotaryDim % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rotaryDim), rotaryDim, "The rotary dims must be even.");
        }

        RotaryDim = rotaryDim;
        _style = style;
        _frequencies = frequencies;
        _dependsOnLength = dependsOnLength;
        _fixed = frequencies(0);
    }

    public RotaryEmbedding(RopeParameters rope, RotaryStyle style)
        : this(rope.RotaryDim, style, rope.InverseFrequencies, rope.DependsOnLength)
    {
    }

    public int RotaryDim { get; }

    /// <summary>Dynamic scaling: the angles depend on the length of the pass.</summary>
    public bool DependsOnLength => _dependsOnLength;

    /// <summary>The angles at <paramref name="positions"/> [batch, tokens], in the caller's dispose scope.</summary>
    /// <param name="perRow">
    /// Each row is a sequence of its own (a paged pass of a continuous batch): with dynamic scaling, each row's own
    /// length decides its angles, as when it runs alone.
    /// </param>
    public RotaryAngles Angles(Tensor positions, bool perRow = false)
    {
        if (perRow && _dependsOnLength && positions.shape[0] > 1)
        {
            using var rows = NewDisposeScope();
            var each = Enumerable.Range(0, (int)positions.shape[0]).Select(row => Angles(positions.narrow(0, row, 1))).ToList();
            return new RotaryAngles(
                cat([.. each.Select(a => a.Cos)], 0).MoveToOuterDisposeScope(), cat([.. each.Select(a => a.Sin)], 0).MoveToOuterDisposeScope());
        }

        // Dynamic scaling: the longest sequence of this pass (max position + 1) decides, as in Hugging Face's
        // dynamic_rope_update; keys cached by earlier passes keep the angles they were rotated with, as there.
        var frequencies = _dependsOnLength ? _frequencies(positions.max().item<long>() + 1) : _fixed;
        using var scope = NewDisposeScope();
        var inverse = tensor(frequencies, ScalarType.Float64, positions.device);
        var angles = positions.to_type(ScalarType.Float64).unsqueeze(-1).mul(inverse).to_type(ScalarType.Float32).unsqueeze(2); // [batch, tokens, 1, rotary/2]
        return new RotaryAngles(angles.cos().MoveToOuterDisposeScope(), angles.sin().MoveToOuterDisposeScope());
    }

    /// <summary>Rotates <paramref name="x"/> [batch, tokens, heads, head_dim].</summary>
    public Tensor Apply(Tensor x, RotaryAngles angles)
    {
        if (RotaryDim == 0)
        {
            return x.alias();
        }

        using var scope = NewDisposeScope();
        var shape = x.shape;
        var half = RotaryDim / 2;
        var rotary = x.narrow(-1, 0, RotaryDim).to_type(ScalarType.Float32);
        Tensor rotated;
        if (_style == RotaryStyle.Interleaved)
        {
            // (x·cos) + (rotate_every_two(x)·sin): pair (2j, 2j+1) turns by angle j.
            var pairs = rotary.reshape(shape[0], shape[1], shape[2], half, 2);
            var even = pairs.select(-1, 0);
            var odd = pairs.select(-1, 1);
            rotated = stack([(even * angles.Cos) - (odd * angles.Sin), (odd * angles.Cos).Plus(even * angles.Sin)], -1)
                .reshape(shape[0], shape[1], shape[2], RotaryDim);
        }
        else
        {
            // (x·cos) + (rotate_half(x)·sin) with cos and sin repeated over both halves: x[j] turns with x[j + half].
            var first = rotary.narrow(-1, 0, half);
            var second = rotary.narrow(-1, half, half);
            rotated = cat([(first * angles.Cos) - (second * angles.Sin), (second * angles.Cos).Plus(first * angles.Sin)], -1);
        }

        rotated = rotated.to_type(x.dtype);
        var result = RotaryDim == shape[3] ? rotated : cat([rotated, x.narrow(-1, RotaryDim, shape[3] - RotaryDim)], -1);
        return result.MoveToOuterDisposeScope();
    }
}
