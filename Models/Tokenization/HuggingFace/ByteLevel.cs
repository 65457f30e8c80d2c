using System.Text;
using Checkpoints.Builtin;

namespace Models.Tokenization.HuggingFace;

/// <summary>GPT-2's byte-level alphabet (<c>bytes_to_unicode</c>) read backwards, as Hugging Face's ByteLevel decoder reads tokens.</summary>
internal static class ByteLevel
{
    private static readonly short[] CharToByte = Invert(Gpt2TokenizerFiles.ByteToChar);

    /// <summary>
    /// The bytes <paramref name="token"/> spells into <paramref name="buffer"/> (grown when needed); a token with a
    /// character outside the alphabet (an added token such as <c>&lt;|im_start|&gt;</c> may have one) is its own UTF-8.
    /// </summary>
    public static int TryGetBytes(string token, ref byte[] buffer)
    {
        var needed = Math.Max(token.Length, Encoding.UTF8.GetMaxByteCount(token.Length));
        if (buffer.Length < needed)
        {
            buffer = new byte[Math.Max(needed, buffer.Length * 2)];
        }

        for (var i = 0; i < token.Length; i++)
        {
            var c = token[i];
            if (c >= CharToByte.Length || CharToByte[c] < 0)
            {
                return Encoding.UTF8.GetBytes(token, buffer);
            }

            buffer[i] = (byte)CharToByte[c];
        }

        return token.Length;
    }

    private static short[] Invert(IReadOnlyList<char> alphabet)
    {
        var bytes = new short[alphabet.Max() + 1];
        Array.Fill(bytes, (short)-1);
        for (var b = 0; b < alphabet.Count; b++)
        {
            bytes[alphabet[b]] = (short)b;
        }

        return bytes;
    }
}
