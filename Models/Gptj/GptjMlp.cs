using Models.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Gptj;

/// <summary>fc_in → gelu_new (tanh approximation) → fc_out.</summary>
internal sealed class GptjMlp : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006, CA1051, SA1307 // Field names are the Hugging Face parameter names.
    public readonly Linear fc_in;
    public readonly Linear fc_out;
#pragma warning restore IDE1006, CA1051, SA1307

    private readonly bool _tanhApproximation;

    public GptjMlp(GptjConfig config, ScalarType dtype) : base("mlp")
    {
        fc_in = Linear(config.NEmbd, config.InnerDim, dtype: dtype);
        fc_out = Linear(config.InnerDim, config.NEmbd, dtype: dtype);
        _tanhApproximation = config.ActivationFunction == "gelu_new";
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var hidden = fc_in.forward(input);
        var activated = _tanhApproximation ? GeluNew(hidden) : functional.gelu(hidden);
        return fc_out.forward(activated).MoveToOuterDisposeScope();
    }

    /// <summary>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed in float32.</summary>
    private static Tensor GeluNew(Tensor x)
    {
        var x32 = x.to_type(ScalarType.Float32);
        var inner = x32.Plus(x32.Power(3).Times(0.044715)).Times(Math.Sqrt(2.0 / Math.PI));
        return x32.Times(0.5).mul(inner.tanh().Plus(1.0)).to_type(x.dtype);
    }
}
