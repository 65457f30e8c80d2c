using System.Buffers.Binary;
using System.Text;
using Inference.Serving;

namespace Inference.Protocols.KServeV2;

/// <summary>
/// The binary tensor data extension's BYTES layout: for each element, its length as a little-endian u32, then its
/// bytes. A request or response body is the JSON header (its length in <see cref="HeaderLengthHeader"/>) followed
/// by such blobs.
/// </summary>
internal static class V2BinaryTensors
{
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";

    // Prompts must be text: invalid UTF-8 is refused rather than silently replaced.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Splits a BYTES blob into its elements, decoded as UTF-8 text.</summary>
    public static List<string> DecodeStrings(ReadOnlySpan<byte> blob, string inputName)
    {
        var strings = new List<string>();
        while (!blob.IsEmpty)
        {
            if (blob.Length < sizeof(uint))
            {
                throw new InvalidRequestException($"Binary data of input '{inputName}' ends inside an element's 4-byte length.");
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(blob);
            blob = blob[sizeof(uint)..];
            if (length > (uint)blob.Length)
            {
                throw new InvalidRequestException(
                    $"Binary data of input '{inputName}': element {strings.Count} declares {length} bytes but only {blob.Length} remain.");
            }

            try
            {
                strings.Add(StrictUtf8.GetString(blob[..(int)length]));
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidRequestException($"Binary data of input '{inputName}': element {strings.Count} is not valid UTF-8 text.");
            }

            blob = blob[(int)length..];
        }

        return strings;
    }

    /// <summary>The BYTES blob of <paramref name="strings"/>, UTF-8 encoded.</summary>
    public static byte[] EncodeStrings(IReadOnlyList<string> strings)
    {
        // Lenient on the way out: generated text is always sent, an unpaired surrogate as U+FFFD.
        var size = strings.Sum(s => sizeof(uint) + (long)Encoding.UTF8.GetByteCount(s));
        var blob = new byte[size];
        var rest = blob.AsSpan();
        foreach (var s in strings)
        {
            var written = Encoding.UTF8.GetBytes(s, rest[sizeof(uint)..]);
            BinaryPrimitives.WriteUInt32LittleEndian(rest, (uint)written);
            rest = rest[(sizeof(uint) + written)..];
        }

        return blob;
    }
}
