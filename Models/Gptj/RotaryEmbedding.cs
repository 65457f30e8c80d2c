using Models.Torch;
using static TorchSharp.torch;

namespace Models.Gptj;

/// <summary>
/// GPT-J's rotary position embedding: the first <c>rotary_dim</c> dims of each head rotate in interleaved pairs
/// (x0, x1), (x2, x3), … by angle position × 10000^(−2j/rotary_dim) (HF's rotate_every_two); the rest pass through.
/// </summary>
internal sealed class RotaryEmbedding
{
    private readonly int _rotaryDim;
    private readonly Tensor _sin;
    private readonly Tensor _cos;

    public RotaryEmbedding(int rotaryDim, int maxPositions, Device device)
    {
        _rotaryDim = rotaryDim;
        using var scope = NewDisposeScope();
        var angles = tensor(Angles(rotaryDim, maxPositions), [maxPositions, rotaryDim / 2]);
        _sin = angles.sin().to(device).DetachFromDisposeScope(); // lives as long as the model
        _cos = angles.cos().to(device).DetachFromDisposeScope();
    }

    /// <summary>Rotates <paramref name="x"/> [batch, tokens, heads, head_dim] at <paramref name="positions"/> [batch, tokens].</summary>
    public Tensor Apply(Tensor x, Tensor positions)
    {
        if (_rotaryDim == 0)
        {
            return x.alias();
        }

        using var scope = NewDisposeScope();
        var shape = x.shape;
        var flat = positions.flatten();
        var sin = _sin.index_select(0, flat).reshape(shape[0], shape[1], 1, _rotaryDim / 2); // [batch, tokens, 1, rotary/2]
        var cos = _cos.index_select(0, flat).reshape(shape[0], shape[1], 1, _rotaryDim / 2);
        var rotary = x.narrow(-1, 0, _rotaryDim).to_type(ScalarType.Float32)
            .reshape(shape[0], shape[1], shape[2], _rotaryDim / 2, 2);
        var even = rotary.select(-1, 0);
        var odd = rotary.select(-1, 1);
        var rotated = stack([(even * cos) - (odd * sin), (odd * cos).Plus(even * sin)], -1)
            .reshape(shape[0], shape[1], shape[2], _rotaryDim)
            .to_type(x.dtype);
        var result = _rotaryDim == shape[3] ? rotated : cat([rotated, x.narrow(-1, _rotaryDim, shape[3] - _rotaryDim)], -1);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>position × 10000^(−2j/rotary_dim) for every position and pair j, in float64 rounded to float32 (as HF).</summary>
    private static float[] Angles(int rotaryDim, int maxPositions)
    {
        var pairs = rotaryDim / 2;
        var angles = new float[maxPositions * pairs];
        for (var j = 0; j < pairs; j++)
        {
            var inverseFrequency = 1.0 / Math.Pow(10000.0, 2.0 * j / rotaryDim);
            for (var position = 0; position < maxPositions; position++)
            {
                angles[(position * pairs) + j] = (float)(position * inverseFrequency);
            }
        }

        return angles;
    }
}
