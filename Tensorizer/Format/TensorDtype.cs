using System.Collections.Frozen;

namespace Tensorizer.Format;

/// <summary>
/// A tensor's dtype as tensorizer stores it: a numpy <c>dtype.str</c> such as <c>&lt;f2</c>, or, for torch
/// dtypes numpy lacks (format version 2+), the opaque form <c>"&lt;V2\0torch.bfloat16"</c>.
/// </summary>
public sealed record TensorDtype
{
    private const char OpaqueSeparator = '\0';

    private static readonly FrozenDictionary<string, TensorElementType> NumpyTypes = new Dictionary<string, TensorElementType>
    {
        ["|b1"] = TensorElementType.Bool,
        ["|u1"] = TensorElementType.UInt8,
        ["|i1"] = TensorElementType.Int8,
        ["<i2"] = TensorElementType.Int16,
        ["<u2"] = TensorElementType.UInt16,
        ["<i4"] = TensorElementType.Int32,
        ["<u4"] = TensorElementType.UInt32,
        ["<i8"] = TensorElementType.Int64,
        ["<u8"] = TensorElementType.UInt64,
        ["<f2"] = TensorElementType.Float16,
        ["<f4"] = TensorElementType.Float32,
        ["<f8"] = TensorElementType.Float64,
        ["<c8"] = TensorElementType.Complex64,
        ["<c16"] = TensorElementType.Complex128,
    }.ToFrozenDictionary();

    // Torch dtypes numpy cannot represent; tensorizer stores them as raw void elements of the same size.
    private static readonly FrozenDictionary<string, TensorElementType> OpaqueTorchTypes = new Dictionary<string, TensorElementType>
    {
        ["torch.bfloat16"] = TensorElementType.BFloat16,
        ["torch.complex32"] = TensorElementType.Complex32,
        ["torch.float8_e4m3fn"] = TensorElementType.Float8E4M3FN,
        ["torch.float8_e5m2"] = TensorElementType.Float8E5M2,
        ["torch.float8_e4m3fnuz"] = TensorElementType.Float8E4M3FNUZ,
        ["torch.float8_e5m2fnuz"] = TensorElementType.Float8E5M2FNUZ,
        ["torch.float8_e8m0fnu"] = TensorElementType.Float8E8M0FNU,
    }.ToFrozenDictionary();

    private TensorDtype(string text, TensorElementType elementType, bool isOpaque)
    {
        Text = text;
        ElementType = elementType;
        IsOpaque = isOpaque;
    }

    /// <summary>The string exactly as stored in the file.</summary>
    public string Text { get; }

    public TensorElementType ElementType { get; }

    /// <summary>True for the <c>numpy\0torch</c> form, which needs format version 2.</summary>
    public bool IsOpaque { get; }

    public int ElementSize => SizeOf(ElementType);

    /// <summary>Parses a stored dtype string; big-endian, unknown or malformed strings are refused.</summary>
    public static TensorDtype Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var separator = text.IndexOf(OpaqueSeparator, StringComparison.Ordinal);
        if (separator < 0)
        {
            return NumpyTypes.TryGetValue(text, out var type)
                ? new TensorDtype(text, type, isOpaque: false)
                : throw Unsupported(text);
        }

        var numpyPart = text[..separator];
        var torchPart = text[(separator + 1)..];
        if (torchPart.Contains(OpaqueSeparator, StringComparison.Ordinal))
        {
            throw new TensorizerFormatException($"Dtype {Quote(text)} has more than one opaque separator.");
        }

        if (!OpaqueTorchTypes.TryGetValue(torchPart, out var opaqueType))
        {
            throw Unsupported(text);
        }

        // The numpy part is the raw element: '|V1', '<V2', '<V4'. Its size must agree with the torch dtype.
        var expectedNumpy = RawElement(SizeOf(opaqueType));
        if (numpyPart != expectedNumpy)
        {
            throw numpyPart.StartsWith('>')
                ? Unsupported(text)
                : new TensorizerFormatException($"Dtype {Quote(text)}: raw element '{numpyPart}' does not match {torchPart} (expected '{expectedNumpy}').");
        }

        return new TensorDtype(text, opaqueType, isOpaque: true);
    }

    /// <summary>The string upstream's writer emits for an element type.</summary>
    public static TensorDtype For(TensorElementType elementType)
    {
        foreach (var (text, type) in NumpyTypes)
        {
            if (type == elementType)
            {
                return new TensorDtype(text, type, isOpaque: false);
            }
        }

        foreach (var (torchName, type) in OpaqueTorchTypes)
        {
            if (type == elementType)
            {
                return new TensorDtype(RawElement(SizeOf(type)) + OpaqueSeparator + torchName, type, isOpaque: true);
            }
        }

        throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "No tensorizer dtype string for this element type.");
    }

    public static int SizeOf(TensorElementType type) => type switch
    {
        TensorElementType.Bool or TensorElementType.UInt8 or TensorElementType.Int8 or TensorElementType.Float8E4M3FN
            or TensorElementType.Float8E5M2 or TensorElementType.Float8E4M3FNUZ or TensorElementType.Float8E5M2FNUZ
            or TensorElementType.Float8E8M0FNU => 1,
        TensorElementType.Int16 or TensorElementType.UInt16 or TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
        TensorElementType.Int32 or TensorElementType.UInt32 or TensorElementType.Float32 or TensorElementType.Complex32 => 4,
        TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Float64 or TensorElementType.Complex64 => 8,
        TensorElementType.Complex128 => 16,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>The dtype for display: opaque strings show their torch name.</summary>
    public override string ToString() => IsOpaque ? Text.Replace(OpaqueSeparator, '/') : Text;

    /// <summary>numpy's <c>dtype.str</c> of a void element: byte order '|' for one byte, '&lt;' above.</summary>
    private static string RawElement(int size) =>
        (size == 1 ? "|V" : "<V") + size.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static TensorizerUnsupportedException Unsupported(string text) =>
        text.StartsWith('>') || text.Contains("\0>", StringComparison.Ordinal)
            ? new TensorizerUnsupportedException($"Dtype {Quote(text)} is big-endian; only little-endian files are supported.")
            : new TensorizerUnsupportedException($"Dtype {Quote(text)} is not a dtype tensorizer writes or this library knows.");

    private static string Quote(string text) => "'" + text.Replace("\0", "\\0", StringComparison.Ordinal) + "'";
}
