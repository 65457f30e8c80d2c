using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Models.Blocks;

/// <summary>
/// The two-layer MLP of GPT-J and GPT-NeoX: out(act(in(x))), both with bias. The families name the layers
/// differently (GPT-J <c>fc_in</c>/<c>fc_out</c>, GPT-NeoX <c>dense_h_to_4h</c>/<c>dense_4h_to_h</c>), so they are
/// registered under the names given.
/// </summary>
internal sealed class GeluMlp : Module<Tensor, Tensor>
{
    // Not fields of a module type: registered by name below instead of by field name.
    private readonly Linear[] _layers;
    private readonly Activation _activation;

    public GeluMlp(string inName, string outName, long hidden, long inner, Activation activation, ScalarType dtype) : base("mlp")
    {
        _layers = [Linear(hidden, inner, dtype: dtype), Linear(inner, hidden, dtype: dtype)];
        _activation = activation;
        register_module(inName, _layers[0]);
        register_module(outName, _layers[1]);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var hidden = _layers[0].forward(input);
        return _layers[1].forward(_activation.Apply(hidden)).MoveToOuterDisposeScope();
    }
}
