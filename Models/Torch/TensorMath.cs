using static TorchSharp.torch;

namespace Models.Torch;

/// <summary>
/// Arithmetic with operands that stay alive for the whole native call (see <see cref="Scalars"/>). TorchSharp's
/// <c>+</c> and <c>add</c> pass a temporary alpha of 1 and its operators with numbers convert them to temporary
/// scalars, so model code uses these instead; <c>*</c>, <c>/</c> and <c>-</c> between tensors are safe as they are.
/// </summary>
internal static class TensorMath
{
    public static Tensor Plus(this Tensor left, Tensor right) => left.add(right, Scalars.One);

    public static Tensor Plus(this Tensor left, double right) => left.add(Scalars.Of(right), Scalars.One);

    public static Tensor Times(this Tensor left, double right) => left.mul(Scalars.Of(right));

    public static Tensor DividedBy(this Tensor left, double right) => left.div(Scalars.Of(right));

    public static Tensor Power(this Tensor tensor, long exponent) => tensor.pow(Scalars.Of(exponent));
}
