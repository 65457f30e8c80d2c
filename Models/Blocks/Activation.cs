using Models.Torch;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Blocks;

/// <summary>The MLP activations the families use, by their <c>hidden_act</c> / <c>activation_function</c> names.</summary>
public enum Activation
{
    /// <summary><c>silu</c> (also named <c>swish</c>): x·σ(x).</summary>
    Silu,

    /// <summary><c>gelu</c>: the exact, erf-based GELU.</summary>
    Gelu,

    /// <summary><c>gelu_new</c>, <c>gelu_pytorch_tanh</c>, <c>gelu_fast</c>: GELU's tanh approximation.</summary>
    GeluTanh,
}

internal static class Activations
{
    /// <summary>Parses <paramref name="name"/>, the value of config key <paramref name="key"/>; refuses it by name unless it is one of <paramref name="allowed"/>.</summary>
    public static Activation Parse(string key, string name, params Activation[] allowed)
    {
        Activation? parsed = name switch
        {
            "silu" or "swish" => Activation.Silu,
            "gelu" => Activation.Gelu,
            "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => Activation.GeluTanh,
            _ => null,
        };
        return parsed is { } activation && allowed.Contains(activation)
            ? activation
            : throw new NotSupportedException($"config.json: {key} '{name}' is not supported; supported: {string.Join(", ", allowed.SelectMany(Names))}.");
    }

    public static Tensor Apply(this Activation activation, Tensor x) => activation switch
    {
        Activation.Silu => functional.silu(x),
        Activation.Gelu => functional.gelu(x),
        _ => GeluTanh(x),
    };

    /// <summary>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed in float32.</summary>
    public static Tensor GeluTanh(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to_type(ScalarType.Float32);
        var inner = x32.Plus(x32.Power(3).Times(0.044715)).Times(Math.Sqrt(2.0 / Math.PI));
        return x32.Times(0.5).mul(inner.tanh().Plus(1.0)).to_type(x.dtype).MoveToOuterDisposeScope();
    }

    private static string[] Names(Activation activation) => activation switch
    {
        Activation.Silu => ["silu", "swish"],
        Activation.Gelu => ["gelu"],
        _ => ["gelu_new", "gelu_pytorch_tanh", "gelu_fast"],
    };
}
